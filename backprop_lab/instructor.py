"""Instructor tooling around nbgrader: a ready course directory, and feedback only when graded.

    backprop-lab instructor init COURSE_DIR        # source/NN_topic/ from solutions/, config
    backprop-lab instructor feedback NN_topic      # refuses while manual grades are missing

``init`` makes one nbgrader assignment per lesson (``source/01_forward_pass/01_forward_pass.ipynb``
…), so each lesson is released, collected and graded on its own, and writes an
``nbgrader_config.py`` without a header notebook (``nbgrader quickstart`` adds one), so the
release of each assignment is cell for cell ``exercises/``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from backprop_lab.course import SOLUTIONS

#: Seconds per cell while autograding. The slowest cell of any solutions notebook took 0.34 s
#: (measured on a busy 2-core machine); nbgrader's default of 30 s leaves a student's code ~100×
#: that and still stops an endless loop within half a minute. Stated explicitly so it is visible.
CELL_TIMEOUT = 30

CONFIG = '''\
# nbgrader configuration written by `backprop-lab instructor init` (edit freely).
c = get_config()  # noqa: F821 (defined by nbgrader when it reads this file)

c.CourseDirectory.course_id = "backprop_lab"
# One assignment per lesson: source/01_forward_pass/01_forward_pass.ipynb, ...
# No header notebook: the released notebooks are exactly the course's exercises/.
c.IncludeHeaderFooter.header = ""
# Per-cell limit while autograding: the slowest cell of the solutions takes ~0.3 s.
c.Execute.timeout = {timeout}
# A grade cell's numeric result is its partial credit (a quarter of the points per check step);
# the hidden part of every check cell loads the checks afresh from backprop_lab/checks/.

# Feedback for students: leave out the grading code (hidden tests) and the mark schemes, which
# the autograded notebooks carry for the formgrader. Delete these lines to show them.
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor  # noqa: E402
from nbgrader.preprocessors import ClearHiddenTests, ClearMarkScheme, GetGrades  # noqa: E402

c.GenerateFeedback.preprocessors = [GetGrades, ClearHiddenTests, ClearMarkScheme,
                                    CSSHTMLHeaderPreprocessor]
'''


def init_course(root: str | Path, force: bool = False) -> list[str]:
    """Create an nbgrader course directory at ``root``; return the assignment names.

    Raises FileExistsError if ``root/source`` holds an assignment already (unless ``force``).
    """
    root = Path(root)
    names = []
    for nb in sorted(SOLUTIONS.glob("[0-9][0-9]_*.ipynb")):
        dest = root / "source" / nb.stem / nb.name
        if dest.exists() and not force:
            raise FileExistsError(f"{dest} exists; pass --force to overwrite the course's source/")
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(nb, dest)
        names.append(nb.stem)
    config = root / "nbgrader_config.py"
    if not config.exists() or force:
        config.write_text(CONFIG.format(timeout=CELL_TIMEOUT))
    return names


def missing_manual_grades(root: str | Path, assignment: str) -> list[str]:
    """'student: notebook' for every submitted notebook of ``assignment`` still needing a grade."""
    from nbgrader.api import Gradebook, MissingEntry

    db = Path(root) / "gradebook.db"
    missing = []
    with Gradebook(f"sqlite:///{db}") as gb:
        try:
            submissions = gb.assignment_submissions(assignment)
        except MissingEntry:
            raise ValueError(f"no assignment {assignment!r} in {db}") from None
        for sub in submissions:
            for nb in sub.notebooks:
                if nb.needs_manual_grade:
                    missing.append(f"{sub.student.id}: {nb.name}")
    return sorted(missing)


def main_instructor(argv: list[str]) -> int:
    import argparse

    p = argparse.ArgumentParser(prog="backprop-lab instructor",
                                description="set up and run nbgrader for the course")
    sub = p.add_subparsers(dest="cmd", required=True)
    i = sub.add_parser("init", help="create an nbgrader course directory from solutions/")
    i.add_argument("dir")
    i.add_argument("--force", action="store_true", help="overwrite source/ and the config")
    f = sub.add_parser("feedback", help="nbgrader generate_feedback, once every answer is graded")
    f.add_argument("assignment")
    f.add_argument("--root", default=".", help="the course directory (default: .)")
    f.add_argument("--force", action="store_true", help="generate it even with ungraded answers")
    args = p.parse_args(argv)
    try:
        import nbgrader  # noqa: F401
    except ImportError:
        print("backprop-lab instructor needs nbgrader: pip install nbgrader", file=sys.stderr)
        return 2
    if args.cmd == "init":
        try:
            names = init_course(args.dir, force=args.force)
        except FileExistsError as e:
            print(e, file=sys.stderr)
            return 1
        print(f"course directory {Path(args.dir).resolve()}: {len(names)} assignments "
              f"({names[0]} … {names[-1]}), nbgrader_config.py\n"
              f"next: cd {args.dir} && nbgrader generate_assignment {names[0]}")
        return 0
    root = Path(args.root)
    try:
        missing = missing_manual_grades(root, args.assignment)
    except ValueError as e:
        print(e, file=sys.stderr)
        return 1
    if missing and not args.force:
        print(f"refusing to generate feedback for {args.assignment}: {len(missing)} submitted "
              "notebook(s) have written answers not graded yet (their feedback would show 0 "
              "points for them):\n  " + "\n  ".join(missing) +
              "\ngrade them in the formgrader, or pass --force", file=sys.stderr)
        return 1
    if missing:
        print(f"WARNING: {len(missing)} notebook(s) still need manual grades", file=sys.stderr)
    cmd = [sys.executable, "-m", "nbgrader", "generate_feedback", args.assignment]
    return subprocess.call(cmd, cwd=root)
