"""Print the course's Binder badge and nbgitpuller link, made from ONE setting.

The repository URL lives in ``pyproject.toml`` (``[project.urls] Repository``); change it there
when you host the course elsewhere, then run

    python deploy/links.py                                  # Binder badge + link
    python deploy/links.py --hub https://hub.example.org    # + the nbgitpuller link for your hub
    python deploy/links.py --check-readme                   # exit 1 if README.md's badge differs

and paste the badge into README.md (``tests/test_hub_links.py`` fails while they differ).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from urllib.parse import quote, urlparse

ROOT = Path(__file__).resolve().parents[1]
START_NOTEBOOK = "lessons/00_start_here.ipynb"


def repository_url(pyproject: Path = ROOT / "pyproject.toml") -> str:
    """The ``Repository`` entry of ``[project.urls]`` in ``pyproject``, without a trailing ``.git``."""
    text = pyproject.read_text(encoding="utf-8")
    try:
        import tomllib  # Python >= 3.11

        url = tomllib.loads(text)["project"]["urls"]["Repository"]
    except ModuleNotFoundError:  # Python 3.10: the one line is simple enough to read directly
        m = re.search(r'^\[project\.urls\][^\[]*?^Repository\s*=\s*"([^"]+)"', text, re.M | re.S)
        if not m:
            raise KeyError(f"no Repository = \"...\" under [project.urls] in {pyproject}") from None
        url = m.group(1)
    except KeyError:
        raise KeyError(f"no Repository under [project.urls] in {pyproject}") from None
    parsed = urlparse(url)
    if parsed.scheme not in ("https", "http") or not parsed.netloc or parsed.path.strip("/") == "":
        raise ValueError(f"[project.urls] Repository must be an http(s) URL of a repository, got {url!r}")
    return url.removesuffix("/").removesuffix(".git")


def binder_url(repo: str) -> str:
    """mybinder.org link that opens the start notebook of ``repo`` in JupyterLab."""
    parsed = urlparse(repo)
    if parsed.netloc == "github.com":
        spec = f"gh/{parsed.path.strip('/')}/HEAD"
    else:  # any other public git host
        spec = f"git/{quote(repo, safe='')}/HEAD"
    return f"https://mybinder.org/v2/{spec}?urlpath=lab/tree/{START_NOTEBOOK}"


def binder_badge(repo: str) -> str:
    """The README's Binder badge (Markdown) for ``repo``."""
    return f"[![Binder](https://mybinder.org/badge_logo.svg)]({binder_url(repo)})"


def nbgitpuller_url(repo: str, hub: str) -> str:
    """Link that clones/updates ``repo`` into the user's home on ``hub`` and opens the start notebook.

    nbgitpuller clones into a folder named after the repository and never overwrites a student's
    changes when it pulls again.
    """
    if not urlparse(hub).scheme:
        raise ValueError(f"--hub must be the hub's URL with https://, got {hub!r}")
    folder = urlparse(repo).path.rstrip("/").rsplit("/", 1)[-1]
    return (f"{hub.rstrip('/')}/hub/user-redirect/git-pull?repo={quote(repo, safe='')}"
            f"&urlpath={quote(f'lab/tree/{folder}/{START_NOTEBOOK}', safe='/')}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hub", help="your JupyterHub's URL, e.g. https://hub.example.org")
    parser.add_argument("--check-readme", action="store_true",
                        help="exit 1 if README.md does not carry the badge made from pyproject.toml")
    args = parser.parse_args(argv)
    repo = repository_url()
    badge = binder_badge(repo)
    if args.check_readme:
        if badge in (ROOT / "README.md").read_text(encoding="utf-8"):
            print("README.md's Binder badge matches pyproject.toml")
            return 0
        print(f"README.md lacks the Binder badge for {repo}; replace it with:\n{badge}", file=sys.stderr)
        return 1
    print(f"repository:  {repo}   (pyproject.toml, [project.urls] Repository)")
    print(f"Binder:      {binder_url(repo)}")
    print(f"badge:       {badge}")
    hub = args.hub or "https://<your hub>"
    print(f"nbgitpuller: {nbgitpuller_url(repo, hub)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
