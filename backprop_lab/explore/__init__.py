"""Pure, seeded computations behind the widgets (NumPy only: no matplotlib, no ipywidgets).

Each module returns plain data for one widget view in :mod:`backprop_lab.widgets`:

- :mod:`backprop_lab.explore.activation` — an activation and its derivative on a grid, and what
  g does to sampled pre-activations z ~ N(mean, std²): saturated and dead fractions, histograms
  (view: ``widgets.activation_explorer``).
- :mod:`backprop_lab.explore.gradient_flow` — per-layer activation and gradient statistics of a
  deep network at initialisation (view: ``widgets.gradient_flow``).
- :mod:`backprop_lab.explore.learning_rate` — gradient descent (± momentum) on a loss surface, its
  status and, on quadratics, the stability threshold and convergence factor
  (view: ``widgets.lr_explorer``).
- :mod:`backprop_lab.explore.momentum` — heavy-ball momentum on a 2-D quadratic (path, error
  per step, predicted and measured rate, Goh's optimum) and the exponentially weighted average
  with and without Adam's bias correction (view: ``widgets.momentum_explorer``).
- :mod:`backprop_lab.explore.playground` — the decision-boundary playground's settings, data,
  network and training steps (view: ``widgets.playground``), with
  :mod:`backprop_lab.explore.grid`, a grid over 2-D data and class probabilities on it.
- :mod:`backprop_lab.explore.race` — several optimizers racing on one surface
  (view: ``widgets.optimizer_race``).

Rule of this layer: import NumPy and the core modules (and ``train``) only — never matplotlib,
ipywidgets, :mod:`backprop_lab.plotting` or :mod:`backprop_lab.widgets`
(``tests/test_layering.py`` checks it). Clamping of control values lives in
:mod:`backprop_lab.validate` (its lenient section).
"""
