"""Pure, seeded computations behind the widgets (NumPy only: no matplotlib, no ipywidgets).

Each module returns plain data for one widget view in :mod:`backprop_lab.widgets`:

- :mod:`backprop_lab.explore.momentum` — heavy-ball momentum on a 2-D quadratic (path, error
  per step, predicted and measured rate, Goh's optimum) and the exponentially weighted average
  with and without Adam's bias correction.
"""
