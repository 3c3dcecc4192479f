"""Interactive widgets of the course. Each widget module has two parts:

- a pure, seeded **compute** function of the slider values that returns plain data (testable
  headlessly, fast, deterministic), and
- a thin **view** class that lays out ``ipywidgets`` controls and a matplotlib figure, calls the
  compute function when a control changes, and updates the figure's artists in place.

Every view follows one pattern, :class:`backprop_lab.widgets.base.ExplorerView` (watch the
controls; on a change: prepare, compute, draw the artists, refresh the figure, show the status),
and hosts its figure with :class:`backprop_lab.widgets.base.FigureView`, which uses ipympl's
interactive canvas when the notebook runs ``%matplotlib widget`` and an ``ipywidgets.Image``
holding a PNG otherwise (the inline backend of VS Code, Colab and plain Jupyter).
"""
