"""Weight initialisation schemes for a weight matrix W of shape (n_out, n_in).

``fan_in`` = n_in and ``fan_out`` = n_out. Every function takes the shape, a NumPy ``Generator``
and a dtype, and returns a new array of that shape and dtype.

- zeros: every unit identical — the symmetry problem (lesson 09).
- small: N(0, 0.01²), the common "small random numbers" recipe.
- standard: U[−1/√n_in, 1/√n_in], the "standard" initialisation studied by Glorot & Bengio (2010).
- xavier_uniform / xavier_normal: Var(W) = 2 / (n_in + n_out), Glorot & Bengio (2010).
- he_normal / he_uniform: Var(W) = 2 / n_in, He et al. (2015), for ReLU networks.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Init = Callable[[tuple[int, ...], np.random.Generator, np.dtype], np.ndarray]


def _fans(shape: tuple[int, ...]) -> tuple[int, int]:
    if len(shape) != 2:
        raise ValueError(f"initialisers expect a weight shape (n_out, n_in), got {shape}")
    n_out, n_in = shape
    return n_in, n_out


def zeros(shape: tuple[int, ...], rng: np.random.Generator, dtype=np.float64) -> np.ndarray:
    """All zeros (use for biases; for weights it leaves every hidden unit identical)."""
    return np.zeros(shape, dtype=dtype)


def small(
    shape: tuple[int, ...], rng: np.random.Generator, dtype=np.float64, std: float = 0.01
) -> np.ndarray:
    """N(0, std²) with std = 0.01 by default."""
    return (rng.standard_normal(shape) * std).astype(dtype)


def standard(shape: tuple[int, ...], rng: np.random.Generator, dtype=np.float64) -> np.ndarray:
    """U[−1/√n_in, 1/√n_in] ("standard" initialisation in Glorot & Bengio 2010, eq. 1)."""
    n_in, _ = _fans(shape)
    a = 1.0 / np.sqrt(n_in)
    return rng.uniform(-a, a, size=shape).astype(dtype)


def xavier_uniform(shape: tuple[int, ...], rng: np.random.Generator, dtype=np.float64) -> np.ndarray:
    """U[−a, a] with a = √(6 / (n_in + n_out)), so Var(W) = 2 / (n_in + n_out) (Glorot & Bengio 2010)."""
    n_in, n_out = _fans(shape)
    a = np.sqrt(6.0 / (n_in + n_out))
    return rng.uniform(-a, a, size=shape).astype(dtype)


def xavier_normal(shape: tuple[int, ...], rng: np.random.Generator, dtype=np.float64) -> np.ndarray:
    """N(0, 2 / (n_in + n_out)) (Glorot & Bengio 2010)."""
    n_in, n_out = _fans(shape)
    return (rng.standard_normal(shape) * np.sqrt(2.0 / (n_in + n_out))).astype(dtype)


def he_normal(shape: tuple[int, ...], rng: np.random.Generator, dtype=np.float64) -> np.ndarray:
    """N(0, 2 / n_in) (He et al. 2015): keeps the activation variance constant through ReLU layers."""
    n_in, _ = _fans(shape)
    return (rng.standard_normal(shape) * np.sqrt(2.0 / n_in)).astype(dtype)


def he_uniform(shape: tuple[int, ...], rng: np.random.Generator, dtype=np.float64) -> np.ndarray:
    """U[−a, a] with a = √(6 / n_in), so Var(W) = 2 / n_in (He et al. 2015)."""
    n_in, _ = _fans(shape)
    a = np.sqrt(6.0 / n_in)
    return rng.uniform(-a, a, size=shape).astype(dtype)


INITS: dict[str, Init] = {
    "zeros": zeros,
    "small": small,
    "standard": standard,
    "xavier_uniform": xavier_uniform,
    "xavier_normal": xavier_normal,
    "he_normal": he_normal,
    "he_uniform": he_uniform,
}
INITS["xavier"] = xavier_uniform
INITS["glorot"] = xavier_uniform
INITS["he"] = he_normal


def get_init(init: str | Init) -> Init:
    """Return an initialiser given its name (see ``INITS``) or a callable with the same signature."""
    if callable(init):
        return init
    try:
        return INITS[init]
    except KeyError:
        raise ValueError(f"unknown init {init!r}; expected one of {sorted(INITS)} or a callable") from None
