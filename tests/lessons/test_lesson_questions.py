"""Predict before reveal (issue 16), one rule for every lesson 01-12.

Each lesson asks at least three questions *before* the output that answers them: a markdown cell
with the question ("Predict …" or "What do you expect?"), then the code cell whose stored output
answers it, then the answer folded into a ``<details><summary>Answer</summary>`` block. Lesson-
specific structure (where a widget task sits, what a prompt must not give away) is tested beside
each lesson's own checks.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

LESSONS = Path(__file__).resolve().parents[2] / "lessons"
ANSWER = "<summary>Answer</summary>"
PROMPTS = ("Predict", "What do you expect?")
NAMES = sorted(p.stem for p in LESSONS.glob("[01][0-9]_*.ipynb") if p.stem[:2] not in ("00",))


def hidden_answers(cells: list) -> list[int]:
    """Indices of the markdown cells that hold a hidden answer."""
    return [i for i, c in enumerate(cells) if c.cell_type == "markdown" and ANSWER in c.source]


def test_every_lesson_01_to_12_is_checked() -> None:
    assert NAMES == [f"{n:02d}" + name[2:] for n, name in zip(range(1, 13), NAMES, strict=True)]


@pytest.mark.parametrize("name", NAMES)
def test_questions_come_before_the_output_and_answers_after(name: str) -> None:
    """At least three hidden answers. Each is a closed ``<details>`` block below a code cell with a
    stored output, and a question stands in the markdown between the previous answer and that code
    cell, so the student reads it before the output answers it."""
    cells = nbformat.read(LESSONS / f"{name}.ipynb", as_version=4).cells
    answers = hidden_answers(cells)
    assert len(answers) >= 3, f"{name}: {len(answers)} hidden answers, expected at least 3"
    previous = -1
    for a in answers:
        source = cells[a].source
        assert "<details>" in source and source.index("<details>") < source.index(ANSWER) \
            < source.find("</details>"), f"{name}: the answer in cell {a} is not a closed <details> block"
        code = max(j for j in range(a) if cells[j].cell_type == "code")
        assert code > previous, f"{name}: no code cell between the answers in cells {previous}, {a}"
        assert cells[code].outputs, f"{name}: the code cell above the answer in cell {a} has no output"
        # the question may share a cell with the previous answer, after its </details>
        texts = [cells[j].source for j in range(max(previous, 0), code)
                 if cells[j].cell_type == "markdown"]
        if previous >= 0:
            texts[0] = cells[previous].source.rsplit("</details>", 1)[-1]
        assert any(p in t for t in texts for p in PROMPTS), (
            f"{name}: no question before the output that the answer in cell {a} explains")
        previous = a
