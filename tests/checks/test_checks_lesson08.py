"""The lesson 08 checks: references pass, typical mistakes fail with their own hint, errors chain."""

import numpy as np
import pytest

from backprop_lab.checks import CheckFailure
from backprop_lab.checks.lesson08 import (
    check_adam_step,
    check_momentum_step,
    check_MyRMSprop,
    check_sgd_lr_limit,
)
from backprop_lab.optim import Optimizer

# -- independent reference implementations ---------------------------------------------------------


def momentum_step(w, g, v, lr, beta):
    v = beta * v + g
    return w - lr * v, v


def adam_step(w, g, m, v, t, lr, beta1, beta2, eps, *, kind=""):
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    if kind == "no_correction":
        m_hat, v_hat = m, v
    elif kind == "t_minus_1":
        m_hat, v_hat = m / (1 - beta1 ** (t - 1)), v / (1 - beta2 ** (t - 1))
    elif kind == "t_plus_1":
        m_hat, v_hat = m / (1 - beta1 ** (t + 1)), v / (1 - beta2 ** (t + 1))
    elif kind == "beta":
        m_hat, v_hat = m / (1 - beta1), v / (1 - beta2)
    else:
        m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    if kind == "eps_hat":  # Kingma & Ba (2015), end of Section 2, with ε̂ = ε
        w = w - lr * np.sqrt(1 - beta2**t) / (1 - beta1**t) * m / (np.sqrt(v) + eps)
    elif kind == "eps_inside":
        w = w - lr * m_hat / np.sqrt(v_hat + eps)
    elif kind == "no_eps":
        with np.errstate(all="ignore"):
            w = w - lr * m_hat / np.sqrt(v_hat)
    else:
        w = w - lr * m_hat / (np.sqrt(v_hat) + eps)
    if kind == "store_hat":
        return w, m_hat, v_hat
    if kind == "float64":
        return w.astype(np.float64), m.astype(np.float64), v.astype(np.float64)
    return w, m, v


class MyRMSprop(Optimizer):
    def __init__(self, params, lr=0.01, alpha=0.99, eps=1e-8, weight_decay=0.0):
        self.alpha, self.eps = alpha, eps
        super().__init__(params, lr, weight_decay)

    def init_state(self, w):
        return {"s": np.zeros_like(w)}

    def update(self, w, g, state):
        s = state["s"]
        s *= self.alpha
        s += (1 - self.alpha) * g * g
        w -= self.lr * g / (np.sqrt(s) + self.eps)


def sgd_lr_limit(H):
    """2 / λ_max by power iteration on H (independent of eigvalsh), after validation."""
    H = np.asarray(H, dtype=np.float64)
    if H.ndim != 2 or H.shape[0] != H.shape[1] or not np.allclose(H, H.T):
        raise ValueError(f"H must be a symmetric square matrix, got {H!r}")
    lam = np.linalg.eigvals(H).real
    if lam.min() < -1e-12 or lam.max() <= 0:
        raise ValueError(f"no largest stable learning rate for eigenvalues {lam}")
    return 2.0 / float(lam.max())


REFERENCES = [
    (check_momentum_step, momentum_step),
    (check_adam_step, adam_step),
    (check_MyRMSprop, MyRMSprop),
]
REFERENCES.append((check_sgd_lr_limit, sgd_lr_limit))
CHECKS = [check for check, _ in REFERENCES]

# -- typical mistakes, each with its own hint ----------------------------------------------------------


def _adam(kind):
    def wrong(w, g, m, v, t, lr, beta1, beta2, eps):
        return adam_step(w, g, m, v, t, lr, beta1, beta2, eps, kind=kind)
    return wrong


def momentum_in_place(w, g, v, lr, beta):
    v *= beta
    v += g
    return w - lr * v, v


class RMSpropNotStored(MyRMSprop):
    def update(self, w, g, state):
        s = self.alpha * state["s"] + (1 - self.alpha) * g * g
        w -= self.lr * g / (np.sqrt(s) + self.eps)


class RMSpropNotInPlace(MyRMSprop):
    def update(self, w, g, state):
        state["s"] = self.alpha * state["s"] + (1 - self.alpha) * g * g
        w = w - self.lr * g / (np.sqrt(state["s"]) + self.eps)  # noqa: F841


class RMSpropDividesG(MyRMSprop):
    def update(self, w, g, state):
        state["s"] = self.alpha * state["s"] + (1 - self.alpha) * g * g
        g /= np.sqrt(state["s"]) + self.eps  # changes the parameter's gradient
        w -= self.lr * g


class RMSpropEpsInside(MyRMSprop):
    def update(self, w, g, state):
        state["s"] = self.alpha * state["s"] + (1 - self.alpha) * g * g
        w -= self.lr * g / np.sqrt(state["s"] + self.eps)


class RMSpropNoEps(MyRMSprop):
    def update(self, w, g, state):
        state["s"] = self.alpha * state["s"] + (1 - self.alpha) * g * g
        w -= self.lr * g / np.sqrt(state["s"])


class RMSpropCorrected(MyRMSprop):
    def update(self, w, g, state):
        state["s"] = self.alpha * state["s"] + (1 - self.alpha) * g * g
        w -= self.lr * g / (np.sqrt(state["s"] / (1 - self.alpha**self.t)) + self.eps)


class RMSpropNoState(MyRMSprop):
    def init_state(self, w):
        return {}


class RMSpropFloat64State(MyRMSprop):
    def init_state(self, w):
        return {"s": np.zeros(w.shape)}  # float64 even for float32 w


class NotAnOptimizer:
    def __init__(self, params, lr, alpha, eps, weight_decay):
        self.state = [{"s": np.zeros_like(p.value)} for p in params]


MISTAKES = [
    (check_adam_step, _adam("eps_hat"), "ε̂"),
    (check_MyRMSprop, RMSpropFloat64State, "np.zeros_like(w) keeps w's dtype"),
    (check_momentum_step, lambda w, g, v, lr, b: (w - lr * (b * v + (1 - b) * g),
                                                  b * v + (1 - b) * g), "without the (1 − β)"),
    (check_momentum_step, lambda w, g, v, lr, b: (w - lr * g, b * v + g),
     "not with the gradient alone"),
    (check_momentum_step, lambda w, g, v, lr, b: (w - lr * v, b * v + g), "update v first"),
    (check_momentum_step, lambda w, g, v, lr, b: (w + lr * (b * v + g), b * v + g), "wrong sign"),
    (check_momentum_step, lambda w, g, v, lr, b: (w + b * v - lr * g, b * v - lr * g),
     "torch's convention"),
    (check_momentum_step, momentum_in_place, "changed in place"),
    (check_momentum_step, lambda w, g, v, lr, b: w - lr * (b * v + g), "expected a tuple (w, v)"),
    (check_adam_step, _adam("no_correction"), "bias correction is missing"),
    (check_adam_step, _adam("t_minus_1"), "use the step number t you are given"),
    (check_adam_step, _adam("t_plus_1"), "do not add 1 to t"),
    (check_adam_step, _adam("no_eps"), "ε is missing from the denominator"),
    (check_MyRMSprop, RMSpropDividesG, "g is read-only"),
    (check_adam_step, _adam("beta"), "t-th power"),
    (check_adam_step, _adam("eps_inside"), "ε goes outside the square root"),
    (check_adam_step, _adam("store_hat"), "return the raw m and v"),
    (check_adam_step, _adam("float64"), "float32"),
    (check_MyRMSprop, RMSpropNotStored, "does not carry over between steps"),
    (check_MyRMSprop, RMSpropNotInPlace, "update it in place"),
    (check_MyRMSprop, RMSpropEpsInside, "ε goes outside the square root"),
    (check_MyRMSprop, RMSpropNoEps, "add ε to the denominator"),
    (check_MyRMSprop, RMSpropCorrected, "no bias correction"),
    (check_MyRMSprop, RMSpropNoState, "return a dict of zero arrays"),
    (check_MyRMSprop, NotAnOptimizer, "class MyRMSprop(Optimizer)"),
]

# -- errors in the student's code ----------------------------------------------------------------------


def test_raising_update_is_chained():
    class Broken(MyRMSprop):
        def update(self, w, g, state):
            return 1 / 0

    with pytest.raises(CheckFailure) as info:
        check_MyRMSprop(Broken)
    assert isinstance(info.value.__cause__, ZeroDivisionError)
    assert "opt.step() number 1" in str(info.value)


def test_stub_class_is_not_implemented_yet():
    class Stub(MyRMSprop):  # the exercise's stub: __init__ given, both methods still to write
        def init_state(self, w):
            raise NotImplementedError()

        def update(self, w, g, state):
            raise NotImplementedError()

    with pytest.raises(AssertionError, match="not implemented yet"):
        check_MyRMSprop(Stub)


# -- SGD's largest stable η ---------------------------------------------------------------------------


def _lams(H):
    return np.linalg.eigvalsh(np.asarray(H, dtype=np.float64))


def limit_no_validation(H):
    return 2.0 / _lams(H)[-1]


def limit_allows_saddle(H):  # checks shape and symmetry but not the signs of the eigenvalues
    H = np.asarray(H, dtype=np.float64)
    if H.ndim != 2 or H.shape[0] != H.shape[1] or not np.allclose(H, H.T):
        raise ValueError("H must be symmetric and square")
    return 2.0 / _lams(H)[-1]


MISTAKES += [
    (check_sgd_lr_limit, lambda H: sgd_lr_limit(H) / 2, "starts to jump over the minimum"),
    (check_sgd_lr_limit, lambda H: 2.0 / _lams(H).sum(), "the best fixed step"),
    (check_sgd_lr_limit, lambda H: 2.0 / np.diag(H).max(), "the diagonal entries of H"),
    (check_sgd_lr_limit, lambda H: 2.0 / _lams(H)[0], "the flat direction"),
    (check_sgd_lr_limit, lambda H: _lams(H)[-1] / 2, "upside down"),
    (check_sgd_lr_limit, lambda H: 2 * _lams(H)[-1], "upside down"),
    (check_sgd_lr_limit, lambda H: 2.0 / _lams(H)[-1] ** 2, "square neither"),
    (check_sgd_lr_limit, lambda H: sgd_lr_limit(H) * 1.02, "the run diverges, so the largest "
                                                           "stable η is smaller"),
    (check_sgd_lr_limit, lambda H: sgd_lr_limit(H) * 0.9, "the run still converges"),
    (check_sgd_lr_limit, lambda H: sgd_lr_limit(H) * 2, "expected 0.5, got 1"),
    (check_sgd_lr_limit, lambda H: np.array([sgd_lr_limit(H)]), "should be a single number"),
    (check_sgd_lr_limit, limit_no_validation, "instead of raising ValueError"),
    (check_sgd_lr_limit, limit_allows_saddle, "a negative eigenvalue"),
]
