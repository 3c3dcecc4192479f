"""Structural promises of the core (issue 17): one validation module, activation layers computing
through ``activations.py``, one activation table, one optimizer registry with derived
``hyperparameters()``, ``Sequential`` as a nestable ``Layer``, declared caches."""

from __future__ import annotations

import argparse
import ast
import inspect
import re
from pathlib import Path

import numpy as np
import pytest

import backprop_lab.activations as A
import backprop_lab.cli as cli
import backprop_lab.layers as L
import backprop_lab.losses as losses
import backprop_lab.model as model
import backprop_lab.optim as optim
from backprop_lab import validate
from backprop_lab.gradcheck import check_model
from backprop_lab.layers import (
    ACTIVATION_LAYERS,
    BatchNorm,
    Dropout,
    Layer,
    LeakyReLU,
    Linear,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
)
from backprop_lab.losses import SoftmaxCrossEntropy
from backprop_lab.model import Sequential
from backprop_lab.parameter import Parameter


def _bits(x: np.ndarray) -> bytes:
    return np.ascontiguousarray(x).tobytes()


def _defined_functions(module) -> set[str]:
    tree = ast.parse(Path(module.__file__).read_text())
    return {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}


# ------------------------------------------------------------------------------ strict checks


@pytest.mark.parametrize(
    "call, exc, message",
    [
        (lambda: validate.check_nonnegative("lr", -1.0), ValueError,
         "lr must be a finite number >= 0, got -1.0"),
        (lambda: validate.check_positive("eps", 0.0), ValueError,
         "eps must be a finite number > 0, got 0.0"),
        (lambda: validate.check_positive("eps", float("inf")), ValueError,
         "eps must be a finite number > 0, got inf"),
        (lambda: validate.check_unit_interval("rho", 1), ValueError,
         "rho must be a number in [0, 1), got 1"),
        (lambda: validate.check_real("beta", 0.0, 0, 1, low_open=True, high_open=True),
         ValueError, "beta must be a number in (0, 1), got 0.0"),
        (lambda: validate.check_real("lr", "0.1", low=0), TypeError,
         "lr must be a finite number >= 0, got '0.1' of type str"),
        (lambda: validate.check_real("p", "0.1", 0, 1, type_error=False), ValueError,
         "p must be a number in [0, 1], got '0.1'"),
        (lambda: validate.check_real("x", True), TypeError,
         "x must be a finite number, got True of type bool"),
        (lambda: validate.check_int("t", -1, 0), ValueError, "t must be an integer >= 0, got -1"),
        (lambda: validate.check_int("t", 2.0, 0), TypeError,
         "t must be an integer >= 0, got 2.0 of type float"),
        (lambda: validate.check_float_dtype("Linear: dtype", np.int64), ValueError,
         "Linear: dtype must be float32 or float64, got int64"),
        (lambda: validate.check_float_dtype("dtype", "nonsense"), ValueError,
         "dtype must be float32 or float64, got 'nonsense'"),
        (lambda: validate.check_float_dtype("dtype", None), ValueError,
         "dtype must be float32 or float64, got None"),
        (lambda: validate.check_float_array("MSE: predictions", np.arange(3)), TypeError,
         "MSE: predictions must be a float array, got dtype int64"),
        (lambda: validate.check_choice("optimizer", "adamw", ["sgd", "adam"]), ValueError,
         "unknown optimizer 'adamw'; expected one of sgd, adam"),
        (lambda: validate.parse_int("1.5", 1), ValueError, "expected a positive integer, got 1.5"),
        (lambda: validate.parse_int("-1", 0), ValueError,
         "expected a non-negative integer, got -1"),
        (lambda: validate.parse_positive_float("nan"), ValueError,
         "expected a positive, finite number, got nan"),
        (lambda: validate.parse_positive_float("0"), ValueError,
         "expected a positive, finite number, got 0"),
    ],
)
def test_strict_checks_name_the_argument_the_value_and_the_expectation(call, exc, message):
    with pytest.raises(exc) as info:
        call()
    assert str(info.value) == message


def test_strict_checks_return_converted_values():
    assert validate.check_real("x", np.float32(0.5), 0, 1) == 0.5
    assert type(validate.check_real("x", np.float32(0.5), 0, 1)) is float
    assert type(validate.check_int("n", np.int64(3), 1)) is int
    assert validate.check_float_dtype("d", "float32") == np.float32
    assert validate.check_choice("optimizer", "ADAM", ["sgd", "adam"], lower=True) == "adam"
    assert validate.parse_int("0", 0) == 0 and validate.parse_positive_float("3e-3") == 3e-3
    assert validate.check_nonnegative("lr", 0) == 0.0  # the Optimizer boundary allows 0
    assert validate.check_int("seed", -5, None) == -5
    with pytest.raises(TypeError, match=r"^seed must be an integer, got 1\.5 of type float$"):
        validate.check_int("seed", 1.5, None)


def test_private_validators_are_gone_from_optim_and_cli():
    assert not {"_check_real", "_positive", "_unit_interval", "_check_int"} & _defined_functions(optim)
    assert "_int" not in _defined_functions(cli)
    module_level = {n.name for n in ast.parse(Path(L.__file__).read_text()).body
                    if isinstance(n, ast.FunctionDef)}
    assert "_check_dtype" not in module_level  # one method of Layer, used by Linear and BatchNorm


@pytest.mark.parametrize("text, message", [("1.5", "expected a positive integer, got 1.5"),
                                           ("0", "expected a positive integer, got 0")])
def test_cli_positive_int_speaks_argparse(text, message):
    with pytest.raises(argparse.ArgumentTypeError, match=re.escape(message)):
        cli._positive_int(text)
    assert cli._positive_int("12") == 12 and cli._nonnegative_int("0") == 0
    with pytest.raises(argparse.ArgumentTypeError, match="positive, finite number, got -1"):
        cli._positive_float("-1")


def test_batchnorm_and_linear_refuse_non_float_dtypes_with_one_message():
    messages = []
    for build in (lambda: Linear(2, 2, dtype=np.int64), lambda: BatchNorm(2, dtype=np.int64)):
        with pytest.raises(ValueError) as info:
            build()
        messages.append(str(info.value).split(": ", 1)[1])
    assert messages == ["dtype must be float32 or float64, got int64"] * 2
    assert BatchNorm(2, dtype=np.float32).gamma.dtype == np.float32


# ------------------------------------------------------------------------------ activations


Z = np.random.default_rng(0).standard_normal((7, 5)) * 4
Z[0, :3] = [0.0, -0.0, 1e-300]
LAYER_OF = {"sigmoid": Sigmoid, "tanh": Tanh, "relu": ReLU, "leaky_relu": LeakyReLU}


def test_one_activation_table():
    assert list(ACTIVATION_LAYERS) == list(A.ACTIVATIONS)
    for name, entry in A.ACTIVATIONS.items():
        assert entry.name == name and entry.label
        assert ACTIVATION_LAYERS[name] is entry.layer is LAYER_OF[name]
        assert type(L.activation_layer(name)) is entry.layer
    source = Path(L.__file__).read_text()
    assert '"relu": ReLU' not in source and '"tanh": Tanh' not in source


@pytest.mark.parametrize("name", list(A.ACTIVATIONS))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_activation_layer_computes_what_activations_py_computes(name, dtype):
    entry = A.ACTIVATIONS[name]
    Zd, dA = Z.astype(dtype), np.random.default_rng(1).standard_normal(Z.shape).astype(dtype)
    layer = entry.layer()
    out = layer.forward(Zd)
    expected = entry.f(Zd)
    assert out.dtype == expected.dtype == dtype
    if name == "relu":
        # a = z·[z > 0]: the same numbers as max(z, 0); a negative z gives -0.0 instead of +0.0
        np.testing.assert_array_equal(out, expected)
        assert _bits(out[Zd > 0]) == _bits(expected[Zd > 0])
    else:
        assert _bits(out) == _bits(expected)
    d = layer.backward(dA)
    if name == "sigmoid":  # (dA·a)·(1 − a) vs dA·(a(1 − a)): one rounding apart
        np.testing.assert_allclose(d, dA * entry.df(Zd), rtol=4 * np.finfo(dtype).eps, atol=0)
    else:
        assert _bits(d) == _bits(dA * entry.df(Zd))


def test_softmax_layer_and_loss_use_the_one_softmax():
    X = Z.copy()
    X[1] += 1000.0  # the shift must be there
    assert _bits(Softmax().forward(X)) == _bits(A.softmax(X))
    loss = SoftmaxCrossEntropy()
    loss.forward(X, np.arange(7) % 5)
    assert _bits(loss._cache[0]) == _bits(A.softmax(X))
    for module in (L, losses):
        source = Path(module.__file__).read_text()
        assert ".max(axis" not in source and "np.exp(shifted" not in source


def test_softmax_layer_backward_is_the_jacobian_product():
    s = A.softmax(Z)
    dA = np.random.default_rng(2).standard_normal(Z.shape)
    layer = Softmax()
    layer.forward(Z)
    got = layer.backward(dA)
    for i in range(Z.shape[0]):
        np.testing.assert_allclose(got[i], A.softmax_jacobian(s[i]).T @ dA[i], rtol=1e-12,
                                   atol=1e-15)


# ------------------------------------------------------------------------------ caches


def _fresh_layers() -> list[Layer]:
    rng = np.random.default_rng(0)
    return [Linear(5, 3, rng=rng), ReLU(), LeakyReLU(), Sigmoid(), Tanh(), Softmax(),
            Dropout(0.5, rng=rng), BatchNorm(5)]


def test_every_layer_class_is_covered():
    classes = {c for c in vars(L).values()
               if isinstance(c, type) and issubclass(c, Layer) and c is not Layer}
    assert classes == {type(la) for la in _fresh_layers()}


@pytest.mark.parametrize("layer", _fresh_layers(), ids=lambda la: type(la).__name__)
def test_every_layer_declares_its_cache_and_refuses_backward_before_forward(layer):
    assert layer.cache_names
    for name in layer.cache_names:
        assert name in vars(layer) and getattr(layer, name) is None
    with pytest.raises(RuntimeError) as info:
        layer.backward(np.ones((4, 3)))
    assert re.fullmatch(re.escape(f"{layer.where()}: backward called before forward (its cache ")
                        + r"\w+ is empty\); call forward on this batch first", str(info.value))
    out = layer.forward(np.random.default_rng(3).standard_normal((4, 5)))
    for name in layer.cache_names:
        assert getattr(layer, name) is not None
    assert layer.backward(np.ones_like(out)).shape == (4, 5)


def test_dropout_in_eval_mode_passes_gradients_through_after_a_forward():
    d = Dropout(0.5).eval()
    X = np.ones((2, 3))
    assert d.forward(X) is X and d.mask is None and d.dropped is False
    G = np.full((2, 3), 2.0)
    assert d.backward(G) is G


# ------------------------------------------------------------------------------ Sequential


def _flat(rng: np.random.Generator) -> Sequential:
    return Sequential(Linear(4, 6, rng=rng), Tanh(), BatchNorm(6), Linear(6, 5, rng=rng), ReLU(),
                      Linear(5, 3, rng=rng))


def _nested_copy(flat: Sequential) -> Sequential:
    la = flat.layers
    return Sequential(Sequential(la[0], la[1]), Sequential(la[2], Sequential(la[3], la[4])), la[5])


def test_flat_parameter_names_are_unchanged():
    net = _flat(np.random.default_rng(0))
    assert [p.name for p in net.parameters()] == ["0.W", "0.b", "2.gamma", "2.beta", "3.W", "3.b",
                                                  "5.W", "5.b"]
    assert list(net.state_dict()) == ["0.W", "0.b", "2.gamma", "2.beta", "2.running_mean",
                                      "2.running_var", "3.W", "3.b", "5.W", "5.b"]


def test_sequential_is_a_layer_and_nested_models_compute_the_same():
    X = np.random.default_rng(5).standard_normal((8, 4))
    y = np.arange(8) % 3
    flat = _flat(np.random.default_rng(1))
    nested = _nested_copy(_flat(np.random.default_rng(1)))
    assert isinstance(nested, Layer) and isinstance(nested.layers[0], Layer)
    assert [p.name for p in nested.parameters()] == [
        "0.0.W", "0.0.b", "1.0.gamma", "1.0.beta", "1.1.0.W", "1.1.0.b", "2.W", "2.b"]
    loss = SoftmaxCrossEntropy()
    for net in (flat, nested):  # a few SGD steps each, the same arithmetic in the same order
        opt = optim.SGD(net.parameters(), lr=0.1)
        for _ in range(3):
            opt.zero_grad()
            loss.forward(net.forward(X), y)
            net.backward(loss.backward(), input_grad=False)
            opt.step()
    for pf, pn in zip(flat.parameters(), nested.parameters(), strict=True):
        assert _bits(pf.value) == _bits(pn.value) and _bits(pf.grad) == _bits(pn.grad)
    assert _bits(flat.forward(X)) == _bits(nested.forward(X))
    assert nested.summary().splitlines()[2].split()[:2] == ["0", "Sequential("]
    assert nested.in_features() == 4 and nested.out_features(4) == 3


def test_leaf_layers_open_nested_models_in_forward_order():
    flat = _flat(np.random.default_rng(0))
    nested = _nested_copy(flat)
    assert nested.leaf_layers() == flat.layers == flat.leaf_layers()
    assert ReLU().leaf_layers()[0].__class__ is ReLU


def test_nested_model_gradchecks():
    rng = np.random.default_rng(2)
    net = Sequential(Sequential(Linear(3, 4, rng=rng), Tanh()),
                     Sequential(Linear(4, 4, rng=rng), Sigmoid(), BatchNorm(4)), Linear(4, 2, rng=rng))
    X = rng.standard_normal((6, 3))
    report = check_model(net, SoftmaxCrossEntropy(), X, np.arange(6) % 2)
    assert report.ok, report
    assert len(report.rows) == 9  # 8 parameters and the input


def test_nested_model_saves_and_loads(tmp_path):
    rng = np.random.default_rng(3)
    net = _nested_copy(_flat(rng))
    net.forward(rng.standard_normal((5, 4)))  # moves BatchNorm's running statistics
    path = net.save(tmp_path / "nested.npz")
    other = _nested_copy(_flat(np.random.default_rng(99)))
    other.load(path)
    for a, b in zip(net.state_dict().items(), other.state_dict().items(), strict=True):
        assert a[0] == b[0] and _bits(a[1]) == _bits(b[1])
    assert "1.0.running_mean" in net.state_dict()
    net.astype(np.float32)
    assert {v.dtype for v in net.state_dict().values()} == {np.dtype(np.float32)}
    net.eval()
    assert not any(la.training for la in (net, net.layers[1], net.layers[1].layers[0]))


def test_backward_special_case_is_generic():
    source = inspect.getsource(model.Sequential.backward)
    assert "isinstance" not in source and "Linear" not in source


class _Counting(Layer):
    """A student-style layer: knows nothing of need_input_grad; records the flag it was called with."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[bool] = []

    def forward(self, X):
        return X

    def backward(self, d):
        self.seen.append(self.need_input_grad)
        return d


def test_input_grad_false_reaches_the_first_layer_of_nested_models_for_one_call_only():
    rng = np.random.default_rng(4)
    spy = _Counting()
    first = Linear(3, 4, rng=rng)
    net = Sequential(Sequential(spy, first, ReLU()), Linear(4, 2, rng=rng))
    X = rng.standard_normal((5, 3))
    out = net.forward(X)
    assert net.backward(np.ones_like(out), input_grad=False) is None
    assert spy.seen == [False]  # the innermost first layer was told, through two models
    assert spy.need_input_grad and net.layers[0].need_input_grad  # and the flags are restored
    dW_skip = first.dW.copy()
    dX = net.backward(np.ones_like(out))
    assert spy.seen == [False, True] and dX.shape == X.shape
    assert _bits(first.dW) == _bits(dW_skip)
    # after a training-style backward, a layer called directly still returns its input gradient
    net.backward(np.ones_like(out), input_grad=False)
    assert first.backward(np.ones((5, 4))).shape == (5, 3)


def test_linear_first_skips_its_input_gradient():
    rng = np.random.default_rng(7)
    lin = Linear(3, 2, rng=rng)
    net = Sequential(lin)
    out = net.forward(rng.standard_normal((4, 3)))
    calls = []
    original = Linear.backward

    def spy(self, dZ, input_grad=True):
        result = original(self, dZ, input_grad)
        calls.append(result is None)
        return result

    Linear.backward = spy
    try:
        net.backward(np.ones_like(out), input_grad=False)
        net.backward(np.ones_like(out))
    finally:
        Linear.backward = original
    assert calls == [True, False]  # dZ @ W was not computed the first time


@pytest.mark.parametrize("layer", [ReLU(), Tanh(), Sigmoid(), LeakyReLU(), Softmax(),
                                   Dropout(0.3), BatchNorm(5)], ids=lambda la: type(la).__name__)
def test_every_library_layer_honours_need_input_grad(layer):
    X = np.random.default_rng(6).standard_normal((4, 5))
    out = layer.forward(X)
    layer.need_input_grad = False
    assert layer.backward(np.ones_like(out)) is None


# ------------------------------------------------------------------------------ optimizers


def _params() -> list[Parameter]:
    class Owner:
        pass

    o = Owner()
    o.W, o.dW = np.zeros(3), np.ones(3)
    return [Parameter(o, "W", "W")]


NON_DEFAULT = {
    "sgd": dict(lr=0.2, momentum=0.5, nesterov=True, weight_decay=0.01),
    "momentum": dict(lr=0.2, beta=0.7, weight_decay=0.02),
    "nesterov": dict(lr=0.3, beta=0.6, weight_decay=0.03),
    "adagrad": dict(lr=0.4, eps=1e-7, weight_decay=0.04),
    "rmsprop": dict(lr=0.5, alpha=0.8, eps=1e-6, weight_decay=0.05),
    "adadelta": dict(lr=0.6, rho=0.85, eps=1e-5, weight_decay=0.06),
    "adam": dict(lr=0.7, betas=(0.8, 0.95), eps=1e-4, weight_decay=0.07),
}


def test_every_registered_optimizer_is_covered():
    assert set(NON_DEFAULT) == set(optim.OPTIMIZERS)


@pytest.mark.parametrize("name", list(NON_DEFAULT))
def test_hyperparameters_equal_the_constructor_arguments(name):
    cls = optim.OPTIMIZERS[name]
    kwargs = NON_DEFAULT[name]
    signature = [p for p in inspect.signature(cls).parameters if p != "params"]
    assert list(kwargs) == signature  # every argument given, in the signature's order
    opt = cls(_params(), **kwargs)
    assert opt.hyperparameters() == kwargs
    assert cls.hyperparameter_names() == tuple(signature)
    assert repr(opt) == f"{cls.__name__}(" + ", ".join(f"{k}={v!r}" for k, v in kwargs.items()) + ")"
    assert cls(_params(), **opt.hyperparameters()).hyperparameters() == kwargs


def test_hyperparameters_written_once():
    for cls in optim.OPTIMIZERS.values():
        assert "hyperparameters" not in vars(cls)
    assert [n for n in _defined_functions(optim) if n == "hyperparameters"] == ["hyperparameters"]


def test_optimizer_registry_carries_what_the_race_needs():
    labels = [cls.label for cls in optim.OPTIMIZERS.values()]
    assert labels == ["SGD", "Momentum", "Nesterov", "Adagrad", "RMSprop", "Adadelta", "Adam"]
    for name, cls in optim.OPTIMIZERS.items():
        assert cls.default_lr > 0 and cls.hyperparameter_names()[0] == "lr"
        assert type(optim.make_optimizer(name.upper(), _params())) is cls


def test_user_optimizer_keeps_a_working_repr():
    class SignSGD(optim.Optimizer):
        def update(self, w, g, state):
            w -= self.lr * np.sign(g)

    class Stored(optim.Optimizer):
        def __init__(self, params, lr=0.1, gamma=0.5):
            self.g = gamma  # not stored under its own name: left out, not a crash
            super().__init__(params, lr)

        def update(self, w, g, state):
            pass

    assert repr(SignSGD(_params(), lr=0.1)) == "SignSGD(lr=0.1, weight_decay=0.0)"
    assert repr(Stored(_params())) == "Stored(lr=0.1)"
