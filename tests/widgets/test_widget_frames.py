"""Frames rendered ahead of time (widgets/base.py ``ExplorerView``): the one view pattern's fast
path in a live kernel. A frame shown from the cache must be the figure (and the state) a widget
computing from scratch shows for the same control values."""

from __future__ import annotations

import asyncio

import ipywidgets as w
import matplotlib.pyplot as plt
import pytest
from _widget_helpers import png_pixels
from test_widget_base import assert_same_picture, full_render

from backprop_lab.widgets.activation_explorer import ActivationExplorer
from backprop_lab.widgets.base import ExplorerView, slider_index, slider_value
from backprop_lab.widgets.gradient_flow import GradientFlowExplorer
from backprop_lab.widgets.lr_explorer import LRExplorer
from backprop_lab.widgets.momentum_explorer import EMAExplorer, MomentumExplorer
from backprop_lab.widgets.optimizer_race import OptimizerRace
from backprop_lab.widgets.playground import Playground


def full_render_of(view):
    """The figure's artists rendered whole (nothing marked animated)."""
    for artist in view.animated:
        artist.set_animated(False)
    try:
        return full_render(view.fig)
    finally:
        for artist in view.animated:
            artist.set_animated(True)


# name, factory(value or None), control name, what the widget shows besides the figure
CASES = {
    "activation": (lambda v=0.0: ActivationExplorer(mean=v), "mean", lambda x: x.status),
    "lr": (lambda v=None: LRExplorer(lr=v), "lr", lambda x: x.status_text),
    "momentum": (lambda v=0.01: MomentumExplorer(eta=v), "eta", lambda x: x.status_text),
    "ema": (lambda v=0.9: EMAExplorer(beta=v), "beta", lambda x: x.status_text),
    "gradient_flow": (lambda v=4: GradientFlowExplorer(depth=v, width=32), "depth",
                      lambda x: x.status),
    "race": (lambda v=50: OptimizerRace(steps=100, frame=v), "frame",
             lambda x: (x.status_text, x.legend_texts)),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_frame_rendered_ahead_is_what_a_fresh_widget_shows(case):
    make, name, shown = CASES[case]
    x = make()
    figs = [x.fig if hasattr(x, "fig") else x.view.fig]
    try:
        assert isinstance(x, ExplorerView)
        x.frames_enabled = True
        control = x._watched[name]
        k = slider_index(control, control.value)
        assert k is not None
        control.value = slider_value(control, k + 1)  # computed and drawn, kept as a frame
        assert x.view.frames_shown == 0
        assert x.render_ahead() >= 1  # what the event loop does while the kernel is idle
        assert x.frames_rendered >= 1
        refreshes = x.view.refresh_count
        control.value = slider_value(control, k + 2)  # rendered ahead: shown, not drawn
        assert (x.view.frames_shown, x.view.refresh_count) == (1, refreshes)

        fresh = make(control.value)
        figs.append(fresh.view.fig)
        assert shown(x) == shown(fresh)
        assert_same_picture(png_pixels(x.view), png_pixels(fresh.view))
        # the artists follow the frame shown (a later redraw starts from them)
        assert_same_picture(png_pixels(x.view), full_render_of(x.view))

        control.value = slider_value(control, k + 1)  # back: the frame of the real change
        assert (x.view.frames_shown, x.view.refresh_count) == (2, refreshes)
        back = make(control.value)
        figs.append(back.view.fig)
        assert shown(x) == shown(back)
        assert_same_picture(png_pixels(x.view), png_pixels(back.view))
    finally:
        for f in figs:
            plt.close(f)


def test_without_an_event_loop_every_change_is_computed():
    """Headless (tests, scripts): no frames; each change computes and draws as before."""
    x = ActivationExplorer()
    x.frames_enabled = None  # on where an event loop runs: not here
    try:
        for v in (0.5, 0.6, 0.5, 0.6):
            x.mean.value = v
        assert x.view.frames_shown == 0 and x.view.refresh_count == 5
    finally:
        plt.close(x.view.fig)


def test_frames_are_on_where_an_event_loop_runs():
    async def inside_a_loop():
        x = ActivationExplorer()
        x.frames_enabled = None  # on where an event loop runs
        try:
            x.mean.value = 0.1  # computed, kept as a frame
            x.mean.value = 0.2
            x.mean.value = 0.1  # the frame kept
            return x.view.frames_shown
        finally:
            plt.close(x.view.fig)

    assert asyncio.run(inside_a_loop()) == 1


def test_frames_are_planned_in_the_direction_of_the_move():
    x = LRExplorer()
    try:
        x.frames_enabled = True
        k = slider_index(x.lr, x.lr.value)
        x.lr.value = slider_value(x.lr, k - 1)  # moving left
        planned = [slider_index(x.lr, p["lr"]) for p in x._plan]
        assert planned[0] == k - 2 and set(planned) <= {k - 3, k - 2, k}
    finally:
        plt.close(x.fig)


def test_slider_positions_tolerate_the_browsers_last_bit():
    log = w.FloatLogSlider(value=0.01, base=10, min=-4, max=1, step=0.01)
    assert slider_index(log, 0.01) == 200
    assert slider_index(log, 0.01 * (1 + 2**-52)) == 200  # 10 ** x in JavaScript
    assert slider_index(log, 0.0123) is None  # off the grid
    assert slider_value(log, 200) == pytest.approx(0.01, rel=1e-12)
    assert slider_value(log, 10_000) is None  # past max
    lin = w.FloatSlider(value=0.3, min=-3.0, max=3.0, step=0.1)
    assert slider_index(lin, 0.1 + 0.2) == 33 and slider_value(lin, 33) == 0.3
    ints = w.IntSlider(value=4, min=2, max=30, step=2)
    assert slider_index(ints, 4) == 1 and slider_value(ints, 1) == 4
    assert slider_index(w.Dropdown(options=[1, 2], value=1), 1) is None


def test_playground_noise_frames_hold_an_untrained_model():
    pg = Playground(resolution=30)
    figs = [pg.fig]
    try:
        pg.frames_enabled = True
        noise = pg.controls["noise"]
        start = noise.value
        noise.value = round(start + 0.01, 2)
        assert pg.render_ahead() >= 1
        noise.value = round(start + 0.02, 2)  # rendered ahead
        assert pg.view.frames_shown == 1
        assert pg.model.steps == 0 and pg.model.settings.noise == noise.value
        fresh = Playground(resolution=30)
        figs.append(fresh.fig)
        fresh.controls["noise"].value = noise.value
        assert_same_picture(png_pixels(pg.view), png_pixels(fresh.view))
        assert pg.status.value == fresh.status.value
        pg.step(5)  # training the model shown leaves the frame's model untrained
        noise.value = round(start + 0.01, 2)
        noise.value = round(start + 0.02, 2)
        assert pg.view.frames_shown == 3 and pg.model.steps == 0
        pg.controls["lr"].value = 0.01  # a live setting: applied to the model, no frame
        assert pg.view.frames_shown == 3
    finally:
        for f in figs:
            plt.close(f)


def test_in_a_live_kernel_the_artists_follow_the_frame_after_it_was_sent():
    """With an event loop the artists are brought to the frame shown after the figure went out;
    whoever reads them first (status_text, legend_texts) gets them brought up to date."""

    async def inside_a_loop():
        race = OptimizerRace(steps=100, frame=50)
        race.frames_enabled = None  # on where an event loop runs
        try:
            slider = race.lrs["SGD"]
            k = 40
            slider.value = slider_value(slider, k)  # onto the slider's grid
            slider.value = slider_value(slider, k + 1)
            race.render_ahead()
            slider.value = slider_value(slider, k + 2)  # a frame: shown, artists not yet drawn
            assert race.view.frames_shown == 1 and race._drawn_token is not None
            read_at_once = (race.status_text, race.legend_texts)  # brought up to date
            fresh = OptimizerRace(steps=100, frame=50, lrs={"SGD": slider.value})
            try:
                assert read_at_once == (fresh.status_text, fresh.legend_texts)
            finally:
                plt.close(fresh.view.fig)
            slider.value = slider_value(slider, k + 1)  # a frame again; now let the loop run
            await asyncio.sleep(0.1)
            assert race._drawn_token is None  # drawn by the loop
            assert_same_picture(png_pixels(race.view), full_render_of(race.view))
        finally:
            plt.close(race.view.fig)

    asyncio.run(inside_a_loop())


def test_frames_are_on_by_default_where_an_event_loop_runs():
    assert ExplorerView.frames_enabled is None
