"""Per-lesson reading statistics: main-path words, deep-dive words, long code cells, printed checks.

A maintainer's tool (not part of the ``backprop_lab`` package). Run from the repository root::

    python tools/lesson_stats.py                 # every lessons/NN_*.ipynb, one table
    python tools/lesson_stats.py --long          # also list the long code cells by id
    python tools/lesson_stats.py lessons/08_optimizers.ipynb

Definitions (what each column counts)
-------------------------------------
words main
    Words of *markdown* cells on the main path. A word is a run of non-whitespace characters
    after HTML tags (``<details>``, ``<summary>``, ``<br>``…) are removed; LaTeX, code spans and
    punctuation-only tokens such as ``$$`` or ``-`` each count as one word when they stand alone.
    Code cells are not counted as words: they are counted as cells (next columns).
words deep
    The same count for markdown cells inside optional deep dives. A deep dive starts at a
    markdown cell whose first line is a heading (``#``…) containing "optional deep dive" (any
    case; "Optional deep dives" also matches). It runs up to and including a markdown cell whose
    text is exactly ``*End of the deep dive.*``, or up to (excluding) the next heading of the same
    or a higher level (fewer ``#``) that is not itself a deep dive, or to the end of the notebook.
    Every cell inside (markdown or code) belongs to the deep dive.
long main / long deep
    Code cells with more than ``LONG_CELL`` (15) source lines, on the main path and in deep dives.
    Lines are counted after dropping trailing blank lines; comment lines count (they are read).
checks
    Printed verification lines: lines of a code cell's stored output (``stream`` text and
    ``text/plain`` results) whose last whitespace-separated token is one of ``True``, ``False``,
    ``yes``, ``no``, ``ok``, ``OK`` (possibly followed by ``.``). This is the course's convention
    for a claim checked in the open (``tanh(z) == 2 sigmoid(2z) - 1: True``, table rows ending in
    ``ok``). Counted over the whole notebook (main path and deep dives together).
cells
    Number of cells (all types), for orientation.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

LONG_CELL = 15
_HEADING = re.compile(r"^(#{1,6})\s+(.*)")
_TAG = re.compile(r"<[^>]+>")
_CHECK_WORDS = {"True", "False", "yes", "no", "ok", "OK"}
END_MARK = "*End of the deep dive.*"


@dataclass
class LessonStats:
    """Counts for one notebook (see the module docstring for the definitions)."""

    name: str
    cells: int = 0
    words_main: int = 0
    words_deep: int = 0
    long_main: list[str] = field(default_factory=list)
    long_deep: list[str] = field(default_factory=list)
    checks: int = 0


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _heading_level(text: str) -> tuple[int, str] | None:
    """Level and title of the heading on the cell's first line, or None."""
    first = text.lstrip("\n").split("\n", 1)[0]
    m = _HEADING.match(first)
    return (len(m.group(1)), m.group(2)) if m else None


def count_words(markdown: str) -> int:
    """Words in a markdown text: whitespace-separated tokens after HTML tags are removed."""
    return len(_TAG.sub("", markdown).split())


def code_lines(code: str) -> int:
    """Source lines of a code cell, trailing blank lines dropped."""
    return len(code.rstrip().splitlines()) if code.strip() else 0


def output_lines(cell: dict) -> list[str]:
    """Stored text output lines of a code cell (stdout/stderr streams and text/plain results)."""
    lines: list[str] = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            text = out.get("text", "")
        else:
            text = out.get("data", {}).get("text/plain", "")
        lines += ("".join(text) if isinstance(text, list) else text).splitlines()
    return lines


def is_check_line(line: str) -> bool:
    """True if the printed line ends in one of the verdict words (see the module docstring)."""
    tokens = line.split()
    return bool(tokens) and tokens[-1].rstrip(".") in _CHECK_WORDS


def deep_dive_mask(cells: list[dict]) -> list[bool]:
    """For every cell, whether it lies inside an optional deep dive."""
    mask: list[bool] = []
    level: int | None = None  # heading level of the open deep dive, None outside one
    for cell in cells:
        text = _source(cell)
        if cell["cell_type"] == "markdown":
            head = _heading_level(text)
            if head and "optional deep dive" in head[1].lower():
                level = head[0] if level is None else min(level, head[0])
            elif head and level is not None and head[0] <= level:
                level = None
            inside = level is not None
            if inside and text.strip() == END_MARK:
                level = None
            mask.append(inside)
        else:
            mask.append(level is not None)
    return mask


def lesson_stats(path: Path) -> LessonStats:
    """Compute the counts of one notebook."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    st = LessonStats(name=path.stem, cells=len(cells))
    for cell, deep in zip(cells, deep_dive_mask(cells), strict=True):
        text = _source(cell)
        if cell["cell_type"] == "markdown":
            if deep:
                st.words_deep += count_words(text)
            else:
                st.words_main += count_words(text)
        elif cell["cell_type"] == "code":
            if code_lines(text) > LONG_CELL:
                label = f"{cell.get('id', '?')}({code_lines(text)})"
                (st.long_deep if deep else st.long_main).append(label)
            st.checks += sum(is_check_line(line) for line in output_lines(cell))
    return st


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--long", action="store_true", help="list the long code cells by id")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted(Path("lessons").glob("[0-9][0-9]_*.ipynb"))
    if not paths:
        print("no notebooks found (run from the repository root or name them)", file=sys.stderr)
        return 2
    rows = [lesson_stats(p) for p in paths]
    print(f"{'lesson':34} {'cells':>5} {'words main':>10} {'words deep':>10} "
          f"{'long main':>9} {'long deep':>9} {'checks':>6}")
    for r in rows:
        print(f"{r.name:34} {r.cells:5d} {r.words_main:10d} {r.words_deep:10d} "
              f"{len(r.long_main):9d} {len(r.long_deep):9d} {r.checks:6d}")
        if args.long and (r.long_main or r.long_deep):
            print(f"{'':36}long: {' '.join(r.long_main)}"
                  + (f" | deep: {' '.join(r.long_deep)}" if r.long_deep else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
