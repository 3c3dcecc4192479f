"""The lesson 10 checks: references pass, typical mistakes fail with their own hint, errors chain."""

import numpy as np

from backprop_lab.checks.lesson10 import (
    check_dropout_backward,
    check_dropout_forward,
    check_early_stopping,
    check_l2_grad,
)

# -- independent reference implementations ---------------------------------------------------------


def l2_grad(dW, W, lam):
    return dW + lam * W


def dropout_forward(X, p, U):
    mask = (U >= p).astype(X.dtype) / X.dtype.type(1 - p)
    return X * mask, mask


def dropout_backward(dA, mask):
    return dA * mask


def early_stopping(val_losses, patience):
    best_epoch, since_best = 0, 0
    for epoch in range(1, len(val_losses)):
        if val_losses[epoch] < val_losses[best_epoch]:
            best_epoch, since_best = epoch, 0
        else:
            since_best += 1
            if since_best == patience:
                return best_epoch, epoch
    return best_epoch, len(val_losses) - 1


REFERENCES = [
    (check_l2_grad, l2_grad),
    (check_dropout_forward, dropout_forward),
    (check_dropout_backward, dropout_backward),
    (check_early_stopping, early_stopping),
]
CHECKS = [check for check, _ in REFERENCES]

# -- typical mistakes, each with its own hint ----------------------------------------------------------


def l2_in_place(dW, W, lam):
    dW += lam * W
    return dW


def _dropout(scale, keep=lambda U, p: U >= p):
    def wrong(X, p, U):
        mask = keep(U, p) * scale(p)
        return X * mask, mask
    return wrong


def es_stop_as_best(val, patience):
    return early_stopping(val, patience)[1], early_stopping(val, patience)[1]


def es_argmin_all(val, patience):
    return int(np.argmin(val)), early_stopping(val, patience)[1]


def es_less_equal(val, patience):
    best, best_epoch, bad = np.inf, 0, 0
    for epoch, v in enumerate(val):
        if v <= best:
            best, best_epoch, bad = v, epoch, 0
        else:
            bad += 1
            if bad >= patience:
                return best_epoch, epoch
    return best_epoch, len(val) - 1


def es_one_late(val, patience):
    return early_stopping(val, patience + 1) if len(val) > 1 else (0, 0)


def es_one_based(val, patience):
    best, stop = early_stopping(val, patience)
    return best + 1, stop + 1


def es_losses(val, patience):
    best, stop = early_stopping(val, patience)
    return float(val[best]), float(val[stop])


MISTAKES = [
    (check_l2_grad, lambda dW, W, lam: dW + 2 * lam * W, "not 2λ·W"),
    (check_l2_grad, lambda dW, W, lam: dW - lam * W, "wrong sign"),
    (check_l2_grad, lambda dW, W, lam: lam * W, "add the penalty's gradient to the data gradient"),
    (check_l2_grad, lambda dW, W, lam: dW + lam * np.sign(W), "L1 penalty"),
    (check_l2_grad, l2_in_place, "changed in place"),
    (check_l2_grad, lambda dW, W, lam: (dW + lam * W).astype(np.float64), "float32"),
    (check_dropout_forward, _dropout(lambda p: p), "not by p"),
    (check_dropout_forward, _dropout(lambda p: 1.0), "so that E[A] = X"),
    (check_dropout_forward, _dropout(lambda p: 1 - p), "do not multiply"),
    (check_dropout_forward, _dropout(lambda p: 1 / (1 - p), lambda U, p: U < p),
     "p is the probability to DROP"),
    (check_dropout_forward, _dropout(lambda p: 1 / (1 - p), lambda U, p: U > p), "(≥, not >)"),
    (check_dropout_forward, lambda X, p, U: (X * (U >= p), (U >= p) / (1 - p)),
     "A must use the scaled mask"),
    (check_dropout_forward, lambda X, p, U: dropout_forward(X, p, U)[0], "expected a pair (A, mask)"),
    (check_dropout_backward, lambda dA, mask: dA * (mask > 0), "use the scaled mask"),
    (check_dropout_backward, lambda dA, mask: dA / mask, "do not divide"),
    (check_dropout_backward, lambda dA, mask: dA.copy(), "they get no gradient back"),
    (check_dropout_backward, lambda dA, mask: mask.copy(), "multiply the upstream gradient"),
    (check_early_stopping, es_stop_as_best, "not the epoch where training stopped"),
    (check_early_stopping, es_argmin_all, "not the minimum of the whole list"),
    (check_early_stopping, es_less_equal, "strictly lower"),
    (check_early_stopping, es_one_late, "not one epoch later"),
    (check_early_stopping, es_one_based, "0-based"),
    (check_early_stopping, es_losses, "not losses"),
]

# -- errors in the student's code ----------------------------------------------------------------------
