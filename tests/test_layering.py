"""The package's layers import only downwards (issue 17): core → train → explore → plotting →
widgets, with the checks beside and the applications on top.

Every module of ``backprop_lab`` is parsed with :mod:`ast`; every import counts — at the top,
under ``if TYPE_CHECKING:``, inside functions and classes, relative or absolute. A module may
import a module of its own layer or of a layer its row allows:

========  ==============================================================  ======================
layer     modules                                                         may import
========  ==============================================================  ======================
core      every top-level module or subpackage not named below            core
          (activations, layers, model, losses, optim, surfaces, data,
          validate, errors, …)
train     ``train``                                                       core, train
explore   ``explore/``                                                    core, train, explore
plotting  ``plotting/``                                                   … + explore, plotting
widgets   ``widgets/``                                                    … + plotting, widgets
checks    ``checks/``, ``lesson_checks*``, ``lesson_helpers``             core, train, explore,
                                                                          checks
app       ``cli``, ``course``, ``instructor``, ``__main__``               everything
========  ==============================================================  ======================

"Core is everything not named" is deliberate: a new module (or a package such as ``data/``) is
held to the strictest rule until someone decides it belongs higher and says so here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import backprop_lab

PACKAGE = Path(backprop_lab.__file__).parent
NAME = "backprop_lab"

#: the ordered chain; a layer may import its own and every lower layer
CHAIN = ("core", "train", "explore", "plotting", "widgets")
#: what the layers beside or above the chain may import
BESIDE: dict[str, frozenset[str]] = {
    "checks": frozenset({"core", "train", "explore", "checks"}),
    "app": frozenset({*CHAIN, "checks", "app"}),
}
#: first component of a module name (below ``backprop_lab``) → layer; anything else is core
NAMED: dict[str, str] = {
    "train": "train",
    "explore": "explore",
    "plotting": "plotting",
    "widgets": "widgets",
    "checks": "checks",
    "lesson_checks": "checks",
    "lesson_checks_0910": "checks",
    "lesson_helpers": "checks",
    "cli": "app",
    "course": "app",
    "instructor": "app",
    "__main__": "app",
}


def layer_of(module: str) -> str:
    """The layer of ``backprop_lab.<...>`` (``module`` is the full dotted name)."""
    parts = module.split(".")
    if parts[0] != NAME:
        raise ValueError(f"{module} is not part of {NAME}")
    if len(parts) == 1:
        return "core"  # the package's __init__: `import backprop_lab` must stay light
    return NAMED.get(parts[1], "core")


def allowed(importer: str, imported: str) -> bool:
    """May a module of layer ``importer`` import one of layer ``imported``?"""
    if importer in BESIDE:
        return imported in BESIDE[importer]
    if imported not in CHAIN:
        return False  # the chain never imports checks or applications
    return CHAIN.index(imported) <= CHAIN.index(importer)


def module_name(path: Path) -> str:
    """``backprop_lab/widgets/base.py`` → ``backprop_lab.widgets.base`` (packages: their name)."""
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(source: str, module: str, is_package: bool = False) -> list[tuple[int, str]]:
    """Every ``backprop_lab`` module that ``source`` imports anywhere, as (line, dotted name).

    ``from backprop_lab.x import y`` yields ``backprop_lab.x``; ``from backprop_lab import y`` and
    ``from . import y`` yield the module ``….y``; relative imports are resolved against ``module``
    (``is_package``: ``module`` is a package's ``__init__``).
    """
    found: list[tuple[int, str]] = []
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            if node.module is None or target == NAME:  # `from . import x`: x is a module
                found += [(node.lineno, f"{target}.{a.name}") for a in node.names
                          if a.name != "*"]
            else:
                found.append((node.lineno, target))
    return [(line, name) for line, name in found
            if name == NAME or name.startswith(NAME + ".")]


def upward_imports(source: str, module: str, is_package: bool = False) -> list[str]:
    """Messages for the imports in ``source`` (the text of ``module``) that point upwards."""
    own = layer_of(module)
    bad = []
    for line, target in imported_modules(source, module, is_package):
        if target == NAME:
            continue  # `import backprop_lab` (or `from backprop_lab import x`, checked as .x)
        theirs = layer_of(target)
        if not allowed(own, theirs):
            bad.append(f"{module} (layer {own}) line {line} imports {target} (layer {theirs})")
    return bad


def package_modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def test_the_package_has_the_layers_the_table_names():
    """The test checks the real tree: every named layer has modules, and there are many."""
    layers = {layer_of(module_name(p)) for p in package_modules()}
    assert layers == {*CHAIN, *BESIDE}
    assert len(package_modules()) > 40


def test_no_module_imports_upwards():
    problems = []
    for path in package_modules():
        problems += upward_imports(path.read_text(encoding="utf-8"), module_name(path),
                                   is_package=path.name == "__init__.py")
    assert not problems, "upward imports:\n" + "\n".join(problems)


# -- the checker itself: it must catch what it is meant to catch -------------------------------


@pytest.mark.parametrize(
    ("module", "source"),
    [
        # core imports the widgets' pure half, at the top
        ("backprop_lab.surfaces", "from backprop_lab.explore.race import RaceResult\n"),
        # core imports train inside a function
        ("backprop_lab.layers", "def f():\n    from backprop_lab.train import fit\n"),
        # plotting imports a widget result type under TYPE_CHECKING (the old cycle)
        ("backprop_lab.plotting.flow",
         "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
         "    from backprop_lab.widgets.gradient_flow import FlowStats\n"),
        # explore imports plotting, relatively
        ("backprop_lab.explore.playground", "from ..plotting.classify import make_grid\n"),
        # explore imports widgets with a plain import inside a method
        ("backprop_lab.explore.race",
         "class A:\n    def m(self):\n        import backprop_lab.widgets.base\n"),
        # a subpackage imported by name from the package
        ("backprop_lab.optim", "from backprop_lab import plotting\n"),
        # core imports a check; the checks import a widget
        ("backprop_lab.model", "import backprop_lab.checks.lesson05\n"),
        ("backprop_lab.lesson_checks_0910",
         "def f():\n    from backprop_lab.widgets.gradient_flow import INITS\n"),
    ],
)
def test_a_planted_upward_import_is_caught(module, source):
    assert len(upward_imports(source, module)) == 1


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("backprop_lab.widgets.lr_explorer",
         "from backprop_lab.explore.learning_rate import compute_lr_explorer\n"
         "from backprop_lab.plotting.surfaces import plot_contours\nimport numpy\n"),
        ("backprop_lab.plotting.flow", "from backprop_lab.explore.gradient_flow import FlowStats\n"),
        ("backprop_lab.explore.playground", "from backprop_lab.train import accuracy\n"),
        ("backprop_lab.explore.race", "from . import learning_rate\nfrom .grid import Grid\n"),
        ("backprop_lab.cli", "from backprop_lab.widgets import playground\n"),
        ("backprop_lab.checks.lesson06", "from backprop_lab.train import fit\n"),
        ("backprop_lab.surfaces", "import matplotlib\nfrom backprop_lab.optim import SGD\n"),
    ],
)
def test_downward_and_sideways_imports_pass(module, source):
    assert upward_imports(source, module) == []


def test_relative_imports_are_resolved():
    src = "from ..widgets import base\nfrom . import grid\nfrom .grid import Grid\n"
    names = [n for _, n in imported_modules(src, "backprop_lab.explore.race")]
    assert "backprop_lab.widgets" in names and "backprop_lab.explore.grid" in names
    names = [n for _, n in imported_modules("from . import race\n", "backprop_lab.explore",
                                            is_package=True)]
    assert "backprop_lab.explore.race" in names
