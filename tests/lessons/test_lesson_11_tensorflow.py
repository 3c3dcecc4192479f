"""Lesson 11 §8 outside the notebook: backprop_lab and TensorFlow compute the same gradients.

Random MLPs in float64 (several activations and losses), copied with
:func:`backprop_lab.interop.to_keras` (Keras kernel = Wᵀ): outputs, loss and every gradient from a
``tf.GradientTape`` equal ours (transposed back) to 1e-12; a TensorFlow 1 graph built with
``tf.compat.v1`` (placeholders, ``tf.gradients``, a ``Session``) gives the same gradients. Skipped
when TensorFlow is not installed (the test that ``to_keras`` then names the install command lives
in ``tests/core/test_interop.py`` and always runs).

Tolerance, from float64 error analysis: each compared value is built from a few sums of length
n ≤ 40 (batch) or < 20 (widths) whose terms have absolute sums of order 10 at most; a length-n sum is
off by at most γ_n·Σ|terms| with γ_n ≈ n·u, u = 2⁻⁵³ ≈ 1.1e-16 (Higham 2002, §3.1), i.e. below
1e-13 per sum, so two correct implementations agree to within TOL = 1e-12, while a wrong formula
(a missing transpose, a float32 loss) is off by 1e-9 or (much) more.
"""

from __future__ import annotations

import numpy as np
import pytest

from backprop_lab.interop import import_tensorflow, to_keras
from backprop_lab.layers import BatchNorm, Dropout, LeakyReLU, Linear, ReLU, Sigmoid, Tanh
from backprop_lab.losses import MSE, BCEWithLogits, SoftmaxCrossEntropy
from backprop_lab.model import Sequential, mlp

try:
    tf = import_tensorflow()  # quiet: sets TF_CPP_MIN_LOG_LEVEL and TF_ENABLE_ONEDNN_OPTS first
except ImportError as e:
    pytest.skip(str(e), allow_module_level=True)
import keras  # noqa: E402  (installed with TensorFlow)

pytestmark = pytest.mark.tensorflow
TOL = 1e-12


def _problem(loss_name: str, rng: np.random.Generator, m: int, k: int):
    """(our loss, Keras loss in float64, width of the output, target)."""
    if loss_name == "softmax_ce":
        return (SoftmaxCrossEntropy(),
                keras.losses.SparseCategoricalCrossentropy(from_logits=True, dtype="float64"),
                k, rng.integers(0, k, m))
    if loss_name == "bce_logits":
        return (BCEWithLogits(), keras.losses.BinaryCrossentropy(from_logits=True, dtype="float64"),
                1, (rng.random((m, 1)) < 0.5).astype(np.float64))
    return MSE(), keras.losses.MeanSquaredError(dtype="float64"), k, rng.standard_normal((m, k))


def _as_keras(grad: np.ndarray) -> np.ndarray:
    """Our gradient in Keras's layout: a weight matrix (out, in) becomes a kernel (in, out)."""
    return grad.T if grad.ndim == 2 else grad


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("loss_name", ["softmax_ce", "bce_logits", "mse"])
@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "leaky_relu"])
def test_gradient_tape_gradients_equal_ours(activation: str, loss_name: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    m, n_in, k = int(rng.integers(1, 40)), int(rng.integers(1, 8)), int(rng.integers(2, 6))
    hidden = [int(h) for h in rng.integers(1, 20, size=int(rng.integers(1, 4)))]
    loss, k_loss, n_out, target = _problem(loss_name, rng, m, k)
    net = mlp([n_in, *hidden, n_out], activation=activation, rng=rng, dtype=np.float64)
    kmodel = to_keras(net)
    X = rng.standard_normal((m, n_in))

    out = net.forward(X)
    value = loss.forward(out, target)
    dX = net.backward(loss.backward())
    Xv = tf.Variable(X)
    with tf.GradientTape() as tape:
        k_out = kmodel(Xv, training=True)
        k_value = k_loss(target, k_out)
    *k_grads, k_dX = tape.gradient(k_value, [*kmodel.trainable_variables, Xv])

    assert k_out.dtype == tf.float64 and k_value.dtype == tf.float64
    np.testing.assert_allclose(out, k_out.numpy(), rtol=0, atol=TOL)
    assert abs(value - float(k_value)) < TOL
    np.testing.assert_allclose(dX, k_dX.numpy(), rtol=0, atol=TOL)
    for p, v, g in zip(net.parameters(), kmodel.trainable_variables, k_grads, strict=True):
        assert _as_keras(p.grad).shape == tuple(v.shape)
        np.testing.assert_allclose(_as_keras(p.grad), g.numpy(), rtol=0, atol=TOL, err_msg=p.name)


def _tf1_loss_and_grads(net: Sequential, X: np.ndarray, y: np.ndarray):
    """Softmax-CE loss and kernel/bias gradients from a TensorFlow 1 graph run in a Session."""
    v1 = tf.compat.v1
    activation = {Tanh: tf.tanh, ReLU: tf.nn.relu, Sigmoid: tf.sigmoid}
    graph = tf.Graph()
    with graph.as_default():
        X_in = v1.placeholder(tf.float64, shape=(None, X.shape[1]))
        y_in = v1.placeholder(tf.int64, shape=(None,))
        A, params = X_in, []
        for layer in net.layers:
            if isinstance(layer, Linear):
                params += [v1.Variable(layer.W.T.copy()), v1.Variable(layer.b.copy())]
                A = tf.matmul(A, params[-2]) + params[-1]
            else:
                A = activation[type(layer)](A)
        loss_op = tf.reduce_mean(
            tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y_in, logits=A))
        grad_ops = tf.gradients(loss_op, params)
        with v1.Session(graph=graph) as sess:
            sess.run(v1.global_variables_initializer())
            return sess.run([loss_op, grad_ops], feed_dict={X_in: X, y_in: y})


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
def test_tf1_graph_session_gradients_equal_ours(activation: str) -> None:
    rng = np.random.default_rng(7)
    X, y = rng.standard_normal((33, 5)), rng.integers(0, 4, 33)
    net = mlp([5, 11, 7, 4], activation=activation, rng=rng)
    loss = SoftmaxCrossEntropy()
    value = loss.forward(net.forward(X), y)
    net.backward(loss.backward())
    tf_value, tf_grads = _tf1_loss_and_grads(net, X, y)
    assert tf.executing_eagerly()  # the graph stayed inside its `with`: eager mode is untouched
    assert abs(value - tf_value) < TOL
    for p, g in zip(net.parameters(), tf_grads, strict=True):
        np.testing.assert_allclose(_as_keras(p.grad), g, rtol=0, atol=TOL, err_msg=p.name)


def test_to_keras_copies_transposed_named_and_independent() -> None:
    rng = np.random.default_rng(2)
    net = Sequential(Linear(3, 5, rng=rng), LeakyReLU(0.05), Dropout(0.3), Linear(5, 2, rng=rng))
    kmodel = to_keras(net)
    assert [layer.name for layer in kmodel.layers] == [
        "dense_0", "leaky_relu_1", "dropout_2", "dense_3"]
    kernel, bias = kmodel.layers[0].get_weights()
    assert kernel.shape == (3, 5) and net[0].W.shape == (5, 3)  # Keras (in, out), ours (out, in)
    np.testing.assert_array_equal(kernel, net[0].W.T)
    np.testing.assert_array_equal(bias, net[0].b)
    assert kmodel.layers[2].rate == 0.3
    X = rng.standard_normal((6, 3))
    net.eval()  # dropout off in both: the outputs agree
    np.testing.assert_allclose(net.forward(X), kmodel(X, training=False).numpy(), rtol=0, atol=TOL)
    kmodel.layers[0].kernel.assign(np.zeros((3, 5)))  # a copy: our model is untouched
    assert np.abs(net[0].W).max() > 0
    k32 = to_keras(net, dtype=np.float32)
    assert k32.layers[0].kernel.dtype == "float32"
    np.testing.assert_allclose(net.forward(X), k32(X.astype(np.float32)).numpy(), rtol=1e-5,
                               atol=1e-6)  # float32's resolution, ~1e-7 relative


def test_to_keras_rejects_what_it_cannot_translate() -> None:
    rng = np.random.default_rng(0)
    with pytest.raises(TypeError, match=r"to_keras: no Keras counterpart for .*BatchNorm"):
        to_keras(Sequential(Linear(2, 3, rng=rng), BatchNorm(3)))
    with pytest.raises(ValueError, match="dtype must be float32 or float64"):
        to_keras(mlp([2, 3], rng=rng), dtype=np.int32)
    with pytest.raises(ValueError, match="no Linear layer; pass n_in"):
        to_keras(Sequential(Tanh()))
    assert to_keras(Sequential(Tanh()), n_in=4).input_shape == (None, 4)


# --------------------------------------------------------------------------- momentum conventions
# §4a's quadratic f(w) = ½(w₁² + 10 w₂²), 40 steps of momentum β = 0.9, η cut from 0.05 to 0.005
# at step 20: after the cut, the classic form (v ← βv − ηg, w ← w + v) and torch's form
# (u ← βu + g, w ← w − ηu) end up 1.7 apart, so a 1e-5 tolerance tells the forms apart easily.
_A, _W0, _BETA, _STEPS = np.array([1.0, 10.0]), np.array([-4.0, 2.0]), 0.9, 40


def _lr(t: int) -> float:
    return 0.005 if t >= 20 else 0.05


def _classic(rate, beta: float = _BETA) -> np.ndarray:
    w, v, path = _W0.copy(), np.zeros(2), [_W0.copy()]
    for t in range(_STEPS):
        v = beta * v - rate(t) * (_A * w)
        w = w + v
        path.append(w)
    return np.array(path)


def _ours(beta: float = _BETA) -> np.ndarray:
    from backprop_lab.optim import Momentum
    from backprop_lab.parameter import Point

    point = Point(_W0)
    opt = Momentum([point.param], lr=_lr(0), beta=beta)
    path = [_W0.copy()]
    for t in range(_STEPS):
        opt.lr = _lr(t)
        point.dvalue[...] = _A * point.value
        opt.step()
        path.append(point.value.copy())
    return np.array(path)


def test_keras_sgd_momentum_is_the_classic_form_with_float32_constants() -> None:
    w = tf.Variable(_W0)
    opt = keras.optimizers.SGD(learning_rate=_lr(0), momentum=_BETA)
    path = [_W0.copy()]
    for t in range(_STEPS):
        opt.learning_rate = _lr(t)
        with tf.GradientTape() as tape:
            f = 0.5 * tf.reduce_sum(_A * w * w)
        opt.apply_gradients([(tape.gradient(f, w), w)])
        path.append(w.numpy().copy())
    keras_path = np.array(path)
    # Keras's exact computation: the classic form with η and β rounded to float32 (Keras turns
    # both into float32 tensors before casting them to the weights' float64), float64 otherwise
    f32 = lambda x: float(np.float32(x))  # noqa: E731
    np.testing.assert_allclose(keras_path, _classic(lambda t: f32(_lr(t)), f32(_BETA)),
                               rtol=0, atol=TOL)
    assert np.abs(keras_path - _classic(_lr)).max() < 1e-5  # only the float32 rounding
    assert np.abs(keras_path - _ours()).max() > 1.0  # not torch's / this library's form


def test_tf1_momentum_optimizer_is_torchs_form() -> None:
    v1 = tf.compat.v1
    graph = tf.Graph()
    with graph.as_default():
        w = v1.Variable(_W0)
        lr = v1.placeholder(tf.float64, shape=())
        step = v1.train.MomentumOptimizer(lr, _BETA).minimize(0.5 * tf.reduce_sum(_A * w * w))
        with v1.Session(graph=graph) as sess:
            sess.run(v1.global_variables_initializer())
            path = [_W0.copy()]
            for t in range(_STEPS):
                sess.run(step, feed_dict={lr: _lr(t)})
                path.append(sess.run(w))
    tf1_path = np.array(path)
    # exactly torch's form with β rounded to float32 (the Python float 0.9 becomes a float32
    # constant; η comes in through a float64 placeholder), float64 otherwise
    np.testing.assert_allclose(tf1_path, _ours(float(np.float32(_BETA))), rtol=0, atol=TOL)
    assert np.abs(tf1_path - _ours()).max() < 1e-5  # only the float32 rounding of β
    assert np.abs(tf1_path - _classic(_lr)).max() > 1.0
