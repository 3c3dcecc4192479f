"""The README's Binder badge and the nbgitpuller link come from one setting (pyproject's URL)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("deploy_links", ROOT / "deploy" / "links.py")
links = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(links)


def test_readme_badge_is_made_from_the_repository_setting():
    repo = links.repository_url()
    assert repo.startswith("https://")
    badge = links.binder_badge(repo)
    assert badge in (ROOT / "README.md").read_text(encoding="utf-8"), (
        f"README.md's Binder badge differs from pyproject.toml's repository; run "
        f"`python deploy/links.py` and paste:\n{badge}")
    assert links.main(["--check-readme"]) == 0


def test_binder_link_opens_a_notebook_that_exists():
    url = urlparse(links.binder_url("https://github.com/someone/course"))
    assert (url.netloc, url.path) == ("mybinder.org", "/v2/gh/someone/course/HEAD")
    path = parse_qs(url.query)["urlpath"][0].removeprefix("lab/tree/")
    assert (ROOT / path).is_file()
    # other hosts go through Binder's generic git provider, URL-encoded
    assert "/v2/git/https%3A%2F%2Fgitlab.com%2Fa%2Fb/HEAD" in links.binder_url("https://gitlab.com/a/b")


def test_nbgitpuller_link_round_trips():
    repo = "https://github.com/someone/course"
    url = urlparse(links.nbgitpuller_url(repo, "https://hub.example.org/"))
    assert (url.scheme, url.netloc, url.path) == ("https", "hub.example.org",
                                                  "/hub/user-redirect/git-pull")
    query = parse_qs(url.query)
    assert query["repo"] == [repo]
    # nbgitpuller clones into a folder named after the repository
    assert query["urlpath"] == ["lab/tree/course/lessons/00_start_here.ipynb"]
    with pytest.raises(ValueError, match="hub's URL"):
        links.nbgitpuller_url(repo, "hub.example.org")


@pytest.mark.parametrize("value, error", [
    ('Repository = "not a url"', ValueError),
    ('Homepage = "https://example.org"', KeyError),
])
def test_bad_repository_setting_is_named(tmp_path, value, error):
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(f'[project]\nname = "x"\n\n[project.urls]\n{value}\n')
    with pytest.raises(error, match="Repository"):
        links.repository_url(pyproject)


def test_trailing_git_and_slash_are_dropped(tmp_path):
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[project.urls]\nRepository = "https://github.com/a/b.git"\n')
    assert links.repository_url(pyproject) == "https://github.com/a/b"
