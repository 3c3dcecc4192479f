"""Helpers the widget tests share (tests/ is not a package; test files import this by name)."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image


def line_data(line) -> tuple[np.ndarray, np.ndarray]:
    """A matplotlib line's x and y data as float arrays."""
    x, y = line.get_data()
    return np.array(x, dtype=float), np.array(y, dtype=float)


def png_pixels(view) -> np.ndarray:
    """The RGB pixels (height, width, 3) of the PNG a FigureView last sent, as int16 for diffs."""
    return np.asarray(Image.open(io.BytesIO(view.widget.value)).convert("RGB"), dtype=np.int16)
