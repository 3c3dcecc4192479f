"""The decision-boundary playground: the compute core headlessly, then the view's controls."""

from __future__ import annotations

import asyncio
import math

import numpy as np
import pytest

from backprop_lab.widgets.playground import (
    MAX_UNITS,
    Playground,
    PlaygroundModel,
    PlaygroundSettings,
    SettingsError,
    needs_rebuild,
    parse_hidden,
)

# ------------------------------------------------------------------------------------ the core


def test_a_few_steps_lower_the_loss():
    m = PlaygroundModel(dataset="moons", seed=0)
    start = m.history.train_loss[0]
    assert m.step(200) == 200
    assert m.steps == 200 and len(m.history.train_loss) == 201
    assert m.history.train_loss[-1] < 0.5 * start
    assert m.history.train_acc[-1] > 0.85
    assert not m.diverged


def test_reset_restores_initial_weights_and_loss_exactly():
    m = PlaygroundModel(dataset="xor", hidden="4,4", optimizer="momentum", lr=0.05)
    w0 = m.net.state_dict()
    first = (m.history.train_loss[0], m.history.test_loss[0])
    m.step(30)
    losses_30 = list(m.history.train_loss)
    assert not np.array_equal(m.net.state_dict()["0.W"], w0["0.W"])
    m.reset()
    for key, value in m.net.state_dict().items():
        np.testing.assert_array_equal(value, w0[key])
    assert (m.history.train_loss, m.history.test_loss) == ([first[0]], [first[1]])
    assert m.steps == 0 and m.epoch == 0 and m.optimizer.t == 0
    m.step(30)  # the same batches and optimizer state again: the same run, bit for bit
    assert m.history.train_loss == losses_30


def test_deterministic_for_a_seed():
    runs = []
    for _ in range(2):
        m = PlaygroundModel(dataset="spirals", hidden=(8, 8), seed=3)
        m.step(40)
        runs.append(m)
    a, b = runs
    assert a.history.train_loss == b.history.train_loss
    np.testing.assert_array_equal(a.boundary(), b.boundary())
    np.testing.assert_array_equal(a.X_train, b.X_train)
    other = PlaygroundModel(dataset="spirals", hidden=(8, 8), seed=4)
    other.step(40)
    assert other.history.train_loss != a.history.train_loss


def test_mini_batches_and_epochs():
    m = PlaygroundModel(n=100, test_fraction=0.2, batch_size=16)  # 80 training points
    assert len(m.X_train) == 80 and len(m.X_test) == 20
    m.step(5)  # 5 batches of 16 = one epoch
    assert m.epoch == 1
    m.step(1)
    assert m.epoch == 2
    big = PlaygroundModel(n=100, test_fraction=0.2, batch_size=10_000)
    assert big.batch_size == 80  # clamped to the training set: full-batch gradient descent
    big.step(2)
    assert big.epoch == 2


def test_boundary_is_a_probability_image():
    m = PlaygroundModel(dataset="spirals", resolution=30)  # 3 arms: 3 classes
    P = m.boundary()
    assert P.shape == (30, 30, 3)
    np.testing.assert_allclose(P.sum(axis=-1), 1.0)
    assert m.boundary(m.grid).shape == P.shape


def test_divergence_is_detected_and_stops_training():
    m = PlaygroundModel(dataset="moons", optimizer="sgd", lr=10.0, hidden="16,16", activation="relu")
    taken = m.step(2000)
    assert m.diverged and taken < 2000
    assert m.step(10) == 0
    assert m.status().startswith("diverged at step")


@pytest.mark.parametrize(
    ("text", "widths"),
    [("8,8", (8, 8)), (" 16 8 ", (16, 8)), ("[4, 2]", (4, 2)), ("", ()), ("none", ()), ((3,), (3,))],
)
def test_parse_hidden(text, widths):
    assert parse_hidden(text) == widths


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("hidden", "0", "at least 1 unit"),
        ("hidden", (8, 0), "at least 1 unit"),
        ("hidden", "8,x", "not a whole number"),
        ("hidden", "8,,8", "empty entry"),
        ("hidden", "8.5", "not a whole number"),
        ("hidden", str(MAX_UNITS + 1), "at most"),
        ("hidden", "2,2,2,2,2,2,2", "at most 6 hidden layers"),
        ("lr", -0.1, "learning rate: must be greater than 0"),
        ("lr", 0.0, "learning rate"),
        ("lr", math.nan, "learning rate: expected a finite number"),
        ("lr", "fast", "learning rate: expected a number"),
        ("dataset", "mnist", "dataset: unknown"),
        ("activation", "softplus", "activation: unknown"),
        ("optimizer", "lbfgs", "optimizer: unknown"),
        ("batch_size", 0, "batch size"),
        ("noise", -1, "noise"),
    ],
)
def test_bad_settings_give_a_clear_message(field, value, words):
    with pytest.raises(SettingsError, match=words):
        PlaygroundModel(**{field: value})


def test_live_settings_do_not_restart():
    m = PlaygroundModel()
    m.step(5)
    new = PlaygroundSettings(lr=0.1, batch_size=32)
    assert not needs_rebuild(m.settings, new)
    m.set_live(new)
    assert m.optimizer.lr == 0.1 and m.batch_size == 32 and m.steps == 5
    assert needs_rebuild(m.settings, PlaygroundSettings(hidden=(4,), lr=0.1, batch_size=32))
    with pytest.raises(ValueError):
        m.set_live(PlaygroundSettings(dataset="xor"))


# ------------------------------------------------------------------------------------ the view


@pytest.fixture
def pg():
    return Playground(PlaygroundSettings(dataset="moons", hidden=(8,)), resolution=30)


def test_step_button_changes_the_boundary_and_the_curve(pg):
    before = pg.image.get_array().copy()
    pg.step_button.click()
    assert pg.model.steps == 1
    assert not np.array_equal(before, pg.image.get_array())
    assert len(pg.train_line.get_xdata()) == 2
    assert "step 1," in pg.status.value
    assert pg.view.refresh_count >= 2
    assert pg.step_ms > 0 and pg.redraw_ms > 0


def test_reset_button_restores_the_first_picture(pg):
    first = pg.image.get_array().copy()
    pg.step(20)
    pg.reset_button.click()
    np.testing.assert_array_equal(first, pg.image.get_array())
    assert pg.model.steps == 0


def test_controls_rebuild_or_update_live(pg):
    pg.step(3)
    pg.controls["lr"].value = 0.1  # live: no restart
    assert pg.model.steps == 3 and pg.model.optimizer.lr == pytest.approx(0.1)
    pg.controls["batch_size"].value = 64
    assert pg.model.batch_size == 64 and pg.model.steps == 3
    pg.controls["dataset"].value = "spirals"  # a new model on new data
    assert pg.model.steps == 0 and pg.model.k == 3
    np.testing.assert_array_equal(pg.train_points.get_offsets(), pg.model.X_train)
    assert pg.image.get_array().shape == (30, 30, 3)
    pg.controls["hidden"].value = "16, 16"
    assert pg.model.settings.hidden == (16, 16)
    assert len(pg.model.net.parameters()) == 6
    pg.controls["activation"].value = "relu"
    pg.controls["optimizer"].value = "sgd"
    pg.controls["noise"].value = 0.05
    pg.controls["seed"].value = 7
    s = pg.model.settings
    assert (s.activation, s.optimizer, s.noise, s.seed, s.lr) == ("relu", "sgd", 0.05, 7, 0.1)


def test_bad_settings_show_a_message_not_a_traceback(pg):
    pg.controls["hidden"].value = "8,x"
    assert "Cannot use these settings" in pg.status.value
    assert "not a whole number" in pg.status.value
    assert pg.train_button.disabled and pg.step_button.disabled
    pg.step_button.click()  # ignored, no exception
    assert pg.model.steps == 0
    pg.controls["hidden"].value = "0"
    assert "at least 1 unit" in pg.status.value
    pg.controls["hidden"].value = "4"
    assert "Cannot" not in pg.status.value and not pg.train_button.disabled
    assert pg.model.settings.hidden == (4,)


def test_divergence_shows_diverged(pg):
    pg.controls["optimizer"].value = "sgd"
    pg.controls["activation"].value = "relu"
    pg.controls["hidden"].value = "16,16"
    pg.controls["lr"].value = 10.0
    shown = pg.image.get_array().copy()
    pg.step(2000)
    assert pg.model.diverged
    assert pg.diverged_text.get_visible()
    assert "diverged" in pg.status.value
    assert np.isfinite(pg.image.get_array()).all()  # the last finite picture, not an exploded one
    assert pg.train_button.disabled
    assert shown.shape == pg.image.get_array().shape
    pg.controls["lr"].value = 0.01  # a live change does not undo the divergence; Reset does
    pg.reset_button.click()
    assert not pg.model.diverged and not pg.diverged_text.get_visible()


def test_train_and_pause_in_an_event_loop(pg):
    async def session():
        pg.steps_per_frame.value = 5
        pg.frame_pause = 0.0
        pg.train_button.click()
        assert pg.running and pg.pause_button.disabled is False and pg.step_button.disabled
        for _ in range(4000):  # up to 20 s on a loaded machine; usually a fraction of a second
            await asyncio.sleep(0.005)
            if pg.model.steps >= 15:
                break
        pg.pause_button.click()
        await asyncio.sleep(0.05)
        return pg.model.steps

    steps = asyncio.run(session())
    assert steps >= 15 and steps % 5 == 0
    assert not pg.running and not pg.train_button.disabled
    assert pg.model.steps == steps  # paused: no more steps


def test_run_a_fixed_number_of_frames(pg):
    pg.steps_per_frame.value = 4
    asyncio.run(pg.run(max_frames=3))
    assert pg.model.steps == 12
    assert not pg.running


def test_train_without_an_event_loop_explains(pg):
    pg.train()
    assert not pg.running
    assert "event loop" in pg.status.value


def test_view_is_deterministic():
    a = Playground(resolution=20)
    b = Playground(resolution=20)
    a.step(15)
    b.step(15)
    np.testing.assert_array_equal(a.image.get_array(), b.image.get_array())
    assert a.status.value == b.status.value
