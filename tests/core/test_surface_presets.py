"""One home for the surfaces' presets and one optimizer registry (issue 17).

The surfaces carry their dropdown label, start points and learning rates; the learning-rate
explorer and the optimizer race read them from there, so a new surface needs one
``register_surface`` call and works in both computations and both views.
"""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import numpy as np
import pytest

import backprop_lab
from backprop_lab.explore.learning_rate import (
    DEFAULT_LR,
    EXPLORER_SURFACES,
    QUADRATIC_1D,
    STARTS,
    SURFACE_LABELS,
    compute_lr_explorer,
    surface_title,
)
from backprop_lab.explore.race import DEFAULT_LRS, LIBRARY_OPTIMIZERS, compute_race
from backprop_lab.optim import OPTIMIZERS
from backprop_lab.parameter import Point
from backprop_lab.surfaces import SURFACES, quadratic, register_surface


@pytest.fixture
def tilted():
    """A new surface registered for one test (and removed after it)."""
    surface = dataclasses.replace(
        quadratic((0.5, 4.0), angle=0.4),
        name="tilted",
        label="tilted bowl (κ = 8)",
        starts=((-3.0, 2.0), (2.0, 2.0)),
        explorer_lr=0.2,
        race_lrs=(("sgd", 0.3), ("adam", 0.05)),
    )
    register_surface(surface)
    try:
        yield surface
    finally:
        del SURFACES["tilted"]


@pytest.fixture
def bare():
    """A new surface without any preset of its own."""
    surface = dataclasses.replace(quadratic((1.0, 2.0)), name="bare")
    register_surface(surface)
    try:
        yield surface
    finally:
        del SURFACES["bare"]


def test_a_registered_surface_is_in_every_table(tilted):
    assert list(EXPLORER_SURFACES)[-1] == "tilted" and EXPLORER_SURFACES["tilted"] is tilted
    assert SURFACE_LABELS["tilted"] == "tilted bowl (κ = 8)"
    assert STARTS["tilted"] == ((-3.0, 2.0), (2.0, 2.0))
    assert DEFAULT_LR["tilted"] == 0.2
    assert DEFAULT_LRS["tilted"] == {"SGD": 0.3, "Adam": 0.05}


def test_both_computations_run_on_a_registered_surface(tilted):
    r = compute_lr_explorer("tilted", DEFAULT_LR["tilted"], 50, STARTS["tilted"][1])
    assert r.start == (2.0, 2.0) and r.notes == ()
    # a quadratic: the theory applies; λ_max = 4, so 2/λ_max = 0.5 and η = 0.2 converges
    assert r.threshold == pytest.approx(0.5) and r.status in ("converging", "converged")
    race = compute_race("tilted", {n: (lambda p, b=LIBRARY_OPTIMIZERS[n], lr=lr: b(p, lr=lr))
                                   for n, lr in DEFAULT_LRS["tilted"].items()}, steps=40)
    assert race.start == tilted.start and set(race.names) == {"SGD", "Adam"}
    assert all(not s.startswith(("invalid", "error")) for s in race.statuses.values())


def test_a_surface_without_presets_falls_back(bare):
    assert SURFACE_LABELS["bare"] == "bare" and STARTS["bare"] == (bare.start,)
    assert DEFAULT_LR["bare"] == 0.01 and DEFAULT_LRS["bare"] == {}
    assert bare.race_lr("Adam") == 0.01 and bare.race_lr("Adam", fallback=0.5) == 0.5
    assert compute_lr_explorer("bare", DEFAULT_LR["bare"], 10).start == bare.start
    assert compute_race("bare", {"SGD": lambda p: LIBRARY_OPTIMIZERS["SGD"](p, lr=0.1)},
                        steps=10).statuses["SGD"] in ("converging", "converged")


def test_both_views_open_and_switch_to_registered_surfaces(tilted, bare):
    """No KeyError in a view's constructor or in its surface handler."""
    pytest.importorskip("ipywidgets")
    from backprop_lab.widgets.lr_explorer import LRExplorer
    from backprop_lab.widgets.optimizer_race import OptimizerRace

    for name in ("tilted", "bare"):
        ex = LRExplorer(surface=name, steps=20)
        assert ex.result is not None and ex.result.surface_name == name
        race = OptimizerRace(surface=name, steps=20)
        assert race.result is not None and race.result.surface_name == name
    ex = LRExplorer(surface="bowl", steps=20)
    race = OptimizerRace(surface="bowl", steps=20)
    for name in ("tilted", "bare"):
        ex.surface.value = name
        race.surface.value = name
        assert ex.result.surface_name == name and race.result.surface_name == name
    assert ex.lr.value == pytest.approx(0.01, rel=0.03)  # bare's fallback explorer rate
    assert race.lrs["SGD"].value == pytest.approx(0.3, rel=0.1)  # kept from tilted: bare has none


def test_register_surface_rejects_bad_entries(tilted):
    with pytest.raises(ValueError, match="already registered"):
        register_surface(tilted)
    with pytest.raises(ValueError, match="outside its bounds"):
        register_surface(dataclasses.replace(tilted, name="t2", starts=((9.0, 0.0),)))
    with pytest.raises(ValueError, match=r"race_lrs\['sgd'\] must be a finite number > 0"):
        register_surface(dataclasses.replace(tilted, name="t3", race_lrs=(("sgd", -1.0),)))
    with pytest.raises(ValueError, match="explorer_lr"):
        register_surface(dataclasses.replace(tilted, name="t4", explorer_lr=float("nan")))
    with pytest.raises(TypeError):
        register_surface("bowl")  # type: ignore[arg-type]
    assert "t2" not in SURFACES and "t3" not in SURFACES and "t4" not in SURFACES


def test_every_named_surface_carries_its_presets():
    for name, s in SURFACES.items():
        assert s.label and s.starts[0] == s.start, name
        assert {k for k, _ in s.race_lrs} == set(OPTIMIZERS), name
        x0, x1, y0, y1 = s.bounds
        assert all(x0 <= x <= x1 and y0 <= y <= y1 for x, y in s.starts), name
    assert QUADRATIC_1D.starts[0] == QUADRATIC_1D.start and "quadratic_1d" not in SURFACES


def test_the_race_offers_the_optimizer_registry():
    """One registry: the race's optimizers are optim.OPTIMIZERS, under their class names."""
    assert list(LIBRARY_OPTIMIZERS) == [cls.__name__ for cls in OPTIMIZERS.values()]
    p = [Point(np.zeros(2)).param]
    for key, cls in OPTIMIZERS.items():
        opt = LIBRARY_OPTIMIZERS[cls.__name__](p, lr=0.123)
        assert type(opt) is cls and opt.lr == 0.123, key


PACKAGE = Path(backprop_lab.__file__).parent


def _surface_keys(path: Path, names: set[str]) -> set[str]:
    """Surface names used as a dict key or compared with ``==`` / ``in`` in ``path``'s code."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Dict):
            candidates = node.keys
        elif isinstance(node, ast.Compare):
            candidates = [node.left, *node.comparators]
        elif isinstance(node, ast.Subscript):
            candidates = [node.slice]
        else:
            continue
        found |= {c.value for c in candidates
                  if isinstance(c, ast.Constant) and c.value in names}
    return found


def test_no_per_surface_table_outside_surfaces_py():
    """No module of the widgets' layers keys a table by surface name, looks one up by a literal
    name, or tests for one: the presets live on the surfaces. (This test fails on the code
    before issue 17, whose explorer and race kept per-surface dicts.)"""
    for path in [*PACKAGE.glob("explore/*.py"), *PACKAGE.glob("widgets/*.py"),
                 *PACKAGE.glob("plotting/*.py")]:
        keys = _surface_keys(path, set(SURFACES))
        assert not keys, f"{path.name} names surfaces {sorted(keys)}: keep presets on the surface"


# -- lesson 03's discovery: the threshold can be hidden ------------------------------------------


@pytest.mark.parametrize(("lr", "verdict"), [(0.15, "converges"), (0.25, "diverges")])
def test_reveal_threshold_false_hides_the_threshold_only(lr, verdict):
    shown = compute_lr_explorer("quadratic_1d", lr, 30)
    hidden = compute_lr_explorer("quadratic_1d", lr, 30, reveal_threshold=False)
    assert "2/λ_max = 0.20" in shown.message
    assert "2/λ" not in hidden.message and "0.20" not in hidden.message
    assert f"η = {lr:.2f}: {verdict}" in hidden.message
    # the same run, the same numbers: only the text differs
    assert hidden.threshold == shown.threshold == pytest.approx(0.2)
    assert hidden.status == shown.status and hidden.rate == shown.rate
    np.testing.assert_array_equal(hidden.path, shown.path)
    assert shown.message.split(" | ")[0] == hidden.message.split(" | ")[0]


def test_reveal_threshold_false_with_momentum_and_on_the_edge():
    hidden = compute_lr_explorer("ravine", 0.5, 30, momentum=0.9, reveal_threshold=False)
    assert "λ_max" not in hidden.message and "converges" in hidden.message
    edge = compute_lr_explorer("quadratic_1d", 0.2, 10, reveal_threshold=False)
    assert "η = 0.20: on the edge" in edge.message and "2/λ" not in edge.message


def test_surface_title():
    assert surface_title(QUADRATIC_1D) == "1-D quadratic ½·10·w² (2/λ = 0.2)"
    assert surface_title(QUADRATIC_1D, reveal_threshold=False) == "1-D quadratic ½·10·w²"
    ravine = SURFACES["ravine"]
    assert surface_title(ravine, reveal_threshold=False) == surface_title(ravine)
