"""The lesson 05 checks: references pass, typical mistakes fail with their own hint, errors chain."""

import numpy as np

from backprop_lab.checks.lesson05 import (
    check_backward_221,
    check_delta_back,
    check_delta_softmax_ce,
    check_gradient_check,
    check_param_grads,
)

# -- independent reference implementations ---------------------------------------------------------


def delta_softmax_ce(P, Y):
    return (P - Y) / P.shape[0]


def delta_back(Delta, W, Z_prev, g_prime):
    return (Delta @ W) * g_prime(Z_prev)


def param_grads(Delta, A_prev):
    return Delta.T @ A_prev, Delta.sum(axis=0)


def numeric_grad(f, x, h, central=True):
    x = x.astype(np.float64)  # a copy: the caller's x is never touched
    n = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        f_plus = f(x)
        x[i] = old - h if central else old
        f_minus = f(x)
        x[i] = old
        n[i] = (f_plus - f_minus) / (2 * h if central else h)
    return n


def gradient_check(f, grad_f, x, h=1e-5):
    a = grad_f(x)
    n = numeric_grad(f, x, h)
    return float(np.max(np.abs(a - n) / np.maximum(np.abs(a) + np.abs(n), 1e-8)))



def sig(z):
    return 1 / (1 + np.exp(-z))


def backward_221(x, y, W1, b1, W2, b2, mistake=None):
    """Element by element, as lesson 05 §0 lists the chain rule (no matrix products)."""
    h, n = W1.shape
    a1 = np.array([sig(sum(W1[j, k] * x[k] for k in range(n)) + b1[j]) for j in range(h)])
    a2 = sig(sum(W2[0, j] * a1[j] for j in range(h)) + b2[0])
    d2 = np.array([a2 - y])
    if mistake == "sign":
        d2 = -d2
    sp = a1 * (1 - a1) if mistake != "no_sp" else np.ones(h)
    d1 = np.array([d2[0] * W2[0, j] * sp[j] for j in range(h)])
    dW1 = np.array([[d1[j] * x[k] for k in range(n)] for j in range(h)])
    dW2 = np.array([[d2[0] * a1[j] for j in range(h)]])
    if mistake == "transposed":
        dW1 = dW1.T.copy()
    if mistake == "dW2_transposed":
        dW2 = dW2.T.copy()
    return d2, d1, dW1, d1.copy(), dW2, d2.copy()


def b221_via_dlda(x, y, W1, b1, W2, b2):  # ∂L/∂a · σ′ without simplifying: NaN once a rounds to 1
    d2, d1, dW1, db1, dW2, db2 = backward_221(x, y, W1, b1, W2, b2)
    a2 = d2 + y
    d2 = (-(y / a2) + (1 - y) / (1 - a2)) * a2 * (1 - a2)
    return d2, d1, dW1, db1, dW2, d2


def b221_scalar_delta2(x, y, W1, b1, W2, b2):
    out = list(backward_221(x, y, W1, b1, W2, b2))
    out[0] = float(out[0][0])
    return tuple(out)


def b221_five(x, y, W1, b1, W2, b2):
    return backward_221(x, y, W1, b1, W2, b2)[:5]


def test_backward_221_reference_gives_the_lesson_numbers():
    """The numbers lesson 05 §0 prints (four decimals), from the element-wise reference above."""
    d2, d1, dW1, db1, dW2, db2 = backward_221(
        np.array([1.0, 2.0]), 1.0, np.array([[0.1, 0.2], [-0.3, 0.4]]), np.array([0.1, -0.1]),
        np.array([[0.5, -0.6]]), np.array([0.2]))
    assert np.allclose(d2, [-0.4592], atol=5e-5) and np.allclose(db2, [-0.4592], atol=5e-5)
    assert np.allclose(dW2, [[-0.2965, -0.2749]], atol=5e-5)
    assert np.allclose(d1, [-0.0525, 0.0662], atol=5e-5)
    assert np.allclose(dW1, [[-0.0525, -0.1051], [0.0662, 0.1324]], atol=5e-5)


def test_backward_221_reference_matches_finite_differences():
    """Independent of any formula: central differences of the loss on a random 3-4-1 network."""
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal(3), 0.0
    W1, b1, W2, b2 = (rng.standard_normal((4, 3)), rng.standard_normal(4),
                      rng.standard_normal((1, 4)), rng.standard_normal(1))

    def loss():
        a2 = sig(W2 @ sig(W1 @ x + b1) + b2)[0]
        return -(y * np.log(a2) + (1 - y) * np.log(1 - a2))

    _, _, dW1, db1, dW2, db2 = backward_221(x, y, W1, b1, W2, b2)
    for P, G in ((W1, dW1), (b1, db1), (W2, dW2), (b2, db2)):
        num = np.zeros_like(P)
        for i in np.ndindex(P.shape):
            old = P[i]
            P[i] = old + 1e-6
            fp = loss()
            P[i] = old - 1e-6
            fm = loss()
            P[i] = old
            num[i] = (fp - fm) / 2e-6
        assert np.allclose(G, num, rtol=1e-6, atol=1e-9)


REFERENCES = [
    (check_delta_softmax_ce, delta_softmax_ce),
    (check_delta_back, delta_back),
    (check_param_grads, param_grads),
    (check_gradient_check, gradient_check),
    (check_backward_221, backward_221),
]
CHECKS = [check for check, _ in REFERENCES]

# -- typical mistakes, each with its own hint ----------------------------------------------------------


def gc_forward_difference(f, grad_f, x, h=1e-5):
    a = grad_f(x)
    n = numeric_grad(f, x, h, central=False)
    return float(np.max(np.abs(a - n) / np.maximum(np.abs(a) + np.abs(n), 1e-8)))


def gc_over_h(f, grad_f, x, h=1e-5):
    a = grad_f(x)
    n = 2 * numeric_grad(f, x, h)
    return float(np.max(np.abs(a - n) / np.maximum(np.abs(a) + np.abs(n), 1e-8)))


def gc_absolute(f, grad_f, x, h=1e-5):
    return float(np.max(np.abs(grad_f(x) - numeric_grad(f, x, h))))


def gc_mean(f, grad_f, x, h=1e-5):
    a, n = grad_f(x), numeric_grad(f, x, h)
    return float(np.mean(np.abs(a - n) / np.maximum(np.abs(a) + np.abs(n), 1e-8)))


def gc_ignores_h(f, grad_f, x, h=1e-5):
    return gradient_check(f, grad_f, x)


def gc_no_floor(f, grad_f, x, h=1e-5):
    a, n = grad_f(x), numeric_grad(f, x, h)
    return float(np.max(np.abs(a - n) / (np.abs(a) + np.abs(n))))


def gc_in_place(f, grad_f, x, h=1e-5):  # perturbs the caller's x and restores it inexactly
    a = grad_f(x.copy())
    n = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        x[i] += h
        f_plus = f(x)
        x[i] -= 2 * h
        f_minus = f(x)
        x[i] += h
        n[i] = (f_plus - f_minus) / (2 * h)
    return float(np.max(np.abs(a - n) / np.maximum(np.abs(a) + np.abs(n), 1e-8)))


def gc_one_dimensional(f, grad_f, x, h=1e-5):  # perturbs all entries at once
    a = grad_f(x)
    n = (f(x + h) - f(x - h)) / (2 * h)
    return float(np.max(np.abs(a - n) / np.maximum(np.abs(a) + np.abs(n), 1e-8)))


def gc_float32_copy(f, grad_f, x, h=1e-5):  # perturbs a copy in x's own dtype
    x = x.copy()
    a = grad_f(x)
    n = np.zeros(x.shape)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        fp = f(x)
        x[i] = old - h
        fm = f(x)
        x[i] = old
        n[i] = (fp - fm) / (2 * h)
    return float(np.max(np.abs(a - n) / np.maximum(np.abs(a) + np.abs(n), 1e-8)))

MISTAKES = [
    (check_delta_back, lambda D, W, Zp, g: (D @ W) * g(np.tanh(Zp)),
     "you applied it to the activation A_prev = g(Z_prev)"),
    (check_delta_back, lambda D, W, Zp, g: (D @ W) * g(D @ W),
     "not to the incoming gradient Δ @ W"),
    (check_delta_softmax_ce, lambda P, Y: P - Y, "the 1/m is missing"),
    (check_delta_softmax_ce, lambda P, Y: (Y - P) / len(P), "wrong sign"),
    (check_delta_softmax_ce, lambda P, Y: P / len(P), "subtract the one-hot labels"),
    (check_delta_softmax_ce, lambda P, Y: (P - Y) / P.size, "not by m·k"),
    (check_delta_softmax_ce, lambda P, Y: (P - Y) * P * (1 - P) / len(P), "no extra factor"),
    (check_delta_softmax_ce, lambda P, Y: ((P - Y) / len(P)).astype(np.float64), "float32"),
    (check_delta_back, lambda D, W, Z, gp: (D @ W.T) * gp(Z), "no transpose here"),
    (check_delta_back, lambda D, W, Z, gp: D @ W, "multiply element-wise by g′(Z_prev)"),
    (check_delta_back, lambda D, W, Z, gp: (D @ W) * Z, "not by Z_prev itself"),
    (check_delta_back, lambda D, W, Z, gp: (D @ W) * np.tanh(Z), "not by the activation"),
    (check_delta_back, lambda D, W, Z, gp: (D @ W) @ gp(Z), "not a matrix product"),
    (check_delta_back, lambda D, W, Z, gp: (D @ W) * (1 - np.tanh(Z) ** 2),
     "use the g_prime you are given"),
    (check_param_grads, lambda D, A: (A.T @ D, D.sum(axis=0)), "dW is transposed"),
    (check_param_grads, lambda D, A: (D.T @ A / len(D), D.sum(axis=0)), "do not divide again"),
    (check_param_grads, lambda D, A: (D.T @ A, D.mean(axis=0)), "do not average"),
    (check_param_grads, lambda D, A: (D.T @ A, D.sum(axis=0, keepdims=True)), "without keepdims"),
    (check_param_grads, lambda D, A: (D.T @ A, D.sum(axis=1)), "sum over the batch (axis 0)"),
    (check_param_grads, lambda D, A: [D.T @ A], "expected a pair (dW, db)"),
    (check_gradient_check, gc_forward_difference, "use the central difference"),
    (check_gradient_check, gc_over_h, "divide by 2h"),
    (check_gradient_check, gc_absolute, "that is the absolute error"),
    (check_gradient_check, gc_mean, "not the mean"),
    (check_gradient_check, gc_ignores_h, "use the step h you are given"),
    (check_gradient_check, gc_no_floor, "The denominator has a floor"),
    (check_gradient_check, gc_in_place, "argument `x` was changed in place"),
    (check_gradient_check, gc_one_dimensional, "perturb one entry at a time"),
    (check_gradient_check, gc_float32_copy, "perturb a float64 copy"),
    (check_backward_221, lambda *a: backward_221(*a, mistake="no_sp"), "missing σ′"),
    (check_backward_221, lambda *a: backward_221(*a, mistake="transposed"), "dW1 is transposed"),
    (check_backward_221, lambda *a: backward_221(*a, mistake="dW2_transposed"),
     "the shape is transposed"),
    (check_backward_221, lambda *a: backward_221(*a, mistake="sign"), "wrong sign"),
    (check_backward_221, b221_via_dlda, "use the simplified δ⁽²⁾ = a⁽²⁾ − y"),
    (check_backward_221, b221_scalar_delta2, "not a single number"),
    (check_backward_221, b221_five, "return delta2, delta1, dW1, db1, dW2, db2"),
]

# -- errors in the student's code ----------------------------------------------------------------------


def test_backward_221_first_case_counts_all_six_results(capsys):
    """A wrong δ⁽¹⁾ on the lesson's numbers does not earn "values on the first case", although
    δ⁽²⁾, dW2 and db2 were right: 2 of 4 steps, 1 of 2 points."""
    from backprop_lab.checks import grading

    score = grading.grader("lesson05", "backward_221", points=2)
    assert score(lambda *a: backward_221(*a, mistake="no_sp")) == 1
    assert score(b221_via_dlda) == 1.5  # right on the lesson's numbers, NaN once a⁽²⁾ rounds to 1
    assert score(backward_221) == 2
    assert "missing σ′" in capsys.readouterr().out
