"""The lesson 12 checks: references pass, typical mistakes fail with their own hint, errors chain."""

import numpy as np
import pytest

from backprop_lab.checks import CheckFailure
from backprop_lab.checks.lesson12 import (
    check_is_diverging,
    check_linear_backward,
    check_mse_loss_grad,
    check_relative_error,
)

# -- independent reference implementations ---------------------------------------------------------


def linear_backward(dZ, A_prev, W):
    return dZ.T @ A_prev, dZ.sum(axis=0), dZ @ W


def mse_loss_grad(P, T):
    diff = P - T
    return float(np.mean(diff**2)), diff * diff.dtype.type(2 / diff.size)


def is_diverging(losses):
    return bool(not np.all(np.isfinite(losses)) or losses[-1] > losses[0])


def relative_error(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-8)


REFERENCES = [
    (check_linear_backward, linear_backward),
    (check_mse_loss_grad, mse_loss_grad),
    (check_is_diverging, is_diverging),
    (check_relative_error, relative_error),
]
CHECKS = [check for check, _ in REFERENCES]

# -- typical mistakes, each with its own hint ----------------------------------------------------------


def lb_transposed_square_only(dZ, A_prev, W):
    """The lesson's bug where shapes cannot catch it: transposed dW on square layers."""
    dW = A_prev.T @ dZ if W.shape[0] == W.shape[1] else dZ.T @ A_prev
    return dW, dZ.sum(axis=0), dZ @ W


def lb_dA_with_WT_square_only(dZ, A_prev, W):
    dA = dZ @ W.T if W.shape[0] == W.shape[1] else dZ @ W
    return dZ.T @ A_prev, dZ.sum(axis=0), dA


def lb_float64(dZ, A_prev, W):
    return tuple(x.astype(np.float64) for x in linear_backward(dZ, A_prev, W))


def mse_sum(P, T):
    diff = P - T
    return float(np.mean(diff**2)), 2 * diff


def mse_fixed_n(P, T):
    """Divides by the size of the first batch it was written for (4 × 3 = 12): no growth check."""
    diff = P - T
    return float(np.sum(diff**2) / 12) if P.shape == (4, 3) else float(np.mean(diff**2)), \
        2 * diff / 12


def div_last_vs_first(losses):
    return bool(losses[-1] > losses[0])


def div_nonfinite_only(losses):
    return bool(not np.all(np.isfinite(losses)))


def div_max_vs_first(losses):
    return bool(not np.all(np.isfinite(losses)) or losses.max() > losses[0])


def div_last_step(losses):
    return bool(not np.all(np.isfinite(losses)) or (len(losses) > 1 and losses[-1] > losses[-2]))


def div_isnan(losses):
    return bool(np.any(np.isnan(losses)) or losses[-1] > losses[0])


def re_no_floor(a, b):
    return np.abs(a - b) / (np.abs(a) + np.abs(b))


def re_in_place(a, b):
    a -= b
    return np.abs(a) / np.maximum(np.abs(a + b) + np.abs(b), 1e-8)


MISTAKES = [
    (check_linear_backward, lambda dZ, A, W: (A.T @ dZ, dZ.sum(axis=0), dZ @ W),
     "dW is transposed"),
    (check_linear_backward, lb_transposed_square_only, "only the values show it"),
    (check_linear_backward, lambda dZ, A, W: (dZ.T @ A / len(dZ), dZ.sum(axis=0), dZ @ W),
     "no 1/m here"),
    (check_linear_backward, lambda dZ, A, W: (-dZ.T @ A, dZ.sum(axis=0), dZ @ W), "wrong sign"),
    (check_linear_backward, lambda dZ, A, W: (dZ.T @ A, dZ.mean(axis=0), dZ @ W),
     "sum dZ over the batch, do not average"),
    (check_linear_backward, lb_dA_with_WT_square_only, "not dZ @ W.T"),
    (check_linear_backward, lambda dZ, A, W: (dZ.T @ A, dZ.sum(axis=0)), "expected 3 results"),
    (check_linear_backward, lb_float64, "float32"),
    (check_mse_loss_grad, lambda P, T: (float(np.sum((P - T) ** 2)), 2 * (P - T)),
     "the loss is summed over the batch"),
    (check_mse_loss_grad, mse_sum, "dP grows with the batch size"),
    (check_mse_loss_grad, lambda P, T: (float(np.mean((P - T) ** 2)), 2 * (P - T) / len(P)),
     "not only by the m rows"),
    (check_mse_loss_grad, lambda P, T: (float(np.sum((P - T) ** 2)) / len(P), 2 * (P - T) / P.size),
     "not only the m rows"),
    (check_mse_loss_grad, lambda P, T: (float(np.mean((P - T) ** 2)), (P - T) / P.size),
     "the factor 2 is missing"),
    (check_mse_loss_grad, lambda P, T: (float(np.mean((P - T) ** 2)), 2 * (T - P) / P.size),
     "wrong sign"),
    (check_mse_loss_grad, mse_fixed_n, "4 times is 4 times the one"),
    (check_mse_loss_grad, lambda P, T: 2 * (P - T) / P.size, "expected 2 results (loss, dP)"),
    (check_is_diverging, div_last_vs_first, "NaN compares False"),
    (check_is_diverging, div_nonfinite_only, "diverges before it overflows"),
    (check_is_diverging, div_max_vs_first, "a bump along the way"),
    (check_is_diverging, div_last_step, "not with the step before"),
    (check_is_diverging, div_isnan, "-inf is not a finite loss either"),
    (check_is_diverging, lambda losses: np.isfinite(losses), "return one bool"),
    (check_is_diverging, lambda losses: None, "forget to `return`"),
    (check_relative_error, lambda a, b: np.abs(a - b) / np.maximum(
        np.maximum(np.abs(a), np.abs(b)), 1e-8), "not by max(|a|, |b|)"),
    (check_relative_error, lambda a, b: (a - b) / (np.abs(a) + np.abs(b)),
     "take the absolute value"),
    (check_relative_error, lambda a, b: np.abs(a - b), "absolute error"),
    (check_relative_error, lambda a, b: np.abs(a - b) / np.abs(b), "not by |b| alone"),
    (check_relative_error, re_no_floor, "the floor 1e-8 handles that case"),
    (check_relative_error, lambda a, b: np.abs(a - b) / np.maximum(np.abs(a + b), 1e-8),
     "not |a + b|"),
    (check_relative_error, re_in_place, "changed in place"),
    (check_linear_backward, lambda dZ, A, W: (dZ @ W, dZ.T @ A, dZ.sum(axis=0)),
     "this task's order (dW, db, dA_prev)"),
    (check_relative_error, lambda a, b: np.abs(a - b) / (np.abs(a) + np.abs(b) + 1e-8),
     "not an added 1e-8"),
]

# -- errors in the student's code ----------------------------------------------------------------------


def test_the_library_relative_error_passes(capsys):
    from backprop_lab.gradcheck import relative_error as library

    check_relative_error(library)
    assert "checks passed" in capsys.readouterr().out


def test_is_diverging_accepts_numpy_bools(capsys):
    check_is_diverging(lambda losses: ~np.all(np.isfinite(losses)) | (losses[-1] > losses[0]))
    assert "checks passed" in capsys.readouterr().out


def test_transposed_dw_on_a_non_square_layer_is_a_shape_error():
    def transposed_non_square(dZ, A, W):
        dW = dZ.T @ A if W.shape[0] == W.shape[1] else A.T @ dZ
        return dW, dZ.sum(axis=0), dZ @ W

    with pytest.raises(AssertionError, match=r"dW has shape \(5, 2\), expected \(2, 5\)") as info:
        check_linear_backward(transposed_non_square)
    assert "the shape is transposed" in str(info.value)


def test_relative_error_division_by_zero_is_chained():
    with pytest.raises(CheckFailure) as info:
        check_relative_error(re_no_floor)
    assert isinstance(info.value.__cause__, FloatingPointError)
