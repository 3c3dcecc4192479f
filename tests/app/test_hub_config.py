"""The deployment's configuration files, loaded the way JupyterHub and nbgrader load them.

No hub is started here (tests/app/test_hub_exchange.py does that): these check what the settings
turn into, and that a bad setting is refused with its name.
"""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

traitlets_loader = pytest.importorskip("traitlets.config.loader")

ROOT = Path(__file__).resolve().parents[2]
HUB_CONFIG = ROOT / "deploy" / "jupyterhub" / "jupyterhub_config.py"
USER_CONFIG = ROOT / "deploy" / "jupyter_config"


def _load(path: Path):
    return traitlets_loader.PyFileConfigLoader(path.name, path=str(path.parent)).load_config()


@pytest.fixture
def settings(tmp_path, monkeypatch):
    for var in ("BACKPROP_COURSE_ID", "BACKPROP_STUDENTS", "BACKPROP_HANDOUT",
                "BACKPROP_CULL_TIMEOUT", "BACKPROP_CULL_EVERY", "BACKPROP_USER_PREFIX"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("BACKPROP_EXCHANGE", str(tmp_path / "srv" / "exchange"))
    monkeypatch.setenv("BACKPROP_INSTRUCTORS", "teacher, ta")
    return tmp_path


def test_hub_config_sets_up_exchange_handout_and_culler(settings, monkeypatch):
    roster = settings / "students.txt"
    roster.write_text("alice\nbob\n\ncarol\n")
    monkeypatch.setenv("BACKPROP_STUDENTS", str(roster))
    monkeypatch.setenv("BACKPROP_CULL_TIMEOUT", "1800")
    c = _load(HUB_CONFIG)

    exchange = settings / "srv" / "exchange"
    assert exchange.is_dir() and stat.S_IMODE(exchange.stat().st_mode) == 0o777
    assert c.Authenticator.admin_users == {"teacher", "ta"}
    assert c.Authenticator.allowed_users == {"alice", "bob", "carol", "teacher", "ta"}
    env = c.Spawner.environment
    assert env["BACKPROP_EXCHANGE"] == str(exchange)
    assert env["BACKPROP_INSTRUCTORS"] == "teacher,ta"
    assert env["OPENBLAS_NUM_THREADS"] == "1"
    assert Path(env["JUPYTER_CONFIG_PATH"], "nbgrader_config.py").is_file()
    assert "start --no-launch" in " ".join(c.Spawner.cmd)
    assert c.Spawner.cmd[-1].endswith("jupyterhub-singleuser")
    (service,) = c.JupyterHub.services
    assert "--timeout=1800" in service["command"] and "--cull-every=300" in service["command"]
    (role,) = c.JupyterHub.load_roles
    assert role["services"] == [service["name"]] and "delete:servers" in role["scopes"]


def test_hub_config_without_roster_allows_all_and_nbgitpuller_handout(settings, monkeypatch):
    monkeypatch.setenv("BACKPROP_HANDOUT", "none")
    c = _load(HUB_CONFIG)
    assert c.Authenticator.allow_all is True
    assert len(c.Spawner.cmd) == 1 and c.Spawner.cmd[0].endswith("jupyterhub-singleuser")


@pytest.mark.parametrize("var, value, message", [
    ("BACKPROP_HANDOUT", "git", "BACKPROP_HANDOUT must be 'start' or 'none'"),
    ("BACKPROP_STUDENTS", "/nonexistent/roster.txt", "BACKPROP_STUDENTS names a file"),
    ("BACKPROP_CULL_TIMEOUT", "an hour", "BACKPROP_CULL_TIMEOUT must be a positive whole number"),
    ("BACKPROP_CULL_EVERY", "0", "BACKPROP_CULL_EVERY must be a positive whole number"),
])
def test_hub_config_names_a_bad_setting(settings, monkeypatch, var, value, message):
    monkeypatch.setenv(var, value)
    with pytest.raises((ValueError, FileNotFoundError), match=message):
        _load(HUB_CONFIG)


@pytest.mark.parametrize("user, is_instructor", [("teacher", True), ("alice", False)])
def test_nbgrader_config_for_instructors_and_students(settings, monkeypatch, user, is_instructor):
    monkeypatch.setenv("HOME", str(settings / user))
    monkeypatch.setenv("JUPYTERHUB_USER", user)
    c = _load(USER_CONFIG / "nbgrader_config.py")
    assert c.Exchange.root == str(settings / "srv" / "exchange")
    assert c.CourseDirectory.course_id == "backprop_lab"
    assert c.Exchange.assignment_dir == str(settings / user)
    if is_instructor:
        assert c.CourseDirectory.root == str(settings / user / "course")
        assert "student_id" not in c.CourseDirectory  # collect must see every student
    else:
        assert "root" not in c.CourseDirectory
        assert c.CourseDirectory.student_id == user


def test_kernel_culling_never_stops_a_busy_kernel():
    c = _load(USER_CONFIG / "jupyter_server_config.py")
    assert c.MappingKernelManager.cull_idle_timeout > 0
    assert c.MappingKernelManager.cull_busy is False
