"""The one training step, shared by ``fit``, ``run_optimizer`` and the playground widget.

A step at parameters θₜ::

    loss = forward()            # 𝓛(θₜ): the loss at the current parameters (a float)
    rule.check(loss, watch)     # issue 10's divergence rule (backprop_lab.divergence); if it
                                # holds, the step stops here: no gradient, no update
    backward()                  # fills the gradients ∂𝓛/∂θ (sets them, does not accumulate)
    clip_grad_norm(params, c)   # optional
    optimizer.step()            # θₜ₊₁ = update(θₜ, ∂𝓛/∂θ)

The divergence rule is built from the first loss the stepper sees (loss₀, before any update) and
applied to every later one; what it says is :mod:`backprop_lab.divergence`'s, unchanged.

Usage, a loop of mini-batches (what ``fit`` does)::

    stepper = Stepper(optimizer)
    for Xb, yb in batches:
        loss, why = stepper.step(lambda: loss_fn.forward(net.forward(Xb), yb),
                                 lambda: net.backward(loss_fn.backward()))
        if why is not None:
            raise DivergenceError(...)          # or stop and show "diverged"

A point on a 2-D surface (what ``run_optimizer`` does): ``forward = lambda: f(point.value)``,
``backward = lambda: point.dvalue[:] = grad(point.value)``, ``watch=(point.value,)``.

An animation (the playground: one step per frame, Pause between frames) keeps one
:class:`Stepper` per run and calls :meth:`Stepper.step` once per frame; pausing is not calling it.
The learning rate lives on the optimizer (``stepper.optimizer.lr = …`` changes it live); Reset
makes a new stepper with the new optimizer. A widget that judges divergence on the loss of the
whole training set after each step, rather than on the mini-batch loss before it, calls
``step(..., check=False)`` and then :meth:`Stepper.check` with that loss and the parameters.

NumPy only (through the core modules); no plotting, no widgets.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from backprop_lab.divergence import DivergenceRule
from backprop_lab.optim import clip_grad_norm

__all__ = ["Stepper"]


class Stepper:
    """Takes training steps with one optimizer and judges them by the divergence rule.

    Args:
        optimizer: anything with ``step()`` (and usually ``lr``); it updates the parameters in
            place from their gradients.
        params: the parameters, for ``clip_norm`` (a sequence of
            :class:`~backprop_lab.parameter.Parameter`); may be empty without clipping.
        clip_norm: clip the global gradient norm of ``params`` to this value before each update;
            None (default) does not clip.

    Attributes:
        rule: the :class:`~backprop_lab.divergence.DivergenceRule` of this run, made from the first
            loss seen (None before that).
        steps: updates applied so far.
    """

    def __init__(
        self, optimizer: Any, params: Sequence[Any] = (), clip_norm: float | None = None
    ) -> None:
        self.optimizer = optimizer
        self.params = params
        self.clip_norm = clip_norm
        self.rule: DivergenceRule | None = None
        self.steps = 0

    def check(self, loss: Any, watch: Iterable[Any] = ()) -> str | None:
        """The divergence rule on ``loss`` and the arrays or parameters ``watch``: why training
        diverged (one phrase), or None. The first loss ever checked starts the rule."""
        if self.rule is None:
            self.rule = DivergenceRule(loss)
        return self.rule.check(loss, watch)

    def step(
        self,
        forward: Callable[[], Any],
        backward: Callable[[], Any],
        *,
        watch: Iterable[Any] = (),
        check: bool = True,
    ) -> tuple[Any, str | None]:
        """One step: ``forward()`` → divergence rule → ``backward()`` → clip → ``optimizer.step()``.

        Args:
            forward: computes and returns the loss at the current parameters (a scalar), e.g.
                ``loss_fn.forward(net.forward(X_batch), y_batch)``.
            backward: fills the gradients of that loss (after ``forward``).
            watch: parameters or arrays the rule's parameter clause checks with this loss (NaN/inf
                or beyond ±1e6); () checks the loss only.
            check: False skips the rule for this step (the loss still starts the rule if it is the
                first one seen), e.g. for the start point of a path, which the rule does not judge.

        Returns:
            ``(loss, reason)``: the loss ``forward`` returned (unchanged, before the update) and
            None when the update was applied, or the rule's reason when it was not (training
            diverged at the current parameters; nothing was changed).
        """
        loss = forward()
        if self.rule is None:
            self.rule = DivergenceRule(loss)
        if check:
            reason = self.rule.check(loss, watch)
            if reason is not None:
                return loss, reason
        backward()
        if self.clip_norm is not None:
            clip_grad_norm(self.params, self.clip_norm)
        self.optimizer.step()
        self.steps += 1
        return loss, None
