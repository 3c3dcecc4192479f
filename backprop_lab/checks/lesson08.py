"""Checks for ``exercises/08_optimizers.ipynb``.

One check per task: :func:`check_momentum_step`, :func:`check_adam_step`,
:func:`check_MyRMSprop`. Each runs several steps on a fixed sequence of gradients and compares every
iterate (and the optimizer state) with the library's optimizer — :class:`backprop_lab.optim.Momentum`,
:class:`~backprop_lab.optim.Adam`, :class:`~backprop_lab.optim.RMSprop` — driven on a
:class:`~backprop_lab.parameter.Point` with the same gradients. Typical wrong rules are simulated
here, step by step, so a wrong answer gets the hint for its mistake.

:func:`check_sgd_lr_limit` (SGD's largest stable η on a quadratic, lesson 08's race task) compares
with 2/λ_max from ``np.linalg.eigvalsh`` and runs plain gradient descent on the Hessian on both sides
of the student's value, so a wrong value is explained by what the runs do there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from backprop_lab.checks.core import Checker
from backprop_lab.checks.helpers import expect_raises
from backprop_lab.optim import Adam, Momentum, Optimizer, RMSprop
from backprop_lab.parameter import Point

__all__ = ["check_MyRMSprop", "check_adam_step", "check_momentum_step", "check_sgd_lr_limit"]

F32 = {"rtol": 1e-5, "atol": 1e-7}


def _grads(seed: int, k: int, d: int, dtype: type = np.float64) -> np.ndarray:
    """k gradients of d entries with magnitudes from 1e-4 to 10 (so ε placement shows)."""
    rng = np.random.default_rng(seed)
    scale = 10.0 ** rng.integers(-4, 2, size=d)
    return (rng.standard_normal((k, d)) * scale).astype(dtype)


def _library(opt_factory: Callable, w0: np.ndarray, G: np.ndarray, keys: tuple[str, ...]
             ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Iterates (k, d) and state trajectories of a library optimizer fed the gradients G."""
    point = Point(w0, dtype=w0.dtype)
    opt = opt_factory([point.param])
    ws, states = [], {key: [] for key in keys}
    for g in G:
        point.dvalue[...] = g
        opt.step()
        ws.append(point.value.copy())
        for key in keys:
            states[key].append(opt.state[0][key].copy())
    return np.array(ws), {key: np.array(v) for key, v in states.items()}


# -- task 1: momentum -----------------------------------------------------------------------------


def _momentum_variant(kind: str, w0: np.ndarray, G: np.ndarray, lr: float, beta: float
                      ) -> tuple[np.ndarray, np.ndarray]:
    w, v = w0.astype(np.float64), np.zeros(w0.shape)
    ws, vs = [], []
    for g in G.astype(np.float64):
        v_old = v
        if kind == "ema":
            v = beta * v + (1 - beta) * g
        elif kind == "step":
            v = beta * v - lr * g
        else:
            v = beta * v + g
        if kind == "sgd":
            w = w - lr * g
        elif kind == "old_v":
            w = w - lr * v_old
        elif kind == "ascent":
            w = w + lr * v
        elif kind == "step":
            w = w + v
        else:
            w = w - lr * v
        ws.append(w)
        vs.append(v)
    return np.array(ws), np.array(vs)


def _run_steps(c: Checker, G: np.ndarray, state0: tuple[np.ndarray, ...], w0: np.ndarray,
               call: Callable[[np.ndarray, np.ndarray, tuple, int], Any],
               names: tuple[str, ...], what: str, label: str
               ) -> tuple[np.ndarray, list[np.ndarray]]:
    """Feed the student's outputs back in for len(G) steps; trajectories of w and of the state."""
    w, state = w0, state0
    ws, states = [], [[] for _ in state0]
    for t, g in enumerate(G, start=1):
        out = c.results(call(w, g, state, t), names,
                        hint="new arrays: the state is passed back in next step")
        for name, arr in zip(names, out, strict=True):
            c.array(arr, dtype=w0.dtype, shape=w0.shape, name=f"{name} (step {t}, {what})")
        w, state = out[0], tuple(out[1:])
        ws.append(w)
        for i, s in enumerate(state):
            states[i].append(s)
    c.label = f"{label}, all {len(G)} steps"
    return np.array(ws), [np.array(s) for s in states]


def check_momentum_step(momentum_step: Callable) -> None:
    """(w, v) ← (w − η·v_new, v_new) with v_new = β·v + g, as torch.optim.SGD(momentum=β)."""
    c = Checker("momentum_step", momentum_step)

    def call(label: str, lr: float, beta: float) -> Callable:
        def step(w: np.ndarray, g: np.ndarray, state: tuple, t: int) -> Any:
            return c.call(w, g, state[0], lr, beta, label=f"{label}, step {t}")
        return step

    cases = [  # (short name, label, w0, G, lr, beta, mistakes, tol)
        ("5 steps", "w = [1, -2, 0.5], v = 0, lr = 0.1, beta = 0.9, 5 steps with fixed gradients",
         np.array([1.0, -2.0, 0.5]), _grads(80, 5, 3), 0.1, 0.9, True, {}),
        ("beta = 0", "beta = 0 (plain SGD), lr = 0.5, 3 steps", np.array([0.3, 0.1, -0.4]), _grads(81, 3, 3),
         0.5, 0.0, False, {}),
        ("zero gradients", "a zero gradient at every step, w = [2, -1], lr = 0.1, beta = 0.9",
         np.array([2.0, -1.0]), np.zeros((3, 2)), 0.1, 0.9, False, {}),
        ("float32", "float32 w = [1, -2, 0.5], lr = 0.1, beta = 0.9, 4 steps",
         np.array([1.0, -2.0, 0.5], dtype=np.float32), _grads(82, 4, 3, np.float32), 0.1, 0.9,
         False, F32),
    ]
    hints = [
        ("ema", "torch's momentum accumulates v ← β·v + g, without the (1 − β) factor "
                "(that is an exponential average, as in Adam's m)"),
        ("sgd", "step with the velocity: w ← w − lr·v, not with the gradient alone"),
        ("old_v", "update v first, then step with the new velocity: the first step has v = g"),
        ("ascent", "wrong sign: w ← w − lr·v moves against the gradient"),
        ("step", "this course stores the velocity in torch's convention, v ← β·v + g (without "
                 "the learning rate), and steps w ← w − lr·v"),
    ]
    for short, label, w0, G, lr, beta, mistakes, tol in cases:
        ws, (vs,) = _run_steps(c, G, (np.zeros_like(w0),), w0, call(label, lr, beta), ("w", "v"),
                               short, label)
        ref_w, ref_state = _library(lambda p, lr=lr, beta=beta: Momentum(p, lr=lr, beta=beta),
                                    w0, G, ("v",) if beta > 0 else ())
        ref_v = ref_state["v"] if beta > 0 else G  # with β = 0 the velocity is the gradient
        variants = {k: _momentum_variant(k, w0, G, lr, beta) for k, _ in hints} if mistakes else {}
        c.close(vs, ref_v, what=f"the velocity v after each step ({short}; row i: step i + 1)", **tol,
                hint="v ← β·v + g, starting from v = 0 (so the first v is g)",
                mistakes=[(variants[k][1], h) for k, h in hints if k in variants])
        c.close(ws, ref_w, what=f"w after each step ({short}; row i: step i + 1)", **tol,
                hint="w ← w − lr·v with the new v",
                mistakes=[(variants[k][0], h) for k, h in hints if k in variants])
    c.done()


# -- task 2: Adam ---------------------------------------------------------------------------------


def _adam_variant(kind: str, w0: np.ndarray, G: np.ndarray, lr: float, b1: float, b2: float,
                  eps: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The iterates w and the returned state m, v of a typical wrong Adam step."""
    w, m, v = w0.astype(np.float64), np.zeros(w0.shape), np.zeros(w0.shape)
    ws, ms, vs = [], [], []
    with np.errstate(all="ignore"):
        for t, g in enumerate(G.astype(np.float64), start=1):
            m = (b1 * m + g) if kind == "no_1mb1" else b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * (g if kind == "g_not_g2" else g * g)
            if kind == "no_correction":
                m_hat, v_hat = m, v
            elif kind == "t_minus_1":
                m_hat, v_hat = m / (1 - b1 ** (t - 1)), v / (1 - b2 ** (t - 1))
            elif kind == "t_plus_1":
                m_hat, v_hat = m / (1 - b1 ** (t + 1)), v / (1 - b2 ** (t + 1))
            elif kind == "beta_not_power":
                m_hat, v_hat = m / (1 - b1), v / (1 - b2)
            elif kind == "only_m":
                m_hat, v_hat = m / (1 - b1**t), v
            else:
                m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
            if kind == "store_hat":
                m, v = m_hat, v_hat
            denom = (np.sqrt(v_hat + eps) if kind == "eps_inside" else np.sqrt(v_hat)
                     if kind == "no_eps" else np.sqrt(v_hat) + eps)
            if kind == "eps_hat":  # Kingma & Ba, Section 2: α_t = α√(1 − β₂ᵗ)/(1 − β₁ᵗ), ε̂
                w = w - lr * np.sqrt(1 - b2**t) / (1 - b1**t) * m / (np.sqrt(v) + eps)
            else:
                w = w - lr * m_hat / denom
            ws.append(w)
            ms.append(m)
            vs.append(v)
    return np.array(ws), np.array(ms), np.array(vs)


def check_adam_step(adam_step: Callable) -> None:
    """Adam (Kingma & Ba 2015) with bias correction, step t; returns the new (w, m, v)."""
    c = Checker("adam_step", adam_step)
    hints = [
        ("no_correction", "bias correction is missing: divide m by (1 − β₁ᵗ) and v by (1 − β₂ᵗ) "
                          "before the step (m and v start at 0, so early on they are too small)"),
        ("t_minus_1", "use the step number t you are given (t = 1 on the first step): "
                      "1 − β^(t−1) is 0 there"),
        ("t_plus_1", "use the step number t as given: the first call already has t = 1, so "
                     "the first correction is 1 − β₁¹ (do not add 1 to t)"),
        ("beta_not_power", "the correction uses the t-th power: 1 − β₁ᵗ and 1 − β₂ᵗ, not 1 − β"),
        ("only_m", "correct both moments: v̂ = v / (1 − β₂ᵗ) as well as m̂ = m / (1 − β₁ᵗ)"),
        ("eps_inside", "ε goes outside the square root: m̂ / (√v̂ + ε)"),
        ("no_eps", "ε is missing from the denominator: m̂ / (√v̂ + ε); without it a zero "
                   "gradient gives 0/0"),
        ("g_not_g2", "the second moment averages the squared gradient: v ← β₂·v + (1 − β₂)·g²"),
        ("no_1mb1", "m is an exponential average: m ← β₁·m + (1 − β₁)·g"),
        ("store_hat", "return the raw m and v as the new state; the corrected m̂, v̂ are only "
                      "used for this step"),
        ("eps_hat", "that is the \"ε̂\" form of Kingma & Ba (2015), end of Section 2: "
                    "lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ) · m / (√v + ε̂). It equals Algorithm 1 only with "
                    "ε̂ = ε·√(1 − β₂ᵗ); with the same ε it differs wherever ε is not negligible "
                    "against √v̂ (here ε = 1e-3). Use Algorithm 1, as the library and torch do: "
                    "m̂ = m / (1 − β₁ᵗ), v̂ = v / (1 − β₂ᵗ), then lr·m̂ / (√v̂ + ε)"),
    ]

    def call(label: str, lr: float, b1: float, b2: float, eps: float) -> Callable:
        def step(w: np.ndarray, g: np.ndarray, state: tuple, t: int) -> Any:
            return c.call(w, g, state[0], state[1], t, lr, b1, b2, eps,
                          label=f"{label}, step t = {t}")
        return step

    cases = [  # (short name, label, w0, G, lr, beta1, beta2, eps, mistakes, tol)
        ("6 steps", "w = [1, -2, 0.5, 3], m = v = 0, lr = 0.1, betas = (0.9, 0.999), eps = 1e-8, "
         "gradients from 1e-4 to 10", np.array([1.0, -2.0, 0.5, 3.0]), _grads(83, 6, 4), 0.1, 0.9,
         0.999, 1e-8, True, {}),
        ("other betas and eps", "betas = (0.5, 0.9), eps = 1e-3, lr = 0.01, 4 steps", np.array([0.2, -0.1, 0.0]),
         _grads(84, 4, 3), 0.01, 0.5, 0.9, 1e-3, True, {}),
        ("zero gradients", "a zero gradient at every step (no 0/0), w = [1, 2]", np.array([1.0, 2.0]),
         np.zeros((3, 2)), 0.1, 0.9, 0.999, 1e-8, False, {}),
        ("float32", "float32 w = [1, -2, 0.5, 3], lr = 0.1, 4 steps",
         np.array([1.0, -2.0, 0.5, 3.0], dtype=np.float32), _grads(85, 4, 4, np.float32), 0.1,
         0.9, 0.999, 1e-8, False, {"rtol": 1e-4, "atol": 1e-6}),
    ]
    for short, label, w0, G, lr, b1, b2, eps, mistakes, tol in cases:
        z = np.zeros_like(w0)
        with np.errstate(all="ignore"):
            ws, (ms, vs) = _run_steps(c, G, (z, z.copy()), w0, call(label, lr, b1, b2, eps),
                                      ("w", "m", "v"), short, label)
        ref_w, ref = _library(lambda p, lr=lr, b1=b1, b2=b2, eps=eps:
                              Adam(p, lr=lr, betas=(b1, b2), eps=eps), w0, G, ("m", "v"))
        variants = ({k: _adam_variant(k, w0, G, lr, b1, b2, eps) for k, _ in hints}
                    if mistakes else {})
        for name, got, expected, rule, index in (
                ("m", ms, ref["m"], "m ← β₁·m + (1 − β₁)·g (raw, not bias-corrected)", 1),
                ("v", vs, ref["v"], "v ← β₂·v + (1 − β₂)·g² (raw, not bias-corrected)", 2),
                ("w", ws, ref_w, "w ← w − lr·m̂ / (√v̂ + ε) with m̂ = m / (1 − β₁ᵗ), "
                                 "v̂ = v / (1 − β₂ᵗ)", 0)):
            c.close(got, expected, what=f"{name} after each step ({short}; row i: step i + 1)",
                    hint=rule, **tol,
                    mistakes=[(variants[k][index], h) for k, h in hints if k in variants])
    c.done()


# -- task 3: an Optimizer subclass ----------------------------------------------------------------


def _rmsprop_variant(kind: str, w0s: list[np.ndarray], Gs: list[np.ndarray], lr: float,
                     alpha: float, eps: float, wd: float) -> np.ndarray:
    out = []
    with np.errstate(all="ignore"):
        for w0, G in zip(w0s, Gs, strict=True):
            w, s = w0.astype(np.float64), np.zeros(w0.shape)
            traj = []
            for t, grad in enumerate(G.astype(np.float64), start=1):
                g = grad + wd * w
                if kind == "no_1ma":
                    s_new = alpha * s + g * g
                elif kind == "not_stored":
                    s_new = (1 - alpha) * g * g
                else:
                    s_new = alpha * s + (1 - alpha) * g * g
                s = s_new
                s_hat = s / (1 - alpha**t) if kind == "corrected" else s
                if kind == "eps_inside":
                    step = lr * g / np.sqrt(s_hat + eps)
                elif kind == "no_sqrt":
                    step = lr * g / (s_hat + eps)
                elif kind == "no_eps":
                    step = lr * g / np.sqrt(s_hat)
                else:
                    step = lr * g / (np.sqrt(s_hat) + eps)
                if kind != "not_in_place":
                    w = w - step
                traj.append(w.reshape(-1))
            out.append(np.array(traj))
    return np.concatenate(out, axis=1)


def check_MyRMSprop(MyRMSprop: Any) -> None:
    """An Optimizer subclass with RMSprop's rule: equal to backprop_lab.optim.RMSprop, step by step."""
    c = Checker("MyRMSprop", MyRMSprop)
    hints = [
        ("not_stored", "the running average s does not carry over between steps: update the "
                       "array in state in place (s *= α; s += …) or store the new one back in "
                       "state[\"s\"]"),
        ("not_in_place", "w does not change: update it in place (w -= …); `w = w - …` only "
                         "rebinds a local name, the parameter never sees it"),
        ("no_1ma", "s is an exponential average: s ← α·s + (1 − α)·g²"),
        ("eps_inside", "ε goes outside the square root, as in torch: g / (√s + ε)"),
        ("no_sqrt", "divide by the root mean square: g / (√s + ε), not g / (s + ε)"),
        ("corrected", "RMSprop (torch's, and the library's) has no bias correction: use s as it "
                      "is, not s / (1 − αᵗ)"),
        ("no_eps", "add ε to the denominator, g / (√s + ε): where s = 0 the step is 0/0 without it"),
    ]
    cases = [  # (short name, label, lr, alpha, eps, weight decay, dtype, mistakes)
        ("5 steps", "two parameters of shapes (3,) and (2, 2), lr = 0.01, alpha = 0.9, eps = 1e-8, "
         "weight_decay = 0, 5 steps, one gradient entry 0 at every step", 0.01, 0.9, 1e-8, 0.0,
         np.float64, True),
        ("weight decay", "lr = 0.05, alpha = 0.99, eps = 1e-6, weight_decay = 0.1, 3 steps", 0.05, 0.99, 1e-6,
         0.1, np.float64, False),
        ("float32", "float32 parameters, lr = 0.01, alpha = 0.9, eps = 1e-8, 3 steps", 0.01, 0.9, 1e-8, 0.0,
         np.float32, False),
    ]
    for short, label, lr, alpha, eps, wd, dtype, mistakes in cases:
        rng = np.random.default_rng(86)
        k = 5 if mistakes else 3
        w0s = [rng.standard_normal(3).astype(dtype), rng.standard_normal((2, 2)).astype(dtype)]
        Gs = [_grads(87, k, 3, dtype), _grads(88, k, 4, dtype).reshape(k, 2, 2)]
        Gs[0][:, 1] = 0.0
        points = [Point(w, dtype=dtype) for w in w0s]
        opt = c.call([p.param for p in points], lr, alpha, eps, wd,
                     label=f"MyRMSprop(params, {lr}, {alpha}, {eps}, {wd}) for {label}")
        if not isinstance(opt, Optimizer):
            c.fail(f"MyRMSprop(...) made a {type(opt).__name__}, not an Optimizer",
                   hint="declare the class as `class MyRMSprop(Optimizer):`")
        c.ok("is an Optimizer")
        for p, state in zip(points, opt.state, strict=True):
            arrays = list(state.values()) if isinstance(state, dict) else []
            for key, a in (state.items() if isinstance(state, dict) else ()):
                if isinstance(a, np.ndarray) and a.shape == p.value.shape and a.dtype != p.value.dtype:
                    c.fail(f"init_state(w) for a {p.value.dtype} parameter of shape {p.value.shape} "
                           f"returned state[{key!r}] with dtype {a.dtype} (the printed array does "
                           "not show it: float64 is NumPy's default and goes unnamed)",
                           hint="np.zeros(w.shape) is always float64; np.zeros_like(w) keeps w's "
                                "dtype (a float64 state would turn every step into float64 "
                                "arithmetic on float32 weights)")
            if not arrays or not all(isinstance(a, np.ndarray) and a.shape == p.value.shape
                                     and a.dtype == p.value.dtype and not a.any()
                                     for a in arrays):
                c.fail(f"init_state(w) for a parameter of shape {p.value.shape} and dtype "
                       f"{p.value.dtype} returned {state!r}",
                       hint="return a dict of zero arrays shaped and typed like w, "
                            "e.g. {\"s\": np.zeros_like(w)}")
        c.ok("init_state gives zero arrays shaped and typed like each parameter")
        traj = []
        for t in range(k):
            for p, G in zip(points, Gs, strict=True):
                p.dvalue[...] = G[t]
            with np.errstate(all="ignore"):
                c.call(fn=opt.step, label=f"{label}: opt.step() number {t + 1}")
            for p, G in zip(points, Gs, strict=True):
                if not np.array_equal(p.dvalue, G[t]):
                    c.fail(f"opt.step() number {t + 1} changed a parameter's gradient in place",
                           hint="g is read-only: it is the parameter's gradient p.grad. Build the "
                                "step as a new array (e.g. lr * g / (…)) instead of g /= … or "
                                "g *= …")
            traj.append(np.concatenate([p.value.reshape(-1) for p in points]))
            c.label = f"{label}, all {k} steps"
            for p in points:
                if p.value.dtype != dtype:
                    c.fail(f"a parameter changed dtype to {p.value.dtype}", hint="update w in "
                           "place (w -= …), which keeps its dtype")
        ref_points = [Point(w, dtype=dtype) for w in w0s]
        ref = RMSprop([p.param for p in ref_points], lr=lr, alpha=alpha, eps=eps,
                      weight_decay=wd)
        ref_traj = []
        for t in range(k):
            for p, G in zip(ref_points, Gs, strict=True):
                p.dvalue[...] = G[t]
            ref.step()
            ref_traj.append(np.concatenate([p.value.reshape(-1) for p in ref_points]))
        tol = F32 if dtype == np.float32 else {}
        c.close(np.array(traj), np.array(ref_traj),
                what=f"both parameters (flattened) after every step ({short}; row i: step i + 1)",
                hint="s ← α·s + (1 − α)·g², then w ← w − lr·g / (√s + ε), both in place", **tol,
                mistakes=[(_rmsprop_variant(kind, w0s, Gs, lr, alpha, eps, wd), h)
                          for kind, h in hints] if mistakes else ())
        c.true(opt.t == k, f"the step count t is {k} after {k} steps ({short})",
               f"opt.t is {opt.t} after {k} steps", hint="do not override step(); the base class "
                                                         "counts t")
    c.done()


# -- SGD's largest stable learning rate (lesson 08's race task, as code) --------------------------


def _sgd_distance(H: np.ndarray, lr: float, steps: int = 2000) -> float:
    """‖w_steps‖ / ‖w₀‖ of plain gradient descent w ← w − lr·H·w on ½wᵀHw from w₀ = (1, 2, …, n)
    (a start with a component along every eigenvector of the check's matrices)."""
    w0 = np.arange(1.0, H.shape[0] + 1.0)
    w = w0
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(steps):
            w = w - lr * (H @ w)
            if not np.all(np.isfinite(w)) or np.abs(w).max() > 1e100:
                return float("inf")
    return float(np.linalg.norm(w) / np.linalg.norm(w0))


def _runs_verdict(H: np.ndarray, lr: float) -> str:
    ratio = _sgd_distance(H, lr)
    if ratio < 0.5:
        return (f"2000 SGD steps on H at your η bring ‖w‖ down to {ratio:.1e} of its start: the "
                "run still converges, so the largest stable η is larger")
    if ratio > 2.0:
        size = "to inf" if ratio == float("inf") else f"{ratio:.1e}×"
        return (f"2000 SGD steps on H at your η blow ‖w‖ up ({size}): the run diverges, so the "
                "largest stable η is smaller")
    return "at your η a run of 2000 SGD steps on H neither clearly converges nor diverges"


def check_sgd_lr_limit(sgd_lr_limit: Callable) -> None:
    """SGD's largest stable η on ½wᵀHw, 2/λ_max(H), as a float; ValueError for an H on which no η
    converges (a negative eigenvalue, all eigenvalues 0) or that is not a symmetric square matrix.
    The values found are also confirmed (and, when wrong, explained) by runs of SGD on H."""
    c = Checker("sgd_lr_limit", sgd_lr_limit)
    # a ravine with κ = 25 like the race's, 4 times as steep and rotated by 45°: eigenvalues 0.16
    # and 4, off-diagonal entries (so the diagonal is not the eigenvalues)
    R = np.array([[1.0, -1.0], [1.0, 1.0]]) / np.sqrt(2.0)
    H = R @ np.diag([0.16, 4.0]) @ R.T
    out = c.number(c.call(H, label="a rotated ravine, H = [[2.08, -1.92], [-1.92, 2.08]]"))
    lam_min, lam_max = np.linalg.eigvalsh(H)
    expected = 2.0 / lam_max
    runs = _runs_verdict(H, out) if np.isfinite(out) and out > 0 else "a learning rate is > 0"
    c.close(out, expected, what="a rotated ravine", hint=runs, mistakes=[
        (1.0 / lam_max, "1/λ_max is where each step along the steep direction starts to jump "
                        "over the minimum (factor 1 − ηλ_max < 0); SGD still converges beyond it. "
                        + runs),
        (2.0 / (lam_max + lam_min), "2/(λ_max + λ_min) is the best fixed step (exercise 03), not "
                                    "the largest stable one. " + runs),
        (2.0 / lam_min, "the flat direction (λ_min) is not the one that limits η: every "
                        "eigen-direction must have |1 − ηλ| < 1. " + runs),
        (2.0 / np.max(np.diag(H)), "the diagonal entries of H are its eigenvalues only when H is "
                                   "diagonal; use np.linalg.eigvalsh(H). " + runs),
        (lam_max / 2.0, "upside down: η is a step size, the inverse of a curvature. " + runs),
        (2.0 / lam_max ** 2, "square neither λ: along each eigen-direction a step multiplies the "
                             "error by 1 − ηλ. " + runs),
        (2.0 * lam_max, "upside down: η is a step size, the inverse of a curvature. " + runs),
    ])
    below, above = _sgd_distance(H, 0.99 * out), _sgd_distance(H, 1.01 * out)
    c.true(below < 1e-3 and above > 1e3,
           "runs agree: SGD on H converges at 0.99·η and diverges at 1.01·η",
           f"SGD on H at 0.99·your η ends at {below:.2g}× its start and at 1.01·your η at "
           f"{above:.2g}×; expected convergence below and divergence above",
           hint="return the boundary itself, 2000 steps on either side of it must differ")

    diag = np.diag([1.0 / 25.0, 1.0])
    out = c.number(c.call(diag, label="the race's ravine, H = diag(1/25, 1)"))
    c.close(out, 2.0, what="the race's ravine", hint=_runs_verdict(diag, out))
    H3 = np.array([[2.0, 1.0, 0.0], [1.0, 2.0, 0.0], [0.0, 0.0, 1.0]])
    out = c.number(c.call(H3, label="H = [[2, 1, 0], [1, 2, 0], [0, 0, 1]] (eigenvalues 1, 1, 3)"))
    c.close(out, 2.0 / 3.0, what="a 3×3 H", hint=_runs_verdict(H3, out))
    out = c.number(c.call(np.array([[5.0]]), label="H = [[5]] (one parameter)"))
    c.close(out, 0.4, what="a 1×1 H")
    flat = np.array([[1.0, 0.0], [0.0, 0.0]])
    out = c.number(c.call(flat, label="H = [[1, 0], [0, 0]] (one flat direction)"))
    c.close(out, 2.0, what="a flat direction (eigenvalue 0) does not limit η",
            hint="an eigenvalue 0 leaves its direction unchanged at any η: only λ_max matters")
    out = c.number(c.call(diag.astype(np.float32), label="float32 H = diag(1/25, 1)"))
    c.close(out, 2.0, what="float32 input", rtol=1e-5)

    why = ("check H first: it must be a square 2-D symmetric array whose eigenvalues are ≥ 0 and "
           "not all 0; raise ValueError otherwise")
    expect_raises(c, ValueError, np.array([[1.0, 0.0], [0.0, -1.0]]),
                  label="H = [[1, 0], [0, -1]] (a saddle)",
                  why="an H with a negative eigenvalue (no η converges there)", hint=why)
    expect_raises(c, ValueError, np.zeros((2, 2)), label="H = 0 (2×2)",
                  why="an H whose eigenvalues are all 0 (every η is stable, there is no limit)",
                  hint=why)
    expect_raises(c, ValueError, np.array([[2.0, 1.0], [0.0, 3.0]]), label="H = [[2, 1], [0, 3]]",
                  why="a non-symmetric H", hint=why)
    expect_raises(c, ValueError, np.array([1.0, 2.0]), label="H = [1, 2] (1-D)",
                  why="a 1-D H", hint=why)
    c.done()
