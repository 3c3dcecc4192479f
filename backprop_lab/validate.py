"""Checking values at every boundary: library arguments, command-line options, widget controls.

One home for the questions "is this a usable number / count / dtype / choice?". Two families:

- **strict** checks (library and command line): return the value, converted, or raise an error
  that names the argument, what it got and what it expects.
- **lenient** checks (widget controls): never raise; clamp or fall back to a default and append a
  note that the widget shows next to its figure, so a student typing into a box never sees a
  traceback.

NumPy only; every other module of the package may import it.
"""

from __future__ import annotations

# =============================================================================================
# Strict checks: library and command line
# =============================================================================================



# =============================================================================================
# Lenient checks: widget controls (clamp, fall back, note)
# =============================================================================================
