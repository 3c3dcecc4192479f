"""Interactive widgets of the course. Each widget module has two parts:

- a pure, seeded **compute** function of the slider values that returns plain data (testable
  headlessly, fast, deterministic), and
- a thin **view** class that lays out ``ipywidgets`` controls and a matplotlib figure, calls the
  compute function when a control changes, and updates the figure's artists in place.

Views host their figure with :class:`backprop_lab.widgets.base.FigureView`, which uses ipympl's
interactive canvas when the notebook runs ``%matplotlib widget`` and redraws a PNG inside an
``Output`` widget otherwise (the inline backend of VS Code, Colab and plain Jupyter).
"""
