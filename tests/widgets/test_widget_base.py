"""FigureView: the inline PNG refresh, with and without blitting, against a full render."""

from __future__ import annotations

import io

import matplotlib.pyplot as plt
import numpy as np
import pytest
from PIL import Image

from backprop_lab.widgets.base import FigureView, encode_png, new_figure


def pixels(png: bytes) -> np.ndarray:
    """(h, w, 3) int16 pixels of a PNG."""
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.int16)


def full_render(fig) -> np.ndarray:
    """The figure rendered whole with savefig, as FigureView(fig) does (animated artists too)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=fig.dpi)
    return pixels(buf.getvalue())


def assert_same_picture(a: np.ndarray, b: np.ndarray, tolerance: float = 0.005) -> None:
    """Equal up to anti-aliasing where artists overlap: < 0.5 % of pixels differ by > 40/255."""
    assert a.shape == b.shape
    differ = np.any(np.abs(a - b) > 40, axis=-1)
    assert differ.mean() < tolerance, f"{differ.mean():.2%} of the pixels differ"


class Demo:
    """A two-panel figure like the widgets': an image with points on it and a title that changes,
    a loss-like line on axes whose limits follow the data, a legend over the line."""

    def __init__(self, **view_kw) -> None:
        rng = np.random.default_rng(0)
        self.fig = new_figure(6.0, 3.0, dpi=72)
        self.ax_img, self.ax_line = self.fig.subplots(1, 2)
        self.image = self.ax_img.imshow(rng.random((20, 20, 3)), extent=(0, 1, 0, 1),
                                        origin="lower", aspect="auto")
        self.points = self.ax_img.scatter(*rng.random((2, 30)), s=12, edgecolors="white")
        self.ax_img.set_title("step 0")
        (self.line,) = self.ax_line.plot([], [], label="loss")
        self.ax_line.set_xlim(0, 10)
        self.ax_line.set_ylim(0, 1)
        self.legend = self.ax_line.legend(loc="upper right", framealpha=1.0)
        self.animated = [self.image, self.points, self.ax_img.title, self.line]
        self.view = FigureView(self.fig, animated=self.animated, volatile=[self.ax_line],
                               overlay=[self.legend], **view_kw)

    def update(self, k: int) -> None:
        rng = np.random.default_rng(k)
        self.image.set_data(rng.random((20, 20, 3)))
        self.ax_img.set_title(f"step {k}")
        x = np.arange(k + 1)
        self.line.set_data(x, np.exp(-x / 4))
        self.ax_line.set_xlim(0, max(10, k))
        self.view.refresh()


@pytest.fixture
def demo():
    d = Demo()
    yield d
    plt.close(d.fig)


def test_blitted_png_matches_a_full_render(demo):
    assert demo.view.blit and all(a.get_animated() for a in demo.animated)
    for k in (1, 5, 12):  # the last one moves the volatile axes' limits
        demo.update(k)
        assert_same_picture(pixels(demo.view.widget.value), full_render(demo.fig))


def test_refresh_is_timed_and_counted(demo):
    count = demo.view.refresh_count
    demo.update(3)
    assert demo.view.refresh_count == count + 1
    assert demo.view.last_refresh_ms > 0
    assert demo.view.widget.value[:8] == b"\x89PNG\r\n\x1a\n"


def test_caches_are_rebuilt_only_when_limits_change(demo):
    full, partial = demo.view.full_redraws, demo.view.partial_redraws
    assert full == 1
    for k in range(1, 10):  # xlim stays (0, 10): nothing but the animated artists is drawn
        demo.update(k)
    assert (demo.view.full_redraws, demo.view.partial_redraws) == (full, partial)
    demo.update(15)  # the volatile axes' limits moved: only they are re-rendered
    assert (demo.view.full_redraws, demo.view.partial_redraws) == (full, partial + 1)
    demo.ax_img.set_xlim(0, 2)  # a static axes' limits moved: everything
    demo.update(16)
    assert demo.view.full_redraws == full + 1
    assert_same_picture(pixels(demo.view.widget.value), full_render(demo.fig))
    demo.ax_img.set_xlabel("a new label")  # not a limit: the widget says so
    demo.view.invalidate()
    demo.update(17)
    assert demo.view.full_redraws == full + 2
    assert_same_picture(pixels(demo.view.widget.value), full_render(demo.fig))


def test_overlay_stays_on_top_of_animated_artists(demo):
    demo.line.set_data([0, 10], [0.98, 0.98])  # right through the legend
    demo.view.refresh()
    blit, full = pixels(demo.view.widget.value), full_render(demo.fig)
    assert_same_picture(blit, full)
    bbox = demo.legend.get_window_extent(demo.fig.canvas.get_renderer())
    h = blit.shape[0]
    x0, x1 = int(bbox.x0) + 3, int(bbox.x1) - 3
    y0, y1 = h - int(bbox.y1) + 3, h - int(bbox.y0) - 3
    np.testing.assert_array_equal(blit[y0:y1, x0:x1], full[y0:y1, x0:x1])


def test_without_animated_artists_the_whole_figure_is_rendered():
    d = Demo(blit=False)
    try:
        assert not d.view.blit and not any(a.get_animated() for a in d.animated)
        d.update(12)
        assert d.view.full_redraws == 2 and d.view.partial_redraws == 0
        assert d.view.last_refresh_ms > 0
        assert_same_picture(pixels(d.view.widget.value), full_render(d.fig))
    finally:
        plt.close(d.fig)
    fig = new_figure(3, 2, dpi=50)
    fig.add_subplot().plot([0, 1])
    view = FigureView(fig)
    assert not view.blit and view.refresh_count == 1
    assert_same_picture(pixels(view.widget.value), full_render(fig))


def test_the_compatibility_alias_is_gone():
    """Issue 17: ``BlitFigureView`` (a 0.1.0 alias of FigureView) no longer exists."""
    from backprop_lab.widgets import base, lr_explorer

    assert not hasattr(base, "BlitFigureView") and not hasattr(lr_explorer, "BlitFigureView")


def test_playground_step_redraws_only_what_changes():
    from backprop_lab.widgets.playground import Playground

    pg = Playground(resolution=30)
    try:
        assert pg.view.blit and pg.image.get_animated()
        pg.step(1)
        full = pg.view.full_redraws
        for _ in range(20):
            pg.step(1)
        assert pg.view.full_redraws == full  # axes and points' layout were not re-rendered
        assert pg.view.partial_redraws <= 3  # the loss axes only when a stepped limit moved
        assert pg.view.last_refresh_ms > 0 and pg.redraw_ms >= pg.view.last_refresh_ms
        assert_same_picture(pixels(pg.view.widget.value), full_render(pg.fig))
        pg.controls["dataset"].value = "moons"  # new data, new limits: a full re-render
        assert pg.view.full_redraws == full + 1
        assert_same_picture(pixels(pg.view.widget.value), full_render(pg.fig))
    finally:
        plt.close(pg.fig)


@pytest.mark.parametrize("channels", [3, 4])
def test_encode_png_round_trips_exactly(channels):
    """encode_png is lossless: Pillow decodes exactly the pixels given (RGB and RGBA, also from
    a strided view such as the RGB part of an RGBA buffer)."""
    rng = np.random.default_rng(0)
    rgba = rng.integers(0, 256, size=(37, 53, 4), dtype=np.uint8)
    rgba[10:20] = 255  # a flat band, as a figure's background
    given = rgba[..., :channels]
    png = encode_png(given)
    decoded = np.asarray(Image.open(io.BytesIO(png)))
    assert decoded.shape == (37, 53, channels)
    assert np.array_equal(decoded, given)


def test_encode_png_of_a_figure_matches_pillow():
    fig = new_figure(4, 3)
    ax = fig.add_subplot()
    ax.plot([0, 1, 2], [1, 0, 2])
    fig.canvas.draw()
    rgb = np.asarray(fig.canvas.buffer_rgba())[..., :3]
    ours = np.asarray(Image.open(io.BytesIO(encode_png(rgb))))
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgb)).save(buf, format="png")
    assert np.array_equal(ours, np.asarray(Image.open(buf)))
    plt.close(fig)


@pytest.mark.parametrize("bad", [np.zeros((4, 4, 3), np.float64), np.zeros((4, 4), np.uint8),
                                 np.zeros((4, 4, 2), np.uint8)])
def test_encode_png_rejects_what_is_not_uint8_rgb_or_rgba(bad):
    with pytest.raises(ValueError, match="uint8 pixels of shape"):
        encode_png(bad)


def test_cache_restores_earlier_limits_and_invalidate_empties_it():
    d = Demo(cache=2)
    try:
        d.update(1)
        d.ax_img.set_xlim(0, 2)
        d.update(2)
        full = d.view.full_redraws
        d.ax_img.set_xlim(0, 1)  # back to limits rendered before: from the cache
        d.update(3)
        assert (d.view.full_redraws, d.view.cached_redraws) == (full, 1)
        assert_same_picture(pixels(d.view.widget.value), full_render(d.fig))
        d.ax_img.set_xlim(0, 3)
        d.update(4)
        assert d.view.full_redraws == full + 1
        d.ax_img.set_xlabel("a new label")
        d.view.invalidate()  # a static change: every cached rendering is stale
        d.ax_img.set_xlim(0, 2)
        d.update(5)
        assert (d.view.full_redraws, d.view.cached_redraws) == (full + 2, 1)
        assert_same_picture(pixels(d.view.widget.value), full_render(d.fig))
        for lim in (4, 5, 6, 7):  # at most ``cache`` renderings are kept
            d.ax_img.set_xlim(0, lim)
            d.update(lim)
        assert len(d.view._cache) <= 2
    finally:
        plt.close(d.fig)


def test_without_cache_earlier_limits_are_drawn_again(demo):
    demo.ax_img.set_xlim(0, 2)
    demo.update(1)
    full = demo.view.full_redraws
    demo.ax_img.set_xlim(0, 1)
    demo.update(2)
    assert (demo.view.full_redraws, demo.view.cached_redraws) == (full + 1, 0)
