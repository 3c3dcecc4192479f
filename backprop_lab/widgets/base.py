"""What every widget view shares: hosting a matplotlib figure inside ipywidgets, and timing."""

from __future__ import annotations

import time
from collections.abc import Callable

import matplotlib
import matplotlib.pyplot as plt
from matplotlib.figure import Figure


def ipympl_active() -> bool:
    """True when matplotlib draws into ipympl's interactive canvas (``%matplotlib widget``)."""
    backend = matplotlib.get_backend().lower()
    return "ipympl" in backend or "widget" in backend


class FigureView:
    """A matplotlib figure shown as a widget and redrawn in place.

    With ipympl the figure's canvas *is* the widget and ``refresh`` asks it to redraw. Otherwise
    the figure is rendered to PNG into an ``ipywidgets.Image`` — the inline fallback that works in
    every front end.

    ``last_refresh_ms`` holds how long the latest ``refresh`` took (measured, for the benchmarks).
    """

    def __init__(self, fig: Figure) -> None:
        import ipywidgets as w

        self.fig = fig
        self.interactive = ipympl_active()
        self.refresh_count = 0
        self.last_refresh_ms = 0.0
        if self.interactive:
            fig.canvas.header_visible = False
            fig.canvas.footer_visible = False
            fig.canvas.toolbar_visible = False
            self.widget = fig.canvas
        else:
            plt.close(fig)  # we render it ourselves; keep the inline backend from showing it twice
            self.widget = w.Image(format="png")
        self.refresh()

    def refresh(self) -> None:
        """Redraw the figure after its artists were updated."""
        t = time.perf_counter()
        if self.interactive:
            self.fig.canvas.draw_idle()
        else:
            import io

            buf = io.BytesIO()
            # fast, light compression: encoding is a large part of a redraw at the default level
            self.fig.savefig(buf, format="png", dpi=self.fig.dpi, pil_kwargs={"compress_level": 1})
            self.widget.value = buf.getvalue()
        self.refresh_count += 1
        self.last_refresh_ms = (time.perf_counter() - t) * 1e3


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
