"""backprop_lab.step: the one training step, its order of operations and its divergence rule, and
the promise that ``fit`` and ``run_optimizer`` take every step through it (and that the
playground's loop can, bit for bit)."""

from __future__ import annotations

import ast
import math
from pathlib import Path

import numpy as np
import pytest

from backprop_lab import step as step_module
from backprop_lab.data import load_toy
from backprop_lab.divergence import LOSS_FACTOR, DivergenceError
from backprop_lab.losses import SoftmaxCrossEntropy
from backprop_lab.model import mlp
from backprop_lab.optim import SGD
from backprop_lab.parameter import Point
from backprop_lab.step import Stepper
from backprop_lab.surfaces import run_optimizer
from backprop_lab.train import fit

PACKAGE = Path(__file__).resolve().parents[2] / "backprop_lab"


class Recorder:
    """A fake optimizer; forward/backward/step append to one shared log."""

    def __init__(self, log: list[str]) -> None:
        self.log, self.lr = log, 0.1

    def step(self) -> None:
        self.log.append("update")


def _calls(losses: list[float]):
    log: list[str] = []
    it = iter(losses)

    def forward() -> float:
        log.append("forward")
        return next(it)

    def backward() -> None:
        log.append("backward")

    return log, forward, backward


# -- the step itself -------------------------------------------------------------------------------


def test_order_forward_rule_backward_update() -> None:
    log, forward, backward = _calls([2.0, 1.5])
    stepper = Stepper(Recorder(log))
    assert stepper.step(forward, backward) == (2.0, None)
    assert stepper.step(forward, backward) == (1.5, None)
    assert log == ["forward", "backward", "update"] * 2
    assert stepper.steps == 2
    assert stepper.rule is not None and stepper.rule.first_loss == 2.0


@pytest.mark.parametrize("bad", [math.nan, math.inf, LOSS_FACTOR * (1 + 2.0) * 1.01])
def test_a_diverged_loss_stops_before_backward_and_update(bad: float) -> None:
    log, forward, backward = _calls([2.0, bad])
    stepper = Stepper(Recorder(log))
    stepper.step(forward, backward)
    loss, reason = stepper.step(forward, backward)
    assert loss is bad or (math.isnan(loss) and math.isnan(bad))
    assert reason is not None and ("loss" in reason)
    assert log == ["forward", "backward", "update", "forward"]  # no backward, no update
    assert stepper.steps == 1


def test_a_loss_just_under_the_limit_is_not_divergence() -> None:
    log, forward, backward = _calls([2.0, LOSS_FACTOR * 3.0 * 0.99])
    stepper = Stepper(Recorder(log))
    stepper.step(forward, backward)
    assert stepper.step(forward, backward)[1] is None


def test_watched_parameters_are_judged_with_the_loss() -> None:
    log, forward, backward = _calls([1.0, 1.0, 1.0])
    stepper = Stepper(Recorder(log))
    w = np.array([0.0, 1.0])
    assert stepper.step(forward, backward, watch=(w,))[1] is None
    w[1] = 2e6
    assert "2e+06" in stepper.step(forward, backward, watch=(w,))[1]
    w[1] = np.nan
    assert "non-finite" in stepper.step(forward, backward, watch=(w,))[1]


def test_check_false_skips_the_rule_but_the_first_loss_starts_it() -> None:
    log, forward, backward = _calls([math.inf, 3.0])
    stepper = Stepper(Recorder(log))
    assert stepper.step(forward, backward, check=False) == (math.inf, None)
    assert stepper.rule.first_loss == math.inf
    log2, forward2, backward2 = _calls([5.0])
    later = Stepper(Recorder(log2))
    assert later.check(5.0) is None and later.rule.first_loss == 5.0  # check() starts it too
    later.step(forward2, backward2)
    assert later.rule.first_loss == 5.0


def test_clip_norm_clips_the_gradients_before_the_update() -> None:
    point = Point([0.0, 0.0])
    seen: list[float] = []

    class Spy:
        lr = 1.0

        def step(self) -> None:
            seen.append(float(np.linalg.norm(point.dvalue)))

    def backward() -> None:
        point.dvalue[:] = [30.0, 40.0]  # norm 50

    Stepper(Spy(), [point.param], clip_norm=5.0).step(lambda: 1.0, backward)
    Stepper(Spy(), [point.param]).step(lambda: 1.0, backward)
    assert seen == pytest.approx([5.0, 50.0])


def test_step_module_is_core_numpy_only() -> None:
    tree = ast.parse((PACKAGE / "step.py").read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            imported.add(node.module)
        elif isinstance(node, ast.Import):
            imported.update(a.name for a in node.names)
    outside = {m for m in imported if m.startswith("backprop_lab")}
    assert outside <= {"backprop_lab.divergence", "backprop_lab.optim"}, outside
    assert not any(m.split(".")[0] in ("matplotlib", "ipywidgets") for m in imported)


# -- fit and run_optimizer go through it ---------------------------------------------------------


@pytest.fixture
def counted_steps(monkeypatch):
    """Counts every Stepper.step and Stepper.check call (and passes them on unchanged)."""
    counts = {"step": 0, "check": 0}
    step, check = Stepper.step, Stepper.check

    def counting_step(self, *args, **kwargs):
        counts["step"] += 1
        return step(self, *args, **kwargs)

    def counting_check(self, *args, **kwargs):
        counts["check"] += 1
        return check(self, *args, **kwargs)

    monkeypatch.setattr(step_module.Stepper, "step", counting_step)
    monkeypatch.setattr(step_module.Stepper, "check", counting_check)
    return counts


def _moons():
    X, y = load_toy("moons", n=100, seed=0)
    net = mlp([2, 8, 2], activation="tanh", rng=np.random.default_rng(0))
    return net, X, y


def test_fit_takes_every_step_through_the_stepper(counted_steps) -> None:
    net, X, y = _moons()
    history = fit(net, SoftmaxCrossEntropy(), SGD(net.parameters(), lr=0.1), X, y, epochs=3,
                  batch_size=32)
    assert counted_steps["step"] == 3 * 4 == len(history.step_loss)


def test_fit_obeys_the_steppers_verdict(monkeypatch) -> None:
    net, X, y = _moons()
    before = net.state_dict()

    def diverged(self, forward, backward, **kwargs):
        return forward(), "the stepper says so"

    monkeypatch.setattr(step_module.Stepper, "step", diverged)
    with pytest.raises(DivergenceError, match="the stepper says so"):
        fit(net, SoftmaxCrossEntropy(), SGD(net.parameters(), lr=0.1), X, y, epochs=1)
    for key, value in before.items():
        np.testing.assert_array_equal(net.state_dict()[key], value)


def test_run_optimizer_takes_every_step_through_the_stepper(counted_steps) -> None:
    trajectory = run_optimizer("bowl", "sgd", lr=0.1, steps=25)
    assert len(trajectory.path) == 26
    assert counted_steps == {"step": 25, "check": 1}  # 25 updates, then the last point judged


def test_run_optimizer_obeys_the_steppers_verdict(monkeypatch) -> None:
    step = Stepper.step

    def diverge_at_the_fourth_point(self, forward, backward, **kwargs):
        loss, reason = step(self, forward, backward, **kwargs)
        return loss, ("stop" if self.steps == 4 else reason)

    monkeypatch.setattr(step_module.Stepper, "step", diverge_at_the_fourth_point)
    trajectory = run_optimizer("bowl", "sgd", lr=0.1, steps=25)
    assert trajectory.diverged_at == 3 and len(trajectory.path) == 4


# -- the playground's loop, written with the stepper, is bit for bit the widget's ------------------


@pytest.mark.parametrize("settings", [
    {"activation": "tanh", "lr": 0.03},  # trains
    {"activation": "relu", "lr": 10.0, "hidden": (32, 32, 32), "batch_size": 300},  # diverges
])
def test_playground_loop_on_the_stepper_matches_the_widget(settings: dict) -> None:
    """One frame = one step; the playground judges divergence on the whole training set after
    the step. Written with Stepper(check=False) + Stepper.check, it reproduces PlaygroundModel."""
    from backprop_lab.widgets.playground import PlaygroundModel

    widget = PlaygroundModel(dataset="moons", optimizer="sgd", seed=3, **settings)
    mine = PlaygroundModel(dataset="moons", optimizer="sgd", seed=3, **settings)
    widget.step(40)

    stepper = Stepper(mine.optimizer)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        out = mine.net.forward(mine.X_train)
        reason = stepper.check(mine.loss.forward(out, mine.y_train), mine.net.parameters())
        frames = 0
        while frames < 40 and reason is None:  # one animation frame each; Pause = no call
            idx = mine._next_batch()
            stepper.step(
                lambda idx=idx: mine.loss.forward(mine.net.forward(mine.X_train[idx]),
                                                  mine.y_train[idx]),
                lambda: mine.net.backward(mine.loss.backward(), input_grad=False),
                check=False)
            frames += 1
            train_loss = mine.loss.forward(mine.net.forward(mine.X_train), mine.y_train)
            reason = stepper.check(train_loss, mine.net.parameters())

    assert frames == widget.steps == stepper.steps
    assert (reason is not None) == widget.diverged == (settings["lr"] > 1)
    assert reason == widget.diverged_reason
    for key, value in widget.net.state_dict().items():
        np.testing.assert_array_equal(mine.net.state_dict()[key], value)


def test_the_playground_steps_through_the_stepper(monkeypatch) -> None:
    """The third training loop of the course (the playground's) takes its steps through step.py
    too: every mini-batch step is one Stepper.step, and its verdict is Stepper.check's."""
    from backprop_lab import step as step_module
    from backprop_lab.widgets.playground import PlaygroundModel

    calls = {"step": 0, "check": 0}
    real_step, real_check = step_module.Stepper.step, step_module.Stepper.check

    def counting_step(self, *args, **kwargs):
        calls["step"] += 1
        return real_step(self, *args, **kwargs)

    def counting_check(self, *args, **kwargs):
        calls["check"] += 1
        return real_check(self, *args, **kwargs)

    monkeypatch.setattr(step_module.Stepper, "step", counting_step)
    monkeypatch.setattr(step_module.Stepper, "check", counting_check)
    m = PlaygroundModel(dataset="moons", optimizer="sgd", seed=3)
    assert calls == {"step": 0, "check": 1}  # the start is judged (and starts the rule)
    assert m.step(5) == 5
    assert calls == {"step": 5, "check": 6}
