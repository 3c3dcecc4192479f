"""Gradient-flow widget (lesson 09): per-layer statistics of a deep network at initialisation.

For a network of ``depth`` hidden blocks ``Linear → [BatchNorm] → g`` of width ``width`` and a
Linear output layer with 10 classes, one seeded random batch is sent forward and a softmax
cross-entropy loss backward. For every hidden layer l the widget shows

- the spread of the activations a⁽ˡ⁾ = g(z⁽ˡ⁾) (their standard deviation over batch and units),
- the norm of the weight gradient ‖∂𝓛/∂W⁽ˡ⁾‖ (Frobenius, log scale),
- the percentage of saturated units: |g′(z)| < 0.05 · max g′ (for ReLU: z ≤ 0, no gradient).

Compute (pure, seeded, fast)::

    s = compute_gradient_flow(depth=10, width=128, activation="sigmoid", init="standard",
                              batchnorm=False, seed=0)
    s.grad_norm            # (depth,) ‖∂𝓛/∂W⁽ˡ⁾‖ for l = 1 … depth
    s.status               # one-line summary ("gradient norm: layer 1 / layer 10 = 2.1e-04 …")

:func:`flow_statistics` measures the same statistics for any :class:`~backprop_lab.model.Sequential`
on a given batch (the lesson uses it on MNIST), and :func:`hidden_values` returns the arrays
z⁽ˡ⁾, a⁽ˡ⁾, δ⁽ˡ⁾ themselves (for histograms). View::

    GradientFlowExplorer().widget

The core of this module imports only NumPy and the engine; ipywidgets and matplotlib are imported
inside the view.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from backprop_lab.layers import BatchNorm, Layer, LeakyReLU, Linear, ReLU, Sigmoid, Tanh
from backprop_lab.losses import SoftmaxCrossEntropy
from backprop_lab.model import Sequential
from backprop_lab.widgets.base import ExplorerView

#: activations and initialisations offered by the widget (value → label)
ACTIVATIONS: dict[str, str] = {"sigmoid": "sigmoid", "tanh": "tanh", "relu": "ReLU"}
INITS: dict[str, str] = {
    "zeros": "zeros",
    "small": "small N(0, 0.01²)",
    "standard": "standard U[±1/√n]",
    "xavier": "Xavier (Glorot)",
    "he": "He",
    "large": "large N(0, 1)",
}
DEPTH_RANGE = (1, 50)
WIDTH_RANGE = (2, 256)
#: a unit is saturated when |g′(z)| < SATURATION · max g′ (the activation explorer's default)
SATURATION = 0.05
#: the random batch: BATCH rows of N(0, 1) inputs, labels uniform over N_CLASSES
BATCH = 128
N_CLASSES = 10

_ACT_LAYERS = (Sigmoid, Tanh, ReLU, LeakyReLU)
_GRAD_MAX = {Sigmoid: 0.25, Tanh: 1.0}


@dataclass(frozen=True)
class FlowStats:
    """Per-layer statistics of one forward and backward pass; arrays have shape (depth,).

    Index ``l − 1`` holds hidden layer l (1 = next to the input).

    - ``z_mean``, ``z_std``: pre-activations z⁽ˡ⁾ (the input of g, i.e. after BatchNorm if any)
    - ``a_mean``, ``a_std``: activations a⁽ˡ⁾ = g(z⁽ˡ⁾)
    - ``saturated``: fraction of the (batch × width) values with |g′(z)| < SATURATION · max g′
    - ``delta_std``: std of the back-propagated gradient δ⁽ˡ⁾ = ∂𝓛/∂z⁽ˡ⁾
    - ``grad_norm``: ‖∂𝓛/∂W⁽ˡ⁾‖ of the Linear layer feeding layer l (Frobenius norm)
    - ``loss``: the loss value; ``status``: a short text summary; ``messages``: input notes.
    """

    depth: int
    width: int
    activation: str
    init: str
    batchnorm: bool
    seed: int
    z_mean: np.ndarray
    z_std: np.ndarray
    a_mean: np.ndarray
    a_std: np.ndarray
    saturated: np.ndarray
    delta_std: np.ndarray
    grad_norm: np.ndarray
    loss: float
    finite: bool
    messages: tuple[str, ...]
    status: str

    @property
    def layers(self) -> np.ndarray:
        """Layer numbers 1 … depth (the x-axis of every plot)."""
        return np.arange(1, len(self.a_std) + 1)

    def table(self) -> str:
        """One row per hidden layer: mean and std of a, % saturated, std of δ, ‖∂𝓛/∂W‖."""
        head = (f"{'layer':>5} {'mean a':>8} {'std a':>8} {'% sat.':>7} "
                f"{'std δ':>10} {'‖∂𝓛/∂W‖':>10}")
        rows = [head, "-" * len(head)]
        for i in range(len(self.a_std)):
            rows.append(f"{i + 1:>5} {self.a_mean[i]:>8.3f} {self.a_std[i]:>8.3f} "
                        f"{100 * self.saturated[i]:>7.1f} {self.delta_std[i]:>10.2e} "
                        f"{self.grad_norm[i]:>10.2e}")
        return "\n".join(rows)


def _saturated_fraction(kind: type[Layer], Z: np.ndarray, A: np.ndarray) -> float:
    """Fraction of entries with |g′(z)| < SATURATION · max g′ (ReLU-like: g′ = 0, i.e. z ≤ 0)."""
    if kind is Sigmoid:
        gprime = A * (1 - A)
    elif kind is Tanh:
        gprime = 1 - A * A
    else:
        return float(np.mean(Z <= 0))
    return float(np.mean(gprime < SATURATION * _GRAD_MAX[kind]))


@dataclass
class HiddenValues:
    """The arrays of one forward/backward pass, one list entry per hidden layer l = 1 … depth.

    ``Z[l-1]``, ``A[l-1]``, ``delta[l-1]``: z⁽ˡ⁾, a⁽ˡ⁾ = g(z⁽ˡ⁾) and δ⁽ˡ⁾ = ∂𝓛/∂z⁽ˡ⁾, each of shape
    (batch, width); ``dW[l-1]``: ∂𝓛/∂W⁽ˡ⁾ of the Linear layer feeding layer l; ``loss``: 𝓛.
    """

    Z: list[np.ndarray]
    A: list[np.ndarray]
    delta: list[np.ndarray]
    dW: list[np.ndarray]
    kinds: list[type[Layer]]
    loss: float


def hidden_values(net: Sequential, X: np.ndarray, y: np.ndarray,
                  loss: SoftmaxCrossEntropy | None = None) -> HiddenValues:
    """Forward ``X`` (batch, n_in) through ``net``, backpropagate ``loss(net(X), y)`` (default
    softmax cross-entropy), and keep z⁽ˡ⁾, a⁽ˡ⁾, δ⁽ˡ⁾ and ∂𝓛/∂W⁽ˡ⁾ of every hidden layer — each
    activation layer (sigmoid, tanh, ReLU) and the Linear layer before it.

    The passes go layer by layer with the layers' own forward/backward, so the intermediate
    arrays can be measured. Parameters are not changed (their gradients are overwritten).
    """
    loss = loss if loss is not None else SoftmaxCrossEntropy()
    inputs = []
    out = X
    with np.errstate(all="ignore"):  # an exploding net shows up as non-finite stats, not warnings
        for layer in net.layers:
            inputs.append(out)
            out = layer.forward(out)
        value = float(loss.forward(out, y))
        grads: list[np.ndarray] = [X] * len(net.layers)
        g = loss.backward()
        for i in range(len(net.layers) - 1, -1, -1):
            g = net.layers[i].backward(g)
            grads[i] = g  # ∂𝓛/∂(input of layer i)
    inputs.append(out)
    hv = HiddenValues([], [], [], [], [], value)
    last_linear: Linear | None = None
    for i, layer in enumerate(net.layers):
        if isinstance(layer, Linear):
            last_linear = layer
        if isinstance(layer, _ACT_LAYERS):
            hv.Z.append(inputs[i])
            hv.A.append(inputs[i + 1])
            hv.delta.append(grads[i])
            hv.dW.append(last_linear.dW.copy() if last_linear is not None else np.zeros((1, 1)))
            hv.kinds.append(type(layer))
    return hv


def flow_statistics(net: Sequential, X: np.ndarray, y: np.ndarray,
                    loss: SoftmaxCrossEntropy | None = None) -> FlowStats:
    """Per-hidden-layer statistics (:class:`FlowStats`) of one pass of ``X``, ``y`` through ``net``
    (see :func:`hidden_values`); ``init`` and ``seed`` are left blank (``""``, −1)."""
    hv = hidden_values(net, X, y, loss)
    with np.errstate(all="ignore"):
        arrays = {
            "z_mean": np.array([Z.mean() for Z in hv.Z]),
            "z_std": np.array([Z.std() for Z in hv.Z]),
            "a_mean": np.array([A.mean() for A in hv.A]),
            "a_std": np.array([A.std() for A in hv.A]),
            "saturated": np.array([_saturated_fraction(k, Z, A)
                                   for k, Z, A in zip(hv.kinds, hv.Z, hv.A, strict=True)]),
            "delta_std": np.array([d.std() for d in hv.delta]),
            "grad_norm": np.array([np.sqrt(np.sum(dW.astype(np.float64) ** 2)) for dW in hv.dW]),
        }
    finite = bool(math.isfinite(hv.loss) and all(np.isfinite(v).all() for v in arrays.values()))
    act = hv.kinds[0].__name__.lower() if hv.kinds else ""
    return FlowStats(depth=len(hv.A), width=X.shape[1], activation=act, init="",
                     batchnorm=any(isinstance(la, BatchNorm) for la in net.layers), seed=-1,
                     loss=hv.loss, finite=finite, messages=(), status="", **arrays)


def large(shape: tuple[int, ...], rng: np.random.Generator, dtype=np.float64) -> np.ndarray:
    """N(0, 1) weights: far too large for a wide layer (Var(z) ≈ n_in · Var(a)) — to watch
    saturation and explosion."""
    return rng.standard_normal(shape).astype(dtype)


def build_network(depth: int, width: int, activation: str, init: str, batchnorm: bool,
                  rng: np.random.Generator, n_in: int | None = None,
                  n_out: int = N_CLASSES) -> Sequential:
    """``depth`` blocks Linear(width) → [BatchNorm] → g, then Linear(width → n_out), float64.

    Every Linear layer (the output layer too) uses ``init`` (a name of :mod:`backprop_lab.init`
    or ``"large"``); biases start at 0.
    """
    from backprop_lab.layers import activation_layer

    init_fn = large if init == "large" else init
    n_in = width if n_in is None else n_in
    layers: list[Layer] = []
    prev = n_in
    for _ in range(depth):
        layers.append(Linear(prev, width, rng=rng, init=init_fn))
        if batchnorm:
            layers.append(BatchNorm(width))
        layers.append(activation_layer(activation))
        prev = width
    layers.append(Linear(prev, n_out, rng=rng, init=init_fn))
    return Sequential(*layers)


def _clamp_int(name: str, value: object, lo: int, hi: int, default: int,
               messages: list[str]) -> int:
    try:
        v = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        messages.append(f"{name}={value!r} is not a number; using {default}")
        return default
    if math.isnan(v):
        messages.append(f"{name} is NaN; using {default}")
        return default
    c = int(round(min(max(v, lo), hi)))
    if c != v:
        messages.append(f"{name}={value!r} is outside [{lo}, {hi}] or not whole; using {c}")
    return c


def compute_gradient_flow(depth: int = 10, width: int = 128, activation: str = "sigmoid",
                          init: str = "standard", batchnorm: bool = False,
                          seed: int = 0) -> FlowStats:
    """Per-layer statistics at initialisation for a seeded random batch (pure and fast).

    Args:
        depth: number of hidden layers, clamped to ``DEPTH_RANGE``.
        width: units per hidden layer (and input width), clamped to ``WIDTH_RANGE``.
        activation: ``"sigmoid"``, ``"tanh"`` or ``"relu"``.
        init: ``"zeros"``, ``"small"``, ``"standard"``, ``"xavier"``, ``"he"``
            (:mod:`backprop_lab.init`) or ``"large"`` (N(0, 1)).
        batchnorm: put a BatchNorm layer (training mode: batch statistics) before every g.
        seed: one ``default_rng(seed)`` draws the weights, then the batch X ~ N(0, 1) of shape
            (BATCH, width) and the labels y; the same seed gives the same numbers.

    Raises:
        ValueError: unknown ``activation`` or ``init`` (the widget shows the message).
    """
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; expected one of {list(ACTIVATIONS)}")
    if init not in INITS:
        raise ValueError(f"unknown init {init!r}; expected one of {list(INITS)}")
    messages: list[str] = []
    depth = _clamp_int("depth", depth, *DEPTH_RANGE, 10, messages)
    width = _clamp_int("width", width, *WIDTH_RANGE, 128, messages)
    rng = np.random.default_rng(seed)
    net = build_network(depth, width, activation, init, bool(batchnorm), rng)
    X = rng.standard_normal((BATCH, width))
    y = rng.integers(0, N_CLASSES, BATCH)
    s = flow_statistics(net, X, y)
    status = _status(s, depth, activation, init, bool(batchnorm), messages)
    return FlowStats(
        depth=depth, width=width, activation=activation, init=init, batchnorm=bool(batchnorm),
        seed=int(seed), z_mean=s.z_mean, z_std=s.z_std, a_mean=s.a_mean, a_std=s.a_std,
        saturated=s.saturated, delta_std=s.delta_std, grad_norm=s.grad_norm, loss=s.loss,
        finite=s.finite, messages=tuple(messages), status=status,
    )


def _status(s: FlowStats, depth: int, activation: str, init: str, batchnorm: bool,
            messages: list[str]) -> str:
    """The text under the plot: diverged, or how the gradient norm changes from top to bottom."""
    lines = []
    if not s.finite:
        lines.append("diverged: activations or gradients overflowed (non-finite values); "
                     "the plot is not meaningful — use a smaller init")
    else:
        g = s.grad_norm
        zero = np.flatnonzero(g == 0) + 1
        if zero.size == g.size:
            lines.append("no gradient reaches any hidden layer (all ‖∂𝓛/∂W‖ = 0): "
                         "with zero init every hidden unit stays identical")
        else:
            ratio = g[0] / g[-1] if g[-1] > 0 else math.inf
            lines.append(f"gradient norm: layer 1 / layer {depth} = {ratio:.2g}   "
                         f"activation std: layer 1 {s.a_std[0]:.3g}, layer {depth} {s.a_std[-1]:.3g}")
            if zero.size:
                lines.append(f"gradient exactly 0 in {zero.size} of {depth} layers "
                             "(not drawn on the log axis)")
        lines.append(f"saturated units: {100 * s.saturated.mean():.1f}% on average"
                     + ("  (ReLU: z ≤ 0)" if activation == "relu" else "")
                     + f"   loss {s.loss:.4g}")
    lines += [f"note: {m}" for m in messages]
    return "\n".join(lines)


class GradientFlowExplorer(ExplorerView):
    compute_errors = (ValueError, FloatingPointError)  # a message in the widget, not a traceback

    """The widget: depth and width sliders, activation and init dropdowns, a BatchNorm checkbox.

    ``.widget`` is the box to display, ``.result`` the latest :class:`FlowStats`, ``.status`` the
    text under the figure. Setting a control's ``value`` recomputes and updates the plot in place.
    """

    def __init__(self, depth: int = 10, width: int = 128, activation: str = "sigmoid",
                 init: str = "standard", batchnorm: bool = False, seed: int = 0) -> None:
        import ipywidgets as w

        from backprop_lab.plotting.flow import FlowPlot
        from backprop_lab.widgets.base import FigureView, ipympl_active, new_figure

        self.seed = seed
        live = ipympl_active()
        style = {"description_width": "80px"}
        layout = w.Layout(width="300px")
        self.depth = w.IntSlider(value=depth, min=DEPTH_RANGE[0], max=DEPTH_RANGE[1],
                                 description="depth", continuous_update=live, style=style,
                                 layout=layout)
        self.width = w.IntSlider(value=width, min=16, max=WIDTH_RANGE[1], step=16,
                                 description="width", continuous_update=live, style=style,
                                 layout=layout)
        self.activation = w.Dropdown(options=[(v, k) for k, v in ACTIVATIONS.items()],
                                     value=activation, description="activation", style=style,
                                     layout=layout)
        self.init = w.Dropdown(options=[(v, k) for k, v in INITS.items()], value=init,
                               description="init", style=style, layout=layout)
        self.batchnorm = w.Checkbox(value=batchnorm, description="batch norm before g")
        self.status_box = w.HTML()
        self._watch({"depth": self.depth, "width": self.width, "activation": self.activation,
                     "init": self.init, "batchnorm": self.batchnorm},
                    prefetch=("depth", "width"))
        self.result = self._compute()
        fig = new_figure(11.0, 3.6)
        self.plot = FlowPlot(fig, max_depth=DEPTH_RANGE[1])
        self._draw()
        # blitting (inline fallback): lines, bars, legend, message and title are redrawn on a
        # change; the std and gradient axes, whose y-limits follow the data, are re-rendered when
        # their limits move, the saturation axes only when the depth changes its x-limits
        p = self.plot
        self.view = FigureView(
            fig,
            animated=[p.std_line, p.zstd_line, p.ax_std.get_legend(), p.grad_line, p.message,
                      *p.bars, p.title],
            volatile=[p.ax_std, p.ax_grad],
            # the static parts (axes, ticks, fixed titles) depend on the limits alone: keep the
            # renderings of the last depths, so moving the depth slider back costs no full draw
            # (~1.6 MB per rendering at this size)
            cache=10,
        )
        self._show_status()
        self.widget = w.VBox([
            w.HBox([w.VBox([self.depth, self.width]), w.VBox([self.activation, self.init]),
                    self.batchnorm]),
            self.view.widget,
            self.status_box,
        ])

    def _compute(self) -> FlowStats:
        return compute_gradient_flow(self._value("depth"), self._value("width"),
                                     self._value("activation"), self._value("init"),
                                     self._value("batchnorm"), self.seed)

    def _draw(self) -> None:
        """Update the plot's artists; the y-limits go outward in steps (a quarter of the order of
        magnitude for the spread, whole decades for the gradient norm), so that a control change
        that moves the data a little leaves those axes (and their cached rendering) as they are."""
        self.plot.update(self.result)
        top = self.plot.ax_std.get_ylim()[1]
        step = 10.0 ** math.floor(math.log10(top)) / 4
        self.plot.ax_std.set_ylim(0, step * math.ceil(top / step - 1e-9))
        lo, hi = np.log10(self.plot.ax_grad.get_ylim())
        self.plot.ax_grad.set_ylim(10.0 ** math.floor(lo), 10.0 ** math.ceil(hi))

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)
