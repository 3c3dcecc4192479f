"""backprop_lab — a small NumPy engine for learning backpropagation and gradient descent.

The core modules (``activations``, ``losses``, ``layers``, ``model``, ``init``, ``optim``,
``gradcheck``, ``autograd``, ``surfaces``, ``data``) import only NumPy. Plotting and widgets live in
``backprop_lab.plotting`` and ``backprop_lab.widgets`` and are imported only when asked for, so
``import backprop_lab`` stays fast.
"""

__version__ = "0.1.0"
