"""Tolerances from rounding-error analysis, for tests that compare two computations of the same
mathematics (ours against torch, against a formula written out by hand, batch against per-sample).

Notation (N. J. Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed., SIAM 2002,
§2.2 and §3.1): u is the unit roundoff of the dtype (2⁻⁵³ ≈ 1.1e-16 in float64, 2⁻²⁴ ≈ 6.0e-8 in
float32) and γₙ = n·u / (1 − n·u). A chain of n correctly rounded operations is off by at most
γₙ relative; a dot product of k terms, in any summation order, by at most γₖ·Σ|aᵢbᵢ| (absolute:
with cancellation the relative error of the sum is unbounded). Two implementations that each
meet such a bound differ by at most twice it.

Where a computation is too long to bound by hand (a network's forward and backward pass), its
sensitivity is measured instead: ``envelope`` re-evaluates it with every input perturbed by the
backward error a rounding analysis allows (n_ops·u, relative, random signs). To first order the
forward error is linear in that perturbation, so the largest change seen, with a safety factor
because random signs need not be the worst case, bounds what another correct implementation can
differ by.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

#: safety factor on measured envelopes (random signs vs. the worst case)
SAFETY = 10.0


def unit_roundoff(dtype: np.dtype | type = np.float64) -> float:
    """u = ε/2 of ``dtype``."""
    return float(np.finfo(dtype).eps) / 2


def gamma(n: int, dtype: np.dtype | type = np.float64) -> float:
    """γₙ = n·u / (1 − n·u): the relative error bound of n correctly rounded operations."""
    nu = n * unit_roundoff(dtype)
    assert nu < 0.5, "too many operations for a first-order bound"
    return nu / (1 - nu)


def two_ways(n_ops: int, dtype: np.dtype | type = np.float64, cond: float = 1.0) -> float:
    """Relative tolerance between two computations of one value, each of at most ``n_ops``
    correctly rounded operations, of a problem with condition number ``cond``: 2·γₙ·cond."""
    return 2 * gamma(n_ops, dtype) * cond


def matmul_bound(A: np.ndarray, B: np.ndarray, extra_ops: int = 0,
                 dtype: np.dtype | type = np.float64) -> np.ndarray:
    """Elementwise bound on the difference of two computations of A @ B (any summation order,
    both from the same A and B): 2·γ_{k + extra_ops}·(|A| @ |B|), k the inner dimension."""
    k = np.shape(A)[-1]
    return 2 * gamma(k + extra_ops, dtype) * (np.abs(A) @ np.abs(B))


def assert_within(actual, desired, bound, what: str = "") -> None:
    """|actual − desired| ≤ bound elementwise (bound broadcasts), with a readable failure."""
    actual, desired = np.asarray(actual, dtype=np.float64), np.asarray(desired, dtype=np.float64)
    diff = np.abs(actual - desired)
    bound = np.broadcast_to(np.asarray(bound, dtype=np.float64), diff.shape)
    bad = ~(diff <= bound)
    if bad.any():
        i = np.unravel_index(int(np.argmax(np.where(bad, diff / np.maximum(bound, 1e-300), -1))),
                             diff.shape)
        raise AssertionError(
            f"{what or 'values'}: {int(bad.sum())} of {diff.size} entries differ by more than "
            f"the rounding bound; worst at {i}: {actual[i]!r} vs {desired[i]!r}, "
            f"difference {diff[i]:.3g} > bound {bound[i]:.3g}")


def envelope(f: Callable[..., np.ndarray | Sequence[np.ndarray]], inputs: Sequence[np.ndarray],
             n_ops: int, draws: int = 3, seed: int = 0,
             dtype: np.dtype | type = np.float64) -> list[np.ndarray]:
    """Per-output elementwise tolerances for comparing ``f(*inputs)`` with another correct
    implementation whose backward error is at most ``n_ops``·u per input (see the module doc):
    SAFETY × the largest change of each output over ``draws`` random relative perturbations of
    size n_ops·u of all inputs, and never below two_ways(n_ops)·|output|."""

    def outputs(xs: Sequence[np.ndarray]) -> list[np.ndarray]:
        out = f(*xs)
        out = [out] if isinstance(out, np.ndarray) else list(out)
        return [np.array(o, dtype=np.float64, copy=True) for o in out]

    base = outputs(inputs)
    dev = [np.zeros_like(o) for o in base]
    rng = np.random.default_rng(seed)
    size = n_ops * unit_roundoff(dtype)
    for _ in range(draws):
        xs = [np.asarray(x) * (1 + size * rng.uniform(-1, 1, size=np.shape(x))) for x in inputs]
        for d, o, b in zip(dev, outputs(xs), base, strict=True):
            np.maximum(d, np.abs(o - b), out=d)
    return [np.maximum(SAFETY * d, two_ways(n_ops, dtype) * np.abs(b))
            for d, b in zip(dev, base, strict=True)]


def network_envelope(net, loss, X: np.ndarray, y: np.ndarray, draws: int = 3) -> dict[str, np.ndarray]:
    """Tolerances for comparing one forward + backward pass of ``net`` with another correct
    implementation, by a running-error model: every layer's output, in
    both passes, and every parameter carry a relative error of at most n·u, n the longest chain
    of roundings in one layer (BatchNorm over m rows: 6m + 16; Linear: fan-in + 1; the loss over
    k classes: 3k + 10). The passes are re-run with each of those perturbed by ±n·u (random
    signs); SAFETY × the largest change of each result is its tolerance, never below
    2·γ_n·|result|. BatchNorm's dX, whose terms cancel, is bounded relative to its terms
    separately (test_layers); in a network its rounding enters as the layer's output
    perturbation.

    Keys: "out", "loss", "dX", "<layer>.d<param>" (e.g. "0.dW") and "<layer>.<buffer>"."""
    saved = net.state_dict()  # before any forward pass changes BatchNorm's running statistics
    m, k = X.shape[0], net.forward(X).shape[1]
    net.load_state_dict(saved)
    n_ops = max(3 * k + 10, *(getattr(layer, "n_in", 0) + 1 for layer in net.layers))
    if any(layer.buffer_names for layer in net.layers):  # BatchNorm
        n_ops = max(n_ops, 6 * m + 16)
    size = n_ops * unit_roundoff()
    rng = np.random.default_rng(0)

    def jitter(a, on):
        return a * (1 + size * rng.uniform(-1, 1, size=np.shape(a))) if on else a

    def run(on):
        net.load_state_dict({k: jitter(v, on) for k, v in saved.items()})
        A = jitter(X, on)
        for layer in net.layers:
            A = jitter(layer.forward(A), on)
        res = {"out": A, "loss": np.array(loss.forward(A, y))}
        d = jitter(loss.backward(), on)
        for layer in reversed(net.layers):
            d = jitter(layer.backward(d), on)
        res["dX"] = d
        for i, layer in enumerate(net.layers):
            for attr in layer.param_names:
                res[f"{i}.d{attr}"] = getattr(layer, "d" + attr).copy()
            for attr in layer.buffer_names:
                res[f"{i}.{attr}"] = getattr(layer, attr).copy()
        net.load_state_dict(saved)
        return res

    base = run(False)
    dev = {k: np.zeros_like(v) for k, v in base.items()}
    for _ in range(draws):
        for k, v in run(True).items():
            dev[k] = np.maximum(dev[k], np.abs(v - base[k]))
    return {k: np.maximum(SAFETY * dev[k], two_ways(n_ops) * np.abs(base[k])) for k in base}


def batchnorm_bounds(X: np.ndarray, G: np.ndarray, gamma_: np.ndarray, beta: np.ndarray,
                     eps: float) -> dict[str, np.ndarray]:
    """Tolerances for comparing BatchNorm's training-mode forward Y and backward dX, dγ, dβ (upstream
    gradient G) over a batch X of m rows with another correct implementation: at most
    n = 6m + 24 roundings per result (the mean, the variance and the backward's column sums of
    m terms each, plus ~24 elementwise operations), measured with ``envelope``; dX, a
    difference of terms of size |G|·γ/σ that can cancel to almost nothing (m = 2 makes
    ẑ = ±1), is also allowed 2·γ_n × the sum of its terms' magnitudes."""
    from backprop_lab.layers import BatchNorm

    m, n_ops = X.shape[0], 6 * X.shape[0] + 24

    def passes(X, G, g, b):
        bn = BatchNorm(X.shape[1], eps=eps)
        bn.gamma[...], bn.beta[...] = g, b
        Y = bn.forward(X)
        return Y, bn.backward(G), bn.dgamma, bn.dbeta

    tol = dict(zip(("Y", "dX", "dgamma", "dbeta"),
                   envelope(passes, [X, G, gamma_, beta], n_ops), strict=True))
    inv_std = 1 / np.sqrt(X.var(axis=0) + eps)
    X_hat, dX_hat = np.abs(X - X.mean(axis=0)) * inv_std, np.abs(G * gamma_)
    terms = inv_std / m * (m * dX_hat + dX_hat.sum(axis=0) + X_hat * (dX_hat * X_hat).sum(axis=0))
    tol["dX"] = np.maximum(tol["dX"], two_ways(n_ops) * terms)
    return tol
