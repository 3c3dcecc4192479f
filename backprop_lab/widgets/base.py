"""What every widget view shares: hosting a matplotlib figure inside ipywidgets, and timing.

:class:`FigureView` is the one way widgets show their figure. With ipympl (``%matplotlib widget``)
the canvas is the widget and redraws itself. Otherwise (the inline fallback of VS Code, Colab and
plain Jupyter) the figure is rendered to a PNG inside an ``ipywidgets.Image``; a view that names
its *animated* artists then re-renders only those on a refresh (blitting), which is what keeps a
slider or a training loop at interactive speed::

    view = FigureView(fig, animated=[line, image, status_text], volatile=[ax_loss])
    line.set_data(x, y)        # update the artists in place ...
    view.refresh()             # ... and redraw: the static parts come from a cache
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Sequence
from typing import Any

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure

__all__ = ["BlitFigureView", "FigureView", "encode_png", "ipympl_active", "new_figure", "timed"]


def ipympl_active() -> bool:
    """True when matplotlib draws into ipympl's interactive canvas (``%matplotlib widget``)."""
    backend = matplotlib.get_backend().lower()
    return "ipympl" in backend or "widget" in backend


class FigureView:
    """A matplotlib figure shown as a widget and redrawn in place.

    With ipympl the figure's canvas *is* the widget and ``refresh`` asks it to redraw. Otherwise
    the figure is rendered to PNG into an ``ipywidgets.Image`` — the inline fallback that works in
    every front end. There are two ways to render that PNG:

    * ``FigureView(fig)``: the whole figure with ``savefig`` on every refresh (simple; 80–200 ms
      for a two-panel figure on the course machine).
    * ``FigureView(fig, animated=[...])``: **blitting**. The artists that change between
      refreshes (lines, images, markers, status texts) are marked *animated*, so ordinary figure
      draws leave them out. Everything else is rendered once and cached in two layers: the
      *base* (all but the ``volatile`` axes) and the *background* (the base plus the volatile
      axes, e.g. a loss axes whose limits follow the data). A refresh restores the background,
      draws the animated artists on it **in the order given** (list an image before the points
      and spines that lie on it) and encodes the PNG with :func:`encode_png` (~7 ms). Static
      artists that lie *above* animated ones and are opaque over their bounding box (a legend
      with ``framealpha=1``) go in ``overlay``: their pixels are copied from the background and
      pasted back after the animated artists are drawn — nearly free, where drawing them again
      would cost a text layout per label.

    The caches are rebuilt automatically when the view limits of an axes or the figure size
    change: the volatile axes alone over the base when only their limits changed, everything
    otherwise. After any other change to a static part (a new title that is not animated,
    relabelled ticks, recoloured points) call :meth:`invalidate`; after replacing animated
    artists (e.g. an axes was cleared) call :meth:`set_animated`. With ipympl none of this
    applies (artists are not marked animated; the canvas redraws itself).

    Args:
        fig: the figure (from :func:`new_figure`).
        animated: the artists that change between refreshes; None = no blitting.
        volatile: axes whose decorations (limits, ticks) change more often than the rest of the
            figure; only they are re-rendered when their limits change.
        overlay: static, opaque artists that lie over animated ones (see above).
        blit: False renders the whole figure with ``savefig`` on every refresh even when
            ``animated`` is given (for comparisons and benchmarks).
        cache: how many earlier renderings (one per set of axes limits) to keep, so that going
            back to limits seen before (a slider moved back and forth) restores them instead of
            rendering again. Only for figures whose static parts depend on nothing but the
            limits and the figure size between calls of :meth:`invalidate` (which empties the
            cache). 0 (the default) keeps none.

    Attributes:
        widget: the ipywidget to display.
        blit: True when refreshes blit (inline fallback and ``animated`` given).
        refresh_count: refreshes so far.
        last_refresh_ms: how long the latest ``refresh`` took (measured, for the benchmarks).
        full_redraws: how many refreshes rendered the whole figure; ``partial_redraws``: how many
            re-rendered only the volatile axes over the cached base.
    """

    def __init__(
        self,
        fig: Figure,
        animated: Sequence[Artist] | None = None,
        volatile: Sequence[Axes] = (),
        blit: bool = True,
        overlay: Sequence[Artist] = (),
        cache: int = 0,
    ) -> None:
        import ipywidgets as w

        self.fig = fig
        self.interactive = ipympl_active()
        self.blit = animated is not None and blit and not self.interactive
        self.refresh_count = 0
        self.last_refresh_ms = 0.0
        self.full_redraws = 0
        self.cached_redraws = 0  # refreshes whose limits were found in the cache
        self.cache_size = int(cache)
        self._cache: dict[tuple, tuple] = {}  # limit key -> (base, background, overlay pixels)
        self.partial_redraws = 0
        self.volatile: list[Axes] = list(volatile)
        self.overlay: list[Artist] = list(overlay)
        self.animated: list[Artist] = []
        self._overlay_pixels: list[Any] = []
        self._base: Any = None
        self._background: Any = None
        self._limits: tuple = ()
        self.set_animated(animated or [])
        if self.interactive:
            fig.canvas.header_visible = False
            fig.canvas.footer_visible = False
            fig.canvas.toolbar_visible = False
            self.widget = fig.canvas
        else:
            plt.close(fig)  # we render it ourselves; keep the inline backend from showing it twice
            self.widget = w.Image(format="png")
        self.refresh()

    # -- the caches ---------------------------------------------------------------------------

    def set_animated(self, artists: Sequence[Artist], partial: bool = False,
                     keep: bool = False) -> None:
        """Replace the animated artists (e.g. after their axes were cleared and redrawn); the
        next refresh renders everything, or only the volatile axes when ``partial`` (the new
        artists replace animated ones and nothing static changed outside the volatile axes), or
        nothing static when ``keep`` (the new artists replace animated ones and nothing static
        changed at all; changed axes limits are still detected and re-rendered)."""
        self.animated = list(artists)
        if self.blit:
            for a in self.animated:
                a.set_animated(True)
        if not keep:
            self.invalidate(partial=partial)

    def invalidate(self, partial: bool = False) -> None:
        """A static part changed: re-render the volatile axes (``partial``) or everything on the
        next refresh."""
        self._background = None
        self._cache.clear()
        if not partial:
            self._base = None

    def _limit_key(self) -> tuple:
        """What the caches depend on besides the artists: figure size and every axes' limits,
        (volatile ones last, so that a change there can be told apart)."""
        static = [ax for ax in self.fig.axes if ax not in self.volatile]
        key = [tuple(self.fig.bbox.bounds)]
        key += [(*ax.get_xlim(), *ax.get_ylim()) for ax in static]
        return tuple(key), tuple((*ax.get_xlim(), *ax.get_ylim()) for ax in self.volatile)

    # -- drawing ------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Redraw the figure after its artists were updated."""
        t = time.perf_counter()
        if self.interactive:
            self.fig.canvas.draw_idle()
        elif self.blit:
            self._blit()
        else:
            buf = io.BytesIO()
            # fast, light compression: encoding is a large part of a redraw at the default level
            self.fig.savefig(buf, format="png", dpi=self.fig.dpi, pil_kwargs={"compress_level": 1})
            self.widget.value = buf.getvalue()
            self.full_redraws += 1
        self.refresh_count += 1
        self.last_refresh_ms = (time.perf_counter() - t) * 1e3

    def _blit(self) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        canvas = self.fig.canvas
        if not isinstance(canvas, FigureCanvasAgg):
            canvas = FigureCanvasAgg(self.fig)
        key = self._limit_key()
        if self._limits and key != self._limits:
            if self.cache_size > 0 and self._background is not None:
                self._cache.pop(self._limits, None)
                self._cache[self._limits] = (self._base, self._background, self._overlay_pixels)
                while len(self._cache) > self.cache_size:
                    del self._cache[next(iter(self._cache))]  # the least recently used
            hit = self._cache.pop(key, None)
            if hit is not None:
                self._base, self._background, self._overlay_pixels = hit
                self.cached_redraws += 1
            else:
                self._background = None  # as invalidate(), keeping the cache
                if key[0] != self._limits[0]:
                    self._base = None
        if self._background is not None:
            canvas.restore_region(self._background)
        else:
            if self._base is None:
                for ax in self.volatile:
                    ax.set_visible(False)
                try:
                    canvas.draw()  # everything but the volatile axes and the animated artists
                finally:
                    for ax in self.volatile:
                        ax.set_visible(True)
                self._base = canvas.copy_from_bbox(self.fig.bbox)
                self.full_redraws += 1
            else:
                canvas.restore_region(self._base)
                self.partial_redraws += 1
            for ax in self.volatile:
                self.fig.draw_artist(ax)  # skips its animated children
            self._background = canvas.copy_from_bbox(self.fig.bbox)
            renderer = canvas.get_renderer()
            self._overlay_pixels = [
                canvas.copy_from_bbox(a.get_window_extent(renderer).padded(1.0))
                for a in self.overlay if a.get_visible()
            ]
        # the draw may have settled autoscaled limits; remember them as rendered
        self._limits = self._limit_key()
        for artist in self.animated:
            if artist.get_visible():
                self.fig.draw_artist(artist)
        for region in self._overlay_pixels:
            canvas.restore_region(region)
        rgba = np.asarray(canvas.buffer_rgba())
        # an RGB PNG encodes faster than RGBA and looks the same when the background is opaque
        self.widget.value = encode_png(rgba[..., :3] if self._opaque() else rgba)

    def _opaque(self) -> bool:
        """True when the figure background is opaque (so the PNG needs no alpha channel)."""
        from matplotlib.colors import to_rgba

        return to_rgba(self.fig.get_facecolor())[3] == 1.0


class BlitFigureView(FigureView):
    """``FigureView(fig, animated=moving, volatile=volatile, blit=blit)`` under the name and
    signature the learning-rate explorer introduced; ``moving`` / :meth:`set_moving` are the
    same as ``animated`` / :meth:`set_animated`."""

    def __init__(
        self,
        fig: Figure,
        moving: Sequence[Artist],
        volatile: Sequence[Axes] = (),
        blit: bool = True,
    ) -> None:
        super().__init__(fig, animated=moving, volatile=volatile, blit=blit)

    @property
    def moving(self) -> list[Artist]:
        return self.animated

    def set_moving(self, artists: Sequence[Artist]) -> None:
        """Replace the list of moving artists (see :meth:`FigureView.set_animated`)."""
        self.set_animated(artists)


def encode_png(pixels: np.ndarray, level: int = 1) -> bytes:
    """``pixels`` (uint8, shape (height, width, 3) RGB or (height, width, 4) RGBA) as PNG bytes.

    Lossless and fast: no PNG row filter and zlib at ``level`` 1. On the course's figures
    (~1000×380 px, mostly flat background) this takes ~7 ms where Pillow's
    ``save(format="png", compress_level=1)`` takes ~17–19 ms (Pillow picks a filter per row);
    the files are about as large (45–85 KiB) and decode to the same pixels.
    """
    import struct
    import zlib

    if pixels.dtype != np.uint8 or pixels.ndim != 3 or pixels.shape[2] not in (3, 4):
        raise ValueError("encode_png expects uint8 pixels of shape (height, width, 3 or 4), got "
                         f"{pixels.dtype} {pixels.shape}")
    h, w, c = pixels.shape
    raw = np.empty((h, 1 + w * c), np.uint8)
    raw[:, 0] = 0  # filter type None on every row
    raw[:, 1:].reshape(h, w, c)[...] = pixels  # one copy, also from a strided RGBA view

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))

    header = struct.pack(">IIBBBBB", w, h, 8, 2 if c == 3 else 6, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw.data, level)) + chunk(b"IEND", b""))


def new_figure(width: float = 9.0, height: float = 3.6, **kw) -> Figure:
    """A figure that is not shown automatically (the view decides how to show it)."""
    with plt.ioff():
        fig = plt.figure(figsize=(width, height), **kw)
    return fig


def timed(fn: Callable[[], object]) -> float:
    """Milliseconds taken by ``fn()``."""
    t = time.perf_counter()
    fn()
    return (time.perf_counter() - t) * 1e3


def status_html(text: str) -> str:
    """A widget's status text as HTML for an ``ipywidgets.HTML`` (kept verbatim, line breaks too)."""
    import html

    return "<pre style='margin:0; line-height:1.35'>" + html.escape(text) + "</pre>"


class ExplorerView:
    """What the explorer widgets share: on every control change, recompute, redraw, show status.

    A subclass sets ``self.result`` (its compute function's output, which has a ``status``),
    ``self.view`` (a :class:`FigureView`) and ``self.status_box`` (an ``ipywidgets.HTML``), and
    defines ``_compute()`` and ``_draw()``. Errors listed in ``compute_errors`` (bad settings)
    become a message in the widget, never a traceback.
    """

    compute_errors: tuple[type[Exception], ...] = (ValueError,)

    def _compute(self):  # pragma: no cover - defined by subclasses
        raise NotImplementedError

    def _draw(self) -> None:  # pragma: no cover - defined by subclasses
        raise NotImplementedError

    @property
    def status(self) -> str:
        """The status text currently shown (plain text)."""
        return self._status

    def _show_status(self, text: str | None = None) -> None:
        self._status = self.result.status if text is None else text
        self.status_box.value = status_html(self._status)

    def _on_change(self, _change: dict) -> None:
        try:
            self.result = self._compute()
        except self.compute_errors as e:
            self._show_status(f"cannot compute: {e}")
            return
        self._draw()
        self.view.refresh()
        self._show_status()

