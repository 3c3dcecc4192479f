"""Momentum explorer: heavy-ball momentum on a 2-D quadratic, its predicted and measured rate,
and Goh's optimum — and, beside it, the exponentially weighted average with and without Adam's
bias correction.

Two parts, as every widget of the course: the pure computations live in
:mod:`backprop_lab.explore.momentum` (NumPy only); the views here only draw.

* :class:`MomentumExplorer` — sliders for the learning rate η (log scale), the momentum β and the
  condition number κ above four panels: (1) the path on the contours of ½(w₁² + κw₂²);
  (2) the distance to the optimum per step on a log axis, with the predicted rate's line beside
  the rate measured over the tail of the run; (3) the predicted rate over (η, β) with the
  optimum (η*, β*) of Goh (2017) marked and the current setting; (4) the best rate against κ for
  gradient descent and for momentum, with the current run's predicted rate. A status line says
  "converging at rate r (predicted r̂)", "oscillating" or "diverged at step k".
* :class:`EMAExplorer` — a β slider over a noisy constant signal, its exponentially weighted
  average v_t (which starts near 0) and the bias-corrected v_t / (1 − βᵗ).

A slider change updates artists in place (``set_data``) and redraws only them (blitting, see
:class:`backprop_lab.widgets.base.FigureView`).

Typical use in a notebook::

    from backprop_lab.widgets.momentum_explorer import MomentumExplorer, EMAExplorer
    explorer = MomentumExplorer(kappa=100)
    explorer                      # displays itself; explorer.result holds the latest run
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from matplotlib.artist import Artist

from backprop_lab.explore.momentum import (
    BETA_MAX,
    ETA_MAX,
    ETA_MIN,
    EMAResult,
    MomentumResult,
    compute_ema,
    compute_momentum_explorer,
    fmt_rate,
    optimal_parameters,
    rate_grid,
)
from backprop_lab.widgets.base import ExplorerView, FigureView, new_figure, status_html

__all__ = ["EMAExplorer", "KAPPAS", "MomentumExplorer"]

#: the condition numbers the κ slider offers
KAPPAS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)
#: grid of the heat map: log10 η and β
_HEAT_ETAS = np.linspace(math.log10(ETA_MIN), math.log10(ETA_MAX), 161)
_HEAT_BETAS = np.linspace(0.0, BETA_MAX, 121)
#: rates shown as ticks (the colour and the y-axis of panel 4 are spaced by −log10(1 − rate))
_RATE_TICKS = (0.0, 0.9, 0.99, 0.999)
_ERROR_LIMITS = (1e-16, 1e4)


def _nines(r: Any) -> Any:
    """−log10(1 − r): 0.9 → 1, 0.99 → 2 (the rate axis' spacing); inf/NaN where r >= 1."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return -np.log10(1.0 - np.asarray(r, dtype=np.float64))


def _from_nines(y: Any) -> Any:
    return 1.0 - 10.0 ** (-np.asarray(y, dtype=np.float64))


def _rate_label(r: float, pos: int | None = None) -> str:
    return "0" if r <= 0 else f"{r:.4g}"


class MomentumExplorer(ExplorerView):
    """The momentum explorer widget (see the module docstring).

    Controls (``ipywidgets``, settable programmatically): ``eta`` (FloatLogSlider, η), ``beta``
    (FloatSlider, β), ``kappa`` (SelectionSlider over :data:`KAPPAS`). The latest
    :class:`~backprop_lab.explore.momentum.MomentumResult` is ``result``; the status line is
    ``status_text``. Display the object (or ``.widget``) in a notebook.

    Args:
        eta, beta, kappa: initial values (κ must be one of :data:`KAPPAS`).
        steps: steps per run (20 … 1000).
        show_optimum: mark Goh's optimum (η*, β*) on the heat map (False for a task where the
            student looks for it).
        width, height, dpi: figure size in inches and resolution.
        blit: inline fallback only: redraw just the changing artists; False re-renders the whole
            figure on every change (for comparisons).
    """

    #: a frame stands for the result and the error message shown with it
    frame_attrs = ("result", "error")

    def __init__(
        self,
        eta: float = 0.01,
        beta: float = 0.0,
        kappa: int = 100,
        steps: int = 200,
        show_optimum: bool = True,
        width: float = 8.8,
        height: float = 6.0,
        dpi: int = 72,
        blit: bool = True,
    ) -> None:
        import ipywidgets as w

        if kappa not in KAPPAS:
            raise ValueError(f"kappa must be one of {KAPPAS}, got {kappa!r}")
        self.steps = steps
        self.error: str | None = None
        self.eta = w.FloatLogSlider(
            value=eta, base=10, min=math.log10(ETA_MIN), max=math.log10(ETA_MAX), step=0.005,
            description="η", readout_format=".3g", continuous_update=True,
        )
        self.beta = w.FloatSlider(value=beta, min=0.0, max=BETA_MAX, step=0.001,
                                  description="β", readout_format=".3f", continuous_update=True)
        self.kappa = w.SelectionSlider(options=list(KAPPAS), value=kappa, description="κ",
                                       continuous_update=True)

        self.fig = new_figure(width, height, dpi=dpi)
        self.fig.subplots_adjust(left=0.08, right=0.97, bottom=0.09, top=0.95, wspace=0.42,
                                 hspace=0.42)
        axes = self.fig.subplots(2, 2)
        self.ax_path, self.ax_err = axes[0]
        self.ax_heat, self.ax_kappa = axes[1]
        self.status_box = w.HTML()
        self._status = ""
        self._init_axes(show_optimum)
        self._watch({"eta": self.eta, "beta": self.beta, "kappa": self.kappa},
                    prefetch=("eta", "beta"))
        self.result = self._compute()
        self._kappa_drawn: float | None = None
        self._draw()
        self._show_status()
        self.view = FigureView(self.fig, animated=self._animated(), overlay=[self.legend],
                               blit=blit)
        self.widget = w.VBox([w.HBox([self.eta, self.beta, self.kappa]), self.view.widget,
                              self.status_box])

    # -- display -------------------------------------------------------------------------------

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    @property
    def status_text(self) -> str:
        """The status line currently shown under the figure (plain text)."""
        return self._status

    def _show_status(self, text: str | None = None) -> None:
        """The status under the figure: the result's message, or ``text`` / the error (red)."""
        r = self.result
        if text is None and r is not None:
            text = (f"κ = {r.kappa:g}: {r.message}; the best possible rate for this κ is "
                    f"{fmt_rate(r.rate_opt)}")
            alarm = r.status in ("diverged", "diverging")
        else:
            text, alarm = (self.error or "") if text is None else text, True
        self._status = text
        color = "#d62728" if alarm else "black"
        self.status_box.value = f"<div style='color:{color}'>{status_html(text)}</div>"

    def _animated(self) -> list[Artist]:
        # the heat map first: the markers lie on it. No text changes between refreshes (text is
        # the slowest thing to draw); the status line is an HTML widget below the figure.
        return [self.heat_image, *self.contour_lines, self.path_line, self.error_line,
                self.predicted_line, self.measured_line, self.diverge_line, self.opt_marker,
                self.current_marker, self.kappa_line, self.kappa_marker]

    # -- controls ------------------------------------------------------------------------------

    def _compute(self) -> MomentumResult | None:
        try:
            result = compute_momentum_explorer(self._value("eta"), self._value("beta"),
                                               float(self._value("kappa")), self.steps)
        except (ValueError, TypeError, ArithmeticError) as err:  # shown, never raised
            self.error = f"cannot run: {err}"
            return None
        self.error = None
        return result

    # -- drawing -------------------------------------------------------------------------------

    def _init_axes(self, show_optimum: bool) -> None:
        import matplotlib as mpl
        from matplotlib.colors import FuncNorm
        from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator, NullLocator

        # (1) the path on the contours
        ax = self.ax_path
        ax.set_xlim(-5, 5)
        ax.set_ylim(-5, 5)
        ax.set_xlabel("w₁  (curvature λ_min = 1)", fontsize=9)
        ax.set_ylabel("w₂  (λ_max = κ)", fontsize=9)
        ax.set_title("path on ℒ = ½(w₁² + κw₂²)", fontsize=10)
        self.contour_lines = [ax.plot([], [], color="0.7", linewidth=0.8)[0] for _ in range(7)]
        (self.path_line,) = ax.plot([], [], "-o", color="tab:red", markersize=2, linewidth=1.0)
        ax.plot([-4.0], [2.0], "s", color="tab:red", markersize=6)
        ax.plot([0.0], [0.0], "*", color="black", markersize=9)
        ax.xaxis.set_major_locator(MaxNLocator(5))
        ax.yaxis.set_major_locator(MaxNLocator(5))

        # (2) distance to the optimum per step
        ax = self.ax_err
        ax.set_yscale("log")
        ax.set_xlim(0, self.steps)
        ax.set_ylim(*_ERROR_LIMITS)
        ax.yaxis.set_major_locator(FixedLocator([1e-16, 1e-12, 1e-8, 1e-4, 1.0]))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"1e{round(math.log10(v))}"))
        ax.yaxis.set_minor_locator(NullLocator())
        ax.set_xlabel("step", fontsize=9)
        ax.set_ylabel("‖w − w*‖ / ‖w₀ − w*‖", fontsize=9)
        ax.set_title("distance to the optimum (log)", fontsize=10)
        ax.grid(True, alpha=0.3)
        (self.error_line,) = ax.plot([], [], color="tab:blue", linewidth=1.3, label="run")
        (self.predicted_line,) = ax.plot([], [], "--", color="tab:orange", linewidth=1.5,
                                         label="predicted rate r̂ᵏ")
        (self.measured_line,) = ax.plot([], [], ":", color="black", linewidth=2.2,
                                        label="measured rate (tail)")
        self.diverge_line = ax.axvline(0, color="tab:red", linestyle="--", linewidth=1.0,
                                       visible=False)
        self.legend = ax.legend(loc="lower left", fontsize=8, framealpha=1.0)

        # (3) predicted rate over (η, β)
        ax = self.ax_heat
        norm = FuncNorm((_nines, _from_nines), vmin=0.0, vmax=0.9999)

        viridis = mpl.colormaps["viridis"]
        cmap = viridis.with_extremes(bad="0.85", over=viridis(1.0))  # bad: rate >= 1, diverges
        self.heat_image = ax.imshow(
            np.zeros((_HEAT_BETAS.size, _HEAT_ETAS.size)), origin="lower", aspect="auto",
            extent=(_HEAT_ETAS[0], _HEAT_ETAS[-1], _HEAT_BETAS[0], _HEAT_BETAS[-1]),
            cmap=cmap, norm=norm, interpolation="nearest",
        )
        cbar = self.fig.colorbar(self.heat_image, ax=ax, pad=0.02, fraction=0.06)
        cbar.set_ticks(list(_RATE_TICKS))
        cbar.ax.yaxis.set_major_formatter(FuncFormatter(_rate_label))
        cbar.ax.tick_params(labelsize=8)
        cbar.set_label("rate (grey: diverges)", fontsize=8, labelpad=1)
        ax.xaxis.set_major_locator(FixedLocator([-4.0, -3.0, -2.0, -1.0, 0.0]))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{10.0 ** v:g}"))
        ax.set_xlabel("learning rate η (log)", fontsize=9)
        ax.set_ylabel("momentum β", fontsize=9)
        ax.set_title("predicted rate over (η, β)" + ("; ★ = optimum" if show_optimum else ""),
                     fontsize=10)
        (self.opt_marker,) = ax.plot([], [], "*", color="white", markeredgecolor="black",
                                     markersize=13, visible=show_optimum)
        (self.current_marker,) = ax.plot([], [], "o", color="tab:red", markeredgecolor="white",
                                         markersize=7)

        # (4) the best rate against κ
        ax = self.ax_kappa
        kap = np.geomspace(1.0, 1000.0, 200)
        ax.set_xscale("log")
        ax.set_yscale("function", functions=(_nines, _from_nines))
        ax.set_xlim(1, 1000)
        ax.set_ylim(0.0, 0.9999)
        ax.yaxis.set_major_locator(FixedLocator(list(_RATE_TICKS)))
        ax.yaxis.set_major_formatter(FuncFormatter(_rate_label))
        ax.plot(kap, (kap - 1) / (kap + 1), color="tab:gray", linewidth=1.5,
                label="gradient descent, best η: (κ−1)/(κ+1)")
        ax.plot(kap, (np.sqrt(kap) - 1) / (np.sqrt(kap) + 1), color="tab:green", linewidth=1.5,
                label="momentum, best η, β: (√κ−1)/(√κ+1)")
        ax.legend(loc="upper left", fontsize=7.5)
        ax.set_xlabel("condition number κ", fontsize=9)
        ax.set_ylabel("rate per step", fontsize=9)
        ax.set_title("best rate against κ; ● = this run (predicted)", fontsize=10)
        ax.grid(True, alpha=0.3)
        self.kappa_line = ax.axvline(1.0, color="0.5", linewidth=0.8, linestyle=":")
        (self.kappa_marker,) = ax.plot([], [], "o", color="tab:red", markersize=7, clip_on=False)
        for a in (self.ax_path, self.ax_err, self.ax_heat, self.ax_kappa):
            a.tick_params(labelsize=8)

    def _draw_kappa(self, kappa: float) -> None:
        """The parts that depend on κ only: contours and the heat map."""
        t = np.linspace(0.0, 2.0 * np.pi, 121)
        for line, a in zip(self.contour_lines, (0.5, 1, 2, 3, 4, 5, 6.5), strict=True):
            line.set_data(a * np.cos(t), a / math.sqrt(kappa) * np.sin(t))
        rates = rate_grid(kappa, 10.0 ** _HEAT_ETAS, _HEAT_BETAS)
        self.heat_image.set_data(np.ma.masked_invalid(np.where(rates < 1.0, rates, np.nan)))
        eta_opt, beta_opt, _ = optimal_parameters(kappa)
        self.opt_marker.set_data([math.log10(eta_opt)], [beta_opt])
        self.kappa_line.set_xdata([kappa, kappa])
        self._kappa_drawn = kappa

    def _draw(self) -> None:
        r = self.result
        if r is None:
            for line in (self.path_line, self.error_line, self.predicted_line,
                         self.measured_line, self.current_marker, self.kappa_marker):
                line.set_data([], [])
            self.diverge_line.set_visible(False)
            return
        if r.kappa != self._kappa_drawn:
            self._draw_kappa(r.kappa)
        # the path, clipped far outside the box so a blow-up never reaches the renderer as inf
        shown = np.clip(r.path, -1e3, 1e3)
        self.path_line.set_data(shown[:, 0], shown[:, 1])

        lo, hi = _ERROR_LIMITS
        rel = np.clip(r.errors / r.errors[0], lo / 10, hi * 10)
        k = np.arange(rel.size)
        self.error_line.set_data(k, rel)
        k1, k2 = r.tail
        anchor = r.anchor / r.errors[0]
        ks = np.arange(0, self.steps + 1)
        with np.errstate(over="ignore", divide="ignore", under="ignore"):
            pred = anchor * np.power(r.predicted_rate, (ks - k1).astype(np.float64))
        self.predicted_line.set_data(ks, np.clip(np.nan_to_num(pred, nan=lo / 10), lo / 10,
                                                 hi * 10))
        if r.measured_rate is not None:
            kt = np.arange(k1, k2 + 1)
            self.measured_line.set_data(kt, anchor * r.measured_rate ** (kt - k1))
        else:
            self.measured_line.set_data([], [])
        if r.diverged_at is not None:
            self.diverge_line.set_xdata([r.diverged_at, r.diverged_at])
            self.diverge_line.set_visible(True)
        else:
            self.diverge_line.set_visible(False)

        self.current_marker.set_data([math.log10(r.eta)], [r.beta])
        self.kappa_marker.set_data([r.kappa], [min(r.predicted_rate, 0.9999)])


class EMAExplorer(ExplorerView):
    """The exponentially weighted average of a noisy constant, with and without bias correction.

    Control: ``beta`` (FloatSlider, β). The latest
    :class:`~backprop_lab.explore.momentum.EMAResult` is ``result``; the status line
    ``status_text``.

    Args:
        beta: initial β; steps, signal, noise, seed: as :func:`compute_ema`.
        width, height, dpi, blit: as :class:`MomentumExplorer`.
    """

    def __init__(
        self,
        beta: float = 0.9,
        steps: int = 60,
        signal: float = 1.0,
        noise: float = 0.3,
        seed: int = 0,
        width: float = 8.0,
        height: float = 3.2,
        dpi: int = 72,
        blit: bool = True,
    ) -> None:
        import ipywidgets as w

        self._args = dict(steps=steps, signal=signal, noise=noise, seed=seed)
        self.beta = w.FloatSlider(value=beta, min=0.0, max=BETA_MAX, step=0.001,
                                  description="β", readout_format=".3f", continuous_update=True)
        self._watch({"beta": self.beta}, prefetch=("beta",))
        self.result: EMAResult = self._compute()
        r = self.result
        self.fig = new_figure(width, height, dpi=dpi)
        self.fig.subplots_adjust(left=0.07, right=0.98, bottom=0.16, top=0.9)
        ax = self.ax = self.fig.subplots()
        ax.plot(r.t, r.samples, ".", color="0.6", markersize=4, label="samples x(t)")
        ax.axhline(r.signal, color="black", linewidth=0.8, linestyle=":", label="signal")
        (self.average_line,) = ax.plot([], [], color="tab:blue", linewidth=1.6,
                                       label="average v(t) = β·v(t−1) + (1−β)·x(t), v(0) = 0")
        (self.corrected_line,) = ax.plot([], [], color="tab:orange", linewidth=1.6,
                                         label="corrected v(t) / (1 − βᵗ)")
        spread = float(np.max(np.abs(r.samples - r.signal)))
        ax.set_xlim(0, r.t[-1] + 1)
        low = min(0.0, r.signal - spread)
        ax.set_ylim(low - 0.45 * (r.signal + spread - low), max(0.0, r.signal + spread) + 0.1)
        ax.set_xlabel("step t", fontsize=9)
        ax.set_title("exponentially weighted average: the bias towards v(0) = 0 and Adam's "
                     "correction", fontsize=10)
        self.legend = ax.legend(loc="lower right", fontsize=8, framealpha=1.0, ncol=2)
        ax.tick_params(labelsize=8)
        self.status_box = w.HTML()
        self._draw()
        self._show_status()
        self.view = FigureView(self.fig, animated=[self.average_line, self.corrected_line],
                               overlay=[self.legend], blit=blit)
        self.widget = w.VBox([self.beta, self.view.widget, self.status_box])

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    @property
    def status_text(self) -> str:
        """The status line currently shown under the figure (plain text)."""
        return self._status

    def _compute(self) -> EMAResult:
        return compute_ema(self._value("beta"), **self._args)

    def _draw(self) -> None:
        r = self.result
        self.average_line.set_data(r.t, r.average)
        self.corrected_line.set_data(r.t, r.corrected)

    def _show_status(self, text: str | None = None) -> None:
        self._status = self.result.message if text is None else text
        self.status_box.value = status_html(self._status)
