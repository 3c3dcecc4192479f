"""Optimizers, gradient clipping and learning-rate schedules (NumPy only).

An optimizer holds a list of :class:`~backprop_lab.parameter.Parameter` handles and, for each one,
a dict of plain NumPy arrays (its *state*: velocities, moment estimates, ...) that you can print::

    opt = Adam(net.parameters(), lr=1e-3)
    for X, y in batches:
        opt.zero_grad()
        net.backward(loss.backward())   # fills every p.grad
        opt.step()                      # w ← w − (update rule), in place
    opt.t, opt.state[0]["m"]            # steps taken, first moment of parameter 0

Every optimizer follows ``torch.optim``'s conventions and defaults, so the two agree step for step:

* weight decay is *coupled* L2: the gradient used by the rule is ``g = ∇L(w) + λ·w``;
* the momentum buffer starts at zero and accumulates ``v ← μ·v + g`` (so the first ``v`` is ``g``);
* ``eps`` is added where torch adds it (outside the square root for Adagrad, RMSprop and Adam,
  inside for Adadelta).

A schedule is a callable ``lr = schedule(t)`` (``t`` = epoch or step, counted from 0); apply it by
assigning ``opt.lr = schedule(t)`` before the step or epoch it is meant for.

Shapes: each parameter's ``value``, ``grad`` and state arrays share one shape and one dtype; float32
parameters stay float32 (hyperparameters are Python floats, every update is written in place).
"""

from __future__ import annotations

import functools
import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from typing import Any, ClassVar

import numpy as np

from backprop_lab.parameter import Parameter
from backprop_lab.validate import (
    check_choice,
    check_int,
    check_nonnegative,
    check_positive,
    check_real,
    check_unit_interval,
)

__all__ = [
    "Optimizer",
    "SGD",
    "Momentum",
    "Nesterov",
    "Adagrad",
    "RMSprop",
    "Adadelta",
    "Adam",
    "OPTIMIZERS",
    "make_optimizer",
    "clip_grad_norm",
    "clip_grad_value",
    "Schedule",
    "StepLR",
    "ExponentialLR",
    "CosineLR",
    "WarmupLR",
]

State = dict[str, np.ndarray]


# --------------------------------------------------------------------------- validation
# Every hyperparameter is checked by :mod:`backprop_lab.validate`, so messages read alike
# everywhere: ``"lr must be a finite number >= 0, got -1.0"``.



def _check_params(params: Iterable[Parameter]) -> list[Parameter]:
    """The parameters as a list; each a floating-point Parameter, none twice, at least one."""
    params = list(params)
    if not params:
        raise ValueError("params must contain at least one Parameter, got an empty list")
    seen: set[int] = set()
    for i, p in enumerate(params):
        if not isinstance(p, Parameter):
            raise TypeError(f"params[{i}] must be a Parameter, got {type(p).__name__}")
        w = p.value
        if not (isinstance(w, np.ndarray) and np.issubdtype(w.dtype, np.floating)):
            raise TypeError(
                f"params[{i}] ({p.name}) must hold a floating-point ndarray, "
                f"got {type(w).__name__} with dtype {getattr(w, 'dtype', None)}"
            )
        if id(w) in seen:
            raise ValueError(f"params[{i}] ({p.name}) appears more than once in params")
        seen.add(id(w))
    return params


# --------------------------------------------------------------------------- optimizers


class Optimizer(ABC):
    """Base class: holds parameters, hyperparameters, the step count ``t`` and per-parameter state.

    One call to :meth:`step` applies, to every parameter ``w`` (in place)::

        t ← t + 1
        g = ∇L(w) + λ·w          (coupled L2 weight decay, torch's convention; λ = weight_decay)
        w ← update(w, g, state)   (the subclass's rule)

    Coupled weight decay adds ``λ·w`` to the gradient *before* the rule, so adaptive methods
    (Adagrad, RMSprop, Adam) rescale it too; this is ``torch.optim``'s ``weight_decay``, not AdamW's
    decoupled decay.

    Args:
        params: the parameters to train (e.g. ``model.parameters()``); at least one.
        lr: learning rate η, a finite number >= 0. May be reassigned between steps (schedules).
        weight_decay: L2 coefficient λ >= 0.

    Attributes:
        params: list of :class:`Parameter`.
        lr, weight_decay: the hyperparameters (Python floats).
        t: number of steps taken (0 before the first step).
        state: one dict of plain arrays per parameter, each array shaped and typed like the
            parameter, e.g. ``opt.state[0]["v"]``.
    """

    #: learning rate used by :func:`make_optimizer` when none is given.
    default_lr: ClassVar[float]
    #: the name figures, legends and the optimizer race show (e.g. ``"RMSprop"``)
    label: ClassVar[str]

    def __init__(self, params: Iterable[Parameter], lr: float, weight_decay: float = 0.0) -> None:
        self.lr = lr
        if self.lr == 0.0:
            from backprop_lab.divergence import warn_zero_lr

            warn_zero_lr(f"{type(self).__name__}: lr = 0, so step() will not change the weights")
        self.weight_decay = check_nonnegative("weight_decay", weight_decay)
        self.params = _check_params(params)
        self.t = 0
        self.state: list[State] = [self.init_state(p.value) for p in self.params]

    @property
    def lr(self) -> float:
        """The learning rate η (a Python float). Checked whenever it is set: a finite number >= 0.

        ``lr = 0`` is accepted (a schedule may end there); the constructor and ``fit`` warn
        about it, since no step then changes the weights.
        """
        return self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        self._lr = check_nonnegative("lr", value)

    def init_state(self, w: np.ndarray) -> State:
        """Fresh state for a parameter ``w`` (arrays of ``w``'s shape and dtype). Default: none."""
        return {}

    @abstractmethod
    def update(self, w: np.ndarray, g: np.ndarray, state: State) -> None:
        """Apply the update rule to ``w`` in place, using gradient ``g`` (read-only) and ``state``.

        ``w``, ``g`` and every array in ``state`` have the same shape and dtype; ``self.t`` is
        already the number of this step (1 on the first).
        """

    def step(self) -> None:
        """Take one step: ``t ← t + 1``, then ``update(w, ∇L(w) + λ·w, state)`` for every parameter.

        Raises:
            ValueError: if a gradient's shape differs from its parameter's.
        """
        self.t += 1
        for p, state in zip(self.params, self.state, strict=True):
            w, grad = p.value, p.grad
            if grad.shape != w.shape:
                raise ValueError(
                    f"gradient of parameter {p.name!r} has shape {grad.shape}, "
                    f"expected the parameter's shape {w.shape}"
                )
            if self.weight_decay == 0.0:
                g = grad
            else:
                g = w * self.weight_decay  # g = ∇L(w) + λ·w
                g += grad
            self.update(w, g, state)

    def zero_grad(self) -> None:
        """Set every parameter's gradient to zero, in place."""
        for p in self.params:
            p.grad[...] = 0

    @classmethod
    def hyperparameter_names(cls) -> tuple[str, ...]:
        """The constructor's arguments after ``params``, in order: ``("lr", "betas", "eps", …)``.

        Each is also an attribute of the instance holding the value in use, which is how
        :meth:`hyperparameters` is derived for every optimizer, subclasses included.
        """
        return _init_argument_names(cls)

    def hyperparameters(self) -> dict[str, Any]:
        """The hyperparameters as a dict (used by ``repr``, handy for plot legends).

        Derived from the constructor's signature (:meth:`hyperparameter_names`), so
        ``type(opt)(params, **opt.hyperparameters())`` rebuilds an optimizer with the same settings.
        A subclass's argument that the instance does not keep under its own name is left out.
        """
        return {n: getattr(self, n) for n in self.hyperparameter_names() if hasattr(self, n)}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.hyperparameters().items())
        return f"{type(self).__name__}({args})"


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with heavy-ball or Nesterov momentum.

    Plain (``momentum == 0``)::

        w ← w − η·g

    Heavy-ball momentum (Polyak 1964), in torch's form, with velocity ``v`` (starts at 0, so the
    first step has ``v = g``)::

        v ← μ·v + g
        w ← w − η·v

    Nesterov momentum (Nesterov 1983; as used for deep learning by Sutskever et al. 2013), in the
    form torch implements (gradient evaluated at the current ``w``, look-ahead folded in)::

        v ← μ·v + g
        w ← w − η·(g + μ·v)

    Torch's ``dampening`` is fixed at 0.

    References:
        B. T. Polyak (1964). Some methods of speeding up the convergence of iteration methods.
        USSR Comp. Math. and Math. Physics 4(5).
        Y. Nesterov (1983). A method for solving the convex programming problem with convergence
        rate O(1/k²). Soviet Math. Doklady 27.
        I. Sutskever, J. Martens, G. Dahl, G. Hinton (2013). On the importance of initialization
        and momentum in deep learning. ICML.

    Args:
        params: parameters to train.
        lr: learning rate η >= 0.
        momentum: μ in [0, 1); 0 means plain SGD (no state).
        nesterov: use Nesterov momentum (requires μ > 0).
        weight_decay: coupled L2 coefficient λ >= 0.

    State (when μ > 0): ``"v"``, the velocity, shaped like the parameter.
    """

    label = "SGD"

    default_lr = 0.01

    def __init__(
        self,
        params: Iterable[Parameter],
        lr: float,
        momentum: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
    ) -> None:
        self.momentum = check_unit_interval("momentum", momentum)
        if not isinstance(nesterov, (bool, np.bool_)):
            raise TypeError(f"nesterov must be True or False, got {nesterov!r}")
        if nesterov and self.momentum == 0.0:
            raise ValueError("nesterov=True requires momentum in (0, 1), got momentum=0.0")
        self.nesterov = bool(nesterov)
        super().__init__(params, lr, weight_decay)

    def init_state(self, w: np.ndarray) -> State:
        return {"v": np.zeros_like(w)} if self.momentum > 0.0 else {}

    def update(self, w: np.ndarray, g: np.ndarray, state: State) -> None:
        if self.momentum == 0.0:
            w -= self.lr * g  # w ← w − η·g
            return
        v = state["v"]
        v *= self.momentum  # v ← μ·v + g
        v += g
        if self.nesterov:
            step = v * self.momentum  # w ← w − η·(g + μ·v)
            step += g
            step *= self.lr
            w -= step
        else:
            w -= self.lr * v  # w ← w − η·v


class Momentum(SGD):
    """Heavy-ball momentum (Polyak 1964): ``SGD(params, lr, momentum=beta)``.

    ::

        v ← β·v + g
        w ← w − η·v

    Args:
        params: parameters to train.
        lr: learning rate η >= 0.
        beta: momentum coefficient β in [0, 1).
        weight_decay: coupled L2 coefficient λ >= 0.

    State: ``"v"`` (when β > 0), shaped like the parameter.
    """

    label = "Momentum"

    def __init__(
        self,
        params: Iterable[Parameter],
        lr: float,
        beta: float = 0.9,
        weight_decay: float = 0.0,
    ) -> None:
        beta = check_unit_interval("beta", beta)
        super().__init__(params, lr, momentum=beta, nesterov=False, weight_decay=weight_decay)

    @property
    def beta(self) -> float:
        """The momentum coefficient β (stored as SGD's ``momentum``)."""
        return self.momentum


class Nesterov(SGD):
    """Nesterov momentum (Nesterov 1983; Sutskever et al. 2013): SGD with ``nesterov=True``.

    ::

        v ← β·v + g
        w ← w − η·(g + β·v)

    Args:
        params: parameters to train.
        lr: learning rate η >= 0.
        beta: momentum coefficient β in (0, 1).
        weight_decay: coupled L2 coefficient λ >= 0.

    State: ``"v"``, shaped like the parameter.
    """

    label = "Nesterov"

    def __init__(
        self,
        params: Iterable[Parameter],
        lr: float,
        beta: float = 0.9,
        weight_decay: float = 0.0,
    ) -> None:
        beta = check_real("beta", beta, low=0, high=1, low_open=True, high_open=True)
        super().__init__(params, lr, momentum=beta, nesterov=True, weight_decay=weight_decay)

    @property
    def beta(self) -> float:
        """The momentum coefficient β (stored as SGD's ``momentum``)."""
        return self.momentum


class Adagrad(Optimizer):
    """Adagrad (Duchi, Hazan & Singer 2011): per-coordinate steps shrink with the gradient history.

    With ``G`` the running sum of squared gradients (starts at 0; all operations elementwise)::

        G ← G + g²
        w ← w − η·g / (√G + ε)

    As in torch, ``ε`` is added outside the square root (``lr_decay=0``,
    ``initial_accumulator_value=0``).

    Reference:
        J. Duchi, E. Hazan, Y. Singer (2011). Adaptive subgradient methods for online learning and
        stochastic optimization. JMLR 12.

    Args:
        params: parameters to train.
        lr: learning rate η >= 0 (default 0.01).
        eps: ε > 0 (default 1e-10).
        weight_decay: coupled L2 coefficient λ >= 0.

    State: ``"G"``, the sum of squared gradients, shaped like the parameter.
    """

    label = "Adagrad"

    default_lr = 0.01

    def __init__(
        self,
        params: Iterable[Parameter],
        lr: float = default_lr,
        eps: float = 1e-10,
        weight_decay: float = 0.0,
    ) -> None:
        self.eps = check_positive("eps", eps)
        super().__init__(params, lr, weight_decay)

    def init_state(self, w: np.ndarray) -> State:
        return {"G": np.zeros_like(w)}

    def update(self, w: np.ndarray, g: np.ndarray, state: State) -> None:
        G = state["G"]
        step = np.multiply(g, g)  # G ← G + g²
        G += step
        np.sqrt(G, out=step)  # step = η·g / (√G + ε)
        step += self.eps
        np.divide(g, step, out=step)
        step *= self.lr
        w -= step


class RMSprop(Optimizer):
    """RMSprop (Tieleman & Hinton 2012): divide by a running RMS of recent gradients.

    With ``s`` an exponential moving average of squared gradients (starts at 0; elementwise)::

        s ← ρ·s + (1 − ρ)·g²
        w ← w − η·g / (√s + ε)

    As in torch (``centered=False``, ``momentum=0``), ``ε`` is added outside the square root and
    ``s`` has no bias correction, so the first step is about ``η/√(1−ρ) = 10·η`` per coordinate.

    Reference:
        T. Tieleman, G. Hinton (2012). Lecture 6.5 — rmsprop: divide the gradient by a running
        average of its recent magnitude. COURSERA: Neural Networks for Machine Learning.

    Args:
        params: parameters to train.
        lr: learning rate η >= 0 (default 0.01).
        alpha: the smoothing constant ρ in [0, 1) (default 0.99); the keyword is ``alpha``, as
            in ``torch.optim.RMSprop``.
        eps: ε > 0 (default 1e-8).
        weight_decay: coupled L2 coefficient λ >= 0.

    State: ``"s"``, the mean square E[g²], shaped like the parameter.
    """

    label = "RMSprop"

    default_lr = 0.01

    def __init__(
        self,
        params: Iterable[Parameter],
        lr: float = default_lr,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        self.alpha = check_unit_interval("alpha", alpha)
        self.eps = check_positive("eps", eps)
        super().__init__(params, lr, weight_decay)

    def init_state(self, w: np.ndarray) -> State:
        return {"s": np.zeros_like(w)}

    def update(self, w: np.ndarray, g: np.ndarray, state: State) -> None:
        s = state["s"]
        step = np.multiply(g, g)  # s ← ρ·s + (1 − ρ)·g²
        step *= 1.0 - self.alpha
        s *= self.alpha
        s += step
        np.sqrt(s, out=step)  # step = η·g / (√s + ε)
        step += self.eps
        np.divide(g, step, out=step)
        step *= self.lr
        w -= step


class Adadelta(Optimizer):
    """Adadelta (Zeiler 2012): step sizes in the units of ``w``, from two running averages.

    With ``s = E[g²]`` and ``u = E[Δw²]`` (both start at 0; elementwise)::

        s  ← ρ·s + (1 − ρ)·g²
        Δw = −√(u + ε) / √(s + ε) · g
        u  ← ρ·u + (1 − ρ)·Δw²
        w  ← w + η·Δw

    Zeiler's paper has no learning rate (η = 1, the default here and in torch); torch scales the
    step by η after accumulating ``u`` from the unscaled ``Δw``, and so does this class. ``ε`` sits
    inside both square roots.

    Reference:
        M. D. Zeiler (2012). ADADELTA: an adaptive learning rate method. arXiv:1212.5701.

    Args:
        params: parameters to train.
        lr: learning rate η >= 0 (default 1.0).
        rho: decay ρ in [0, 1) (default 0.9).
        eps: ε > 0 (default 1e-6).
        weight_decay: coupled L2 coefficient λ >= 0.

    State: ``"s"`` (E[g²]) and ``"u"`` (E[Δw²]), shaped like the parameter.
    """

    label = "Adadelta"

    default_lr = 1.0

    def __init__(
        self,
        params: Iterable[Parameter],
        lr: float = default_lr,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0.0,
    ) -> None:
        self.rho = check_unit_interval("rho", rho)
        self.eps = check_positive("eps", eps)
        super().__init__(params, lr, weight_decay)

    def init_state(self, w: np.ndarray) -> State:
        return {"s": np.zeros_like(w), "u": np.zeros_like(w)}

    def update(self, w: np.ndarray, g: np.ndarray, state: State) -> None:
        s, u = state["s"], state["u"]
        rho, eps = self.rho, self.eps
        tmp = np.multiply(g, g)  # s ← ρ·s + (1 − ρ)·g²
        tmp *= 1.0 - rho
        s *= rho
        s += tmp
        delta = u + eps  # delta = √(u + ε) / √(s + ε) · g   (Δw = −delta)
        np.sqrt(delta, out=delta)
        np.add(s, eps, out=tmp)
        np.sqrt(tmp, out=tmp)
        delta /= tmp
        delta *= g
        np.multiply(delta, delta, out=tmp)  # u ← ρ·u + (1 − ρ)·Δw²
        tmp *= 1.0 - rho
        u *= rho
        u += tmp
        delta *= self.lr  # w ← w + η·Δw
        w -= delta


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015): momentum on ``g`` divided by an RMS of ``g``, both bias-corrected.

    With first and second moment estimates ``m`` and ``v`` (start at 0; elementwise; t = step)::

        m ← β₁·m + (1 − β₁)·g
        v ← β₂·v + (1 − β₂)·g²
        m̂ = m / (1 − β₁ᵗ)
        v̂ = v / (1 − β₂ᵗ)
        w ← w − η·m̂ / (√v̂ + ε)

    This is Algorithm 1 of the paper and torch's ``Adam`` (``amsgrad=False``); ``weight_decay``
    is coupled L2 (torch's ``Adam(weight_decay=..)``, not ``AdamW``).

    Reference:
        D. P. Kingma, J. Ba (2015). Adam: a method for stochastic optimization. ICLR.

    Args:
        params: parameters to train.
        lr: learning rate η >= 0 (default 1e-3).
        betas: (β₁, β₂), each in [0, 1) (default (0.9, 0.999)).
        eps: ε > 0 (default 1e-8).
        weight_decay: coupled L2 coefficient λ >= 0.

    State: ``"m"`` and ``"v"``, shaped like the parameter.
    """

    label = "Adam"

    default_lr = 1e-3

    def __init__(
        self,
        params: Iterable[Parameter],
        lr: float = default_lr,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        if not (isinstance(betas, (tuple, list)) and len(betas) == 2):
            raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
        self.betas = (check_unit_interval("betas[0]", betas[0]),
                      check_unit_interval("betas[1]", betas[1]))
        self.eps = check_positive("eps", eps)
        super().__init__(params, lr, weight_decay)

    def init_state(self, w: np.ndarray) -> State:
        return {"m": np.zeros_like(w), "v": np.zeros_like(w)}

    def update(self, w: np.ndarray, g: np.ndarray, state: State) -> None:
        m, v = state["m"], state["v"]
        beta1, beta2 = self.betas
        # m ← β₁·m + (1 − β₁)·g, computed as β₁·(m − g) + g: three in-place passes, no temporary
        m -= g
        m *= beta1
        m += g
        tmp = np.multiply(g, g)  # v ← β₂·v + (1 − β₂)·g²
        tmp *= 1.0 - beta2
        v *= beta2
        v += tmp
        # With m̂ = m / c₁ and v̂ = v / c₂ (c₁ = 1 − β₁ᵗ, c₂ = 1 − β₂ᵗ):
        #   η·m̂ / (√v̂ + ε) = (η·√c₂ / c₁) · m / (√v + ε·√c₂)
        # — the same update with the corrections folded into two scalars (fewer array passes).
        sqrt_c2 = math.sqrt(1.0 - beta2**self.t)
        c1 = 1.0 - beta1**self.t
        np.sqrt(v, out=tmp)
        tmp += self.eps * sqrt_c2
        np.divide(m, tmp, out=tmp)
        tmp *= self.lr * sqrt_c2 / c1
        w -= tmp


@functools.cache
def _init_argument_names(cls: type[Optimizer]) -> tuple[str, ...]:
    """Names of ``cls.__init__``'s arguments after ``self`` and ``params`` (cached per class)."""
    code = cls.__init__.__code__  # named arguments come first in co_varnames (no *args/**kwargs)
    names = code.co_varnames[1 : code.co_argcount + code.co_kwonlyargcount]
    return tuple(n for n in names if n != "params")


#: The one optimizer registry: command-line name → class. The CLI offers its keys, the playground
#: and the explorers build through :func:`make_optimizer`, and the optimizer race shows each
#: class's ``label`` with ``default_lr`` and ``hyperparameter_names()`` (a new optimizer is one
#: class with those three class-level facts plus one line here).
OPTIMIZERS: dict[str, type[Optimizer]] = {
    "sgd": SGD,
    "momentum": Momentum,
    "nesterov": Nesterov,
    "adagrad": Adagrad,
    "rmsprop": RMSprop,
    "adadelta": Adadelta,
    "adam": Adam,
}


def make_optimizer(
    name: str, params: Iterable[Parameter], lr: float | None = None, **kwargs: Any
) -> Optimizer:
    """Build the optimizer registered as ``name`` in :data:`OPTIMIZERS`.

    Args:
        name: one of ``"sgd"``, ``"momentum"``, ``"nesterov"``, ``"adagrad"``, ``"rmsprop"``,
            ``"adadelta"``, ``"adam"`` (case-insensitive).
        params: parameters to train.
        lr: learning rate; ``None`` uses the class default (0.01 for the SGD family, Adagrad and
            RMSprop; 1.0 for Adadelta; 1e-3 for Adam).
        **kwargs: the class's other hyperparameters (``momentum``, ``betas``, ``weight_decay``, ...).

    Raises:
        ValueError: for an unknown name (the message lists the valid ones).
    """
    cls = OPTIMIZERS[check_choice("optimizer", name, OPTIMIZERS, lower=True)]
    return cls(params, lr=cls.default_lr if lr is None else lr, **kwargs)


# --------------------------------------------------------------------------- gradient clipping


def clip_grad_norm(params: Iterable[Parameter], max_norm: float) -> float:
    """Rescale all gradients together so that their global L2 norm is at most ``max_norm``.

    With ``‖g‖ = √(Σ_p Σ_i g_{p,i}²)`` over every parameter's gradient::

        if ‖g‖ > max_norm:  g ← g · max_norm / ‖g‖     (in place; direction kept)

    Unlike ``torch.nn.utils.clip_grad_norm_`` there is no ``1e-6`` in the denominator, so a
    clipped gradient has norm exactly ``max_norm``. A non-finite norm leaves the gradients
    untouched (and is returned, so the caller can stop).

    Args:
        params: parameters whose ``grad`` arrays are clipped.
        max_norm: threshold, a finite number > 0.

    Returns:
        The global norm before clipping (a Python float; 0.0 for no parameters).
    """
    max_norm = check_positive("max_norm", max_norm)
    grads = [p.grad for p in params]
    norm = math.sqrt(sum(float(np.vdot(g, g)) for g in grads))
    if math.isfinite(norm) and norm > max_norm:
        scale = max_norm / norm
        for g in grads:
            g *= scale
    return norm


def clip_grad_value(params: Iterable[Parameter], clip_value: float) -> None:
    """Clip every gradient element to ``[−clip_value, clip_value]``, in place.

    ::

        g ← min(max(g, −c), c)      (elementwise, c = clip_value)

    Args:
        params: parameters whose ``grad`` arrays are clipped.
        clip_value: c, a finite number > 0.
    """
    c = check_positive("clip_value", clip_value)
    for p in params:
        np.clip(p.grad, -c, c, out=p.grad)


# --------------------------------------------------------------------------- schedules


class Schedule(ABC):
    """A learning-rate schedule: ``lr = schedule(t)`` for ``t = 0, 1, 2, ...`` (epochs or steps)."""

    def __call__(self, t: int) -> float:
        """The learning rate at ``t`` (an integer >= 0), as a Python float."""
        return self.lr_at(check_int("t", t, 0))

    @abstractmethod
    def lr_at(self, t: int) -> float:
        """The learning rate at ``t`` (already validated)."""

    @abstractmethod
    def __repr__(self) -> str: ...


class StepLR(Schedule):
    """Multiply the rate by ``gamma`` every ``step_size`` epochs/steps::

        lr(t) = lr0 · γ^⌊t / step_size⌋

    Args:
        lr0: rate at t = 0, finite >= 0.
        step_size: period of the decay, an integer >= 1.
        gamma: factor γ > 0 (default 0.1; < 1 decays).
    """

    def __init__(self, lr0: float, step_size: int, gamma: float = 0.1) -> None:
        self.lr0 = check_nonnegative("lr0", lr0)
        self.step_size = check_int("step_size", step_size, 1)
        self.gamma = check_positive("gamma", gamma)

    def lr_at(self, t: int) -> float:
        return self.lr0 * self.gamma ** (t // self.step_size)

    def __repr__(self) -> str:
        return f"StepLR(lr0={self.lr0!r}, step_size={self.step_size!r}, gamma={self.gamma!r})"


class ExponentialLR(Schedule):
    """Multiply the rate by ``gamma`` every epoch/step::

        lr(t) = lr0 · γᵗ

    Args:
        lr0: rate at t = 0, finite >= 0.
        gamma: factor γ > 0 (< 1 decays).
    """

    def __init__(self, lr0: float, gamma: float) -> None:
        self.lr0 = check_nonnegative("lr0", lr0)
        self.gamma = check_positive("gamma", gamma)

    def lr_at(self, t: int) -> float:
        return self.lr0 * self.gamma**t

    def __repr__(self) -> str:
        return f"ExponentialLR(lr0={self.lr0!r}, gamma={self.gamma!r})"


class CosineLR(Schedule):
    """Cosine annealing from ``lr0`` at t = 0 to ``lr_min`` at t = t_max, then held at ``lr_min``::

        lr(t) = lr_min + (lr0 − lr_min) · (1 + cos(π·t / t_max)) / 2     for t <= t_max
        lr(t) = lr_min                                                   for t > t_max

    (Loshchilov & Hutter 2017, without restarts; torch's ``CosineAnnealingLR`` for t <= t_max.)

    Args:
        lr0: rate at t = 0, finite >= 0.
        t_max: length of the annealing, an integer >= 1.
        lr_min: final rate, in [0, lr0] (default 0).
    """

    def __init__(self, lr0: float, t_max: int, lr_min: float = 0.0) -> None:
        self.lr0 = check_nonnegative("lr0", lr0)
        self.t_max = check_int("t_max", t_max, 1)
        self.lr_min = check_real(
            "lr_min", lr_min, low=0, high=self.lr0, expected=f"a number in [0, lr0={self.lr0!r}]"
        )

    def lr_at(self, t: int) -> float:
        if t >= self.t_max:
            return self.lr_min
        return self.lr_min + (self.lr0 - self.lr_min) * (1 + math.cos(math.pi * t / self.t_max)) / 2

    def __repr__(self) -> str:
        return f"CosineLR(lr0={self.lr0!r}, t_max={self.t_max!r}, lr_min={self.lr_min!r})"


class WarmupLR(Schedule):
    """Linear warm-up in front of a schedule (or a constant rate)::

        lr(t) = min(1, (t + 1) / warmup_steps) · base(t)

    so the rate climbs from ``base(0)/warmup_steps`` at t = 0 to the full ``base(t)`` at
    t = warmup_steps − 1, and equals ``base(t)`` from then on. The base schedule is *not* shifted:
    it keeps counting from t = 0 during the warm-up (give e.g. ``CosineLR`` the total length).

    Args:
        schedule_or_lr0: a schedule ``base(t)``, or a number ``lr0`` for ``base(t) = lr0``.
        warmup_steps: length of the warm-up, an integer >= 1 (1 means no warm-up).
    """

    def __init__(self, schedule_or_lr0: Callable[[int], float] | float, warmup_steps: int) -> None:
        if callable(schedule_or_lr0):
            self.base: Callable[[int], float] | float = schedule_or_lr0
        else:
            self.base = check_nonnegative("schedule_or_lr0", schedule_or_lr0)
        self.warmup_steps = check_int("warmup_steps", warmup_steps, 1)

    def lr_at(self, t: int) -> float:
        base = self.base(t) if callable(self.base) else self.base
        return min(1.0, (t + 1) / self.warmup_steps) * base

    def __repr__(self) -> str:
        return f"WarmupLR({self.base!r}, warmup_steps={self.warmup_steps!r})"
