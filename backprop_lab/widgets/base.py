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

import asyncio
import io
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure

__all__ = ["ExplorerView", "FigureView", "encode_png", "ipympl_active", "new_figure", "timed"]


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
        self.frames_shown = 0  # PNGs rendered ahead of time and shown (see show)
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
        else:
            self.widget.value = self._render()
        self.refresh_count += 1
        self.last_refresh_ms = (time.perf_counter() - t) * 1e3

    def render(self) -> bytes:
        """The PNG of the figure as its artists are now, without showing it (a frame rendered
        ahead of time, see :class:`ExplorerView`). Inline fallback only."""
        if self.interactive:
            raise RuntimeError("render() is for the inline PNG view; with ipympl the canvas "
                               "draws itself")
        return self._render()

    def show(self, png: bytes) -> None:
        """Show a PNG rendered earlier by :meth:`render` (counted in ``frames_shown``)."""
        t = time.perf_counter()
        self.widget.value = png
        self.frames_shown += 1
        self.last_refresh_ms = (time.perf_counter() - t) * 1e3

    def _render(self) -> bytes:
        if self.blit:
            return self._blit()
        buf = io.BytesIO()
        # fast, light compression: encoding is a large part of a redraw at the default level
        self.fig.savefig(buf, format="png", dpi=self.fig.dpi, pil_kwargs={"compress_level": 1})
        self.full_redraws += 1
        return buf.getvalue()

    def _blit(self) -> bytes:
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
        return encode_png(rgba[..., :3] if self._opaque() else rgba)

    def _opaque(self) -> bool:
        """True when the figure background is opaque (so the PNG needs no alpha channel)."""
        from matplotlib.colors import to_rgba

        return to_rgba(self.fig.get_facecolor())[3] == 1.0


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


class Frame:
    """A figure rendered for one setting of the controls: its PNG and the view's state for it
    (``result`` and whatever else :attr:`ExplorerView.frame_attrs` names)."""

    __slots__ = ("png", "state")

    def __init__(self, png: bytes, state: dict[str, Any]) -> None:
        self.png = png
        self.state = state


def slider_index(control: Any, value: Any) -> int | None:
    """The position of ``value`` on ``control``'s grid (0 = its ``min``), None when ``control``
    is no slider with a step or ``value`` lies off the grid (more than 1e-6 of a step away).

    A log slider's grid is its exponent's. Positions, not values, key the frames of an
    :class:`ExplorerView`, because the browser computes a slider's values itself (``10 ** x``
    in JavaScript may differ from Python's in the last bit)."""
    import ipywidgets as w

    if isinstance(control, w.FloatLogSlider):
        if not value > 0:
            return None
        x = math.log(value) / math.log(control.base)
    elif isinstance(control, (w.FloatSlider, w.IntSlider)):
        x = value
    else:
        return None
    step = float(control.step or 0)
    if step <= 0:
        return None
    k = (x - control.min) / step
    if not math.isfinite(k) or abs(k - round(k)) > 1e-6:
        return None
    return int(round(k))


def slider_value(control: Any, index: int) -> Any | None:
    """The value at grid position ``index`` of a slider (None outside its range)."""
    import ipywidgets as w

    x = control.min + index * control.step
    if x < control.min - 1e-9 * abs(control.step) or x > control.max + 1e-9 * abs(control.step):
        return None
    if isinstance(control, w.FloatLogSlider):
        return float(control.base) ** x
    if isinstance(control, w.IntSlider):
        return int(round(x))
    return float(round(x, 12))


class ExplorerView:
    """The one pattern of the course's widget views: controls → compute → draw → figure + status.

    A subclass builds its controls, its figure (a :class:`FigureView` in ``self.view``) and its
    status widget, then calls :meth:`_watch` with the controls by name. On every change of one
    of them (from the mouse, the keyboard or code) :meth:`_on_change` runs

    1. ``_prepare(change)`` — structural changes before computing (new contours for a new
       surface, another step axis); optional;
    2. ``self.result = self._compute()`` — the pure compute function of the module, called with
       the control values read through :meth:`_value`; errors listed in ``compute_errors``
       become a message in the widget, never a traceback;
    3. ``self._draw()`` — update the figure's artists in place from ``self.result`` (and nothing
       else: no widget values, so that frames can be drawn ahead of time);
    4. ``self.view.refresh()`` and ``self._show_status()`` (the status from ``self.result``).

    **Frames ahead of time** (live kernels, inline PNG view): the figure rendered for a setting
    of the controls is kept as a :class:`Frame` (PNG + result), and after a slider moved, the
    kernel renders the next positions of that slider while it is idle (in the direction it
    moved first: ``prefetch_ahead`` positions ahead, ``prefetch_behind`` behind; one frame per
    turn of the event loop, so a key press waits for at most one frame). When the slider
    arrives at a position rendered ahead, the view shows that frame's PNG — the key press costs
    the kernel a dictionary look-up instead of a compute and a render. A frame stands for the
    control values it was computed with; slider values are compared by their position on the
    slider's grid (:func:`slider_index`). Frames are used only where an asyncio event loop runs
    (a Jupyter kernel) or ``frames_enabled`` is set; otherwise (tests, scripts) every change
    computes and draws as described above. Call :meth:`forget_frames` after a change that the control values do
    not capture.
    """

    compute_errors: tuple[type[Exception], ...] = (ValueError,)
    #: attributes a frame stands for: saved with it, restored when it is shown
    frame_attrs: tuple[str, ...] = ("result",)
    #: frames kept (least recently used dropped first); ~50-90 KiB each
    frame_cache_size = 64
    #: slider positions rendered ahead after a move: in its direction, and behind it
    prefetch_ahead = 2
    prefetch_behind = 1
    #: seconds the event loop waits before rendering ahead (lets the reply go out first)
    prefetch_delay_s = 0.005
    #: True/False: frames on/off; None (the default): on where an asyncio event loop runs (a
    #: Jupyter kernel). ipykernel 7 handles widget messages on more than one thread, each with
    #: its event loop, so all of a view's work runs under one lock (:attr:`_lock`); without it
    #: a frame rendered ahead raced a change in the browser benchmark (lost updates, a crashed
    #: kernel). ``ExplorerView.frames_enabled = False`` turns frames off for every widget.
    frames_enabled: bool | None = None

    _busy = False
    _drawn_token: object | None = None
    _override: dict[str, Any] = {}  # noqa: RUF012 - replaced per instance while rendering ahead

    def _compute(self):  # pragma: no cover - defined by subclasses
        raise NotImplementedError

    def _draw(self) -> None:  # pragma: no cover - defined by subclasses
        raise NotImplementedError

    def _prepare(self, change: dict) -> None:
        """Structural changes before computing (default: none)."""

    # -- controls -----------------------------------------------------------------------------

    def _watch(self, controls: dict[str, Any], prefetch: Sequence[str] = ()) -> None:
        """Observe ``controls`` (name -> control); ``prefetch``: the sliders whose neighbouring
        positions are rendered ahead of time after they moved."""
        self._watched = dict(controls)
        self._prefetch_names = {self._watched[n]: n for n in prefetch}
        self._frames: OrderedDict[tuple, Frame] = OrderedDict()
        self._plan: list[dict[str, Any]] = []
        self._prefetch_handle: Any = None
        self.frames_rendered = 0  # frames rendered ahead of time
        for c in self._watched.values():
            c.observe(self._on_change, names="value")

    def _value(self, name: str) -> Any:
        """The value of control ``name`` that compute and draw use (the control's, or the one a
        frame is being rendered ahead for)."""
        if name in self._override:
            return self._override[name]
        return self._watched[name].value

    @property
    def status(self) -> str:
        """The status text currently shown (plain text)."""
        return self._status

    def _show_status(self, text: str | None = None) -> None:
        self._status = self.result.status if text is None else text
        self.status_box.value = status_html(self._status)

    # -- updating -----------------------------------------------------------------------------

    @property
    def _lock(self) -> threading.RLock:
        """Serialises the view's work: ipykernel 7 handles widget messages on more than one
        thread (each with its event loop), so a change and a frame rendered ahead (or the
        playground's training) could otherwise draw the same figure at once."""
        lock = self.__dict__.get("_view_lock")
        if lock is None:
            lock = self.__dict__.setdefault("_view_lock", threading.RLock())
        return lock

    def _on_change(self, change: dict) -> None:
        with self._lock:
            if self._busy:
                return
            self._busy = True
            try:
                self._prepare(change)
                self.update(change)
            finally:
                self._busy = False

    def update(self, change: dict | None = None) -> None:
        """Recompute for the current control values, redraw the figure and the status."""
        live = self._frames_live()
        key = self._frame_key() if live else None
        frame = self._frames.get(key) if live else None
        if frame is not None:
            self._frames.move_to_end(key)
            for name, value in frame.state.items():
                setattr(self, name, value)
            self.view.show(frame.png)
            self._follow_frame()
        else:
            try:
                self.result = self._compute()
            except self.compute_errors as e:
                self._show_status(f"cannot compute: {e}")
                return
            self._drawn_token = None
            self._draw()
            self.view.refresh()
            if live:
                self._store(key, self.view.widget.value)
        self._show_status()
        if live and change is not None:
            self._plan_prefetch(change)

    # -- frames ahead of time -----------------------------------------------------------------

    def _follow_frame(self) -> None:
        """Bring the artists to the frame just shown (no rendering): right after the figure was
        sent when an event loop runs (drawing first would delay it), else at once."""
        self._drawn_token = token = object()
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._draw()
            return

        def follow() -> None:
            with self._lock:
                if self._drawn_token is token:  # nothing drew since
                    self._settle()

        loop.call_soon(follow)

    def _settle(self) -> None:
        """Draw now what :meth:`_follow_frame` would draw later (for readers of the artists)."""
        with self._lock:
            if self._drawn_token is not None:
                self._drawn_token = None
                self._draw()

    def _frames_live(self) -> bool:
        if not hasattr(self, "_frames") or self.view.interactive:
            return False
        if self.frames_enabled is not None:
            return self.frames_enabled
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return False
        return True

    def _frame_key(self, override: dict[str, Any] | None = None) -> tuple:
        key = []
        for name, control in self._watched.items():
            value = (override or {}).get(name, control.value)
            k = slider_index(control, value)
            key.append((name, "@", k) if k is not None else (name, _hashable(value)))
        return tuple(key)

    def _store(self, key: tuple, png: bytes) -> None:
        self._frames[key] = Frame(png, {n: getattr(self, n) for n in self.frame_attrs})
        self._frames.move_to_end(key)
        while len(self._frames) > self.frame_cache_size:
            self._frames.popitem(last=False)

    def forget_frames(self) -> None:
        """Drop every frame (after a change the control values do not capture)."""
        if hasattr(self, "_frames"):
            self._frames.clear()
            self._plan.clear()

    def _plan_prefetch(self, change: dict) -> None:
        name = self._prefetch_names.get(change.get("owner"))
        if name is None:
            return
        control = self._watched[name]
        k = slider_index(control, change["new"])
        if k is None:
            return
        k_old = slider_index(control, change.get("old"))
        d = -1 if k_old is not None and k_old > k else 1
        offsets = [d * i for i in range(1, self.prefetch_ahead + 1)]
        offsets[1:1] = [-d * i for i in range(1, self.prefetch_behind + 1)]
        plan = []
        for off in offsets:
            value = slider_value(control, k + off)
            if value is not None:
                plan.append({name: value})
        self._plan = plan
        self._schedule()

    def _schedule(self) -> None:
        if self._prefetch_handle is not None:
            self._prefetch_handle.cancel()
            self._prefetch_handle = None
        if not self._plan:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no event loop: render_ahead() renders the plan when called
        self._prefetch_handle = loop.call_later(self.prefetch_delay_s, self._prefetch_turn)

    def _prefetch_turn(self) -> None:
        with self._lock:
            self._prefetch_handle = None
            try:
                self._render_next()
            except Exception:  # a frame ahead of time is an optimisation: never an error shown
                self._plan.clear()
            self._schedule()

    def _render_next(self) -> bool:
        """Render the next planned frame that is not kept yet; False when none is left."""
        while self._plan:
            override = self._plan.pop(0)
            key = self._frame_key(override)
            if key in self._frames:
                continue
            self._render_frame(key, override)
            return True
        return False

    def render_ahead(self) -> int:
        """Render every planned frame now (what the event loop does in turns); the count."""
        n = 0
        while self._render_next():
            n += 1
        return n

    def _render_frame(self, key: tuple, override: dict[str, Any]) -> None:
        self._drawn_token = None  # the restore below draws what is shown
        saved = {n: getattr(self, n) for n in self.frame_attrs}
        self._override = override
        try:
            self.result = self._compute()
        except self.compute_errors:
            return
        else:
            self._draw()
            png = self.view.render()
            self._store(key, png)
            self.frames_rendered += 1
        finally:
            self._override = {}
            for n, value in saved.items():
                setattr(self, n, value)
            self._draw()  # back to the artists of what is shown


def _hashable(value: Any) -> Any:
    try:
        hash(value)
    except TypeError:
        return repr(value)
    return value
