"""JupyterHub for the backprop_lab course on one server (walk-through: deploy/README.md).

Run as root from the environment that holds JupyterHub, the course package and nbgrader:

    BACKPROP_INSTRUCTORS=teacher BACKPROP_STUDENTS=/srv/backprop/students.txt \\
        jupyterhub -f deploy/jupyterhub/jupyterhub_config.py

Students log in with their system accounts (PAM); each gets a Jupyter server in their home
folder, started as their own user, with:

- the course copied into ``~/backprop-course`` by ``backprop-lab start --no-launch`` whenever
  their server starts (new and updated notebooks arrive, a student's own changes are never
  overwritten), or, with ``BACKPROP_HANDOUT=none``, nothing: hand out an nbgitpuller link
  (``python deploy/links.py --hub https://your.hub``);
- nbgrader's exchange in a shared directory (``BACKPROP_EXCHANGE``), configured for every user by
  ``deploy/jupyter_config/nbgrader_config.py``; instructors grade in ``~/course``;
- one BLAS thread per kernel, idle kernels culled after 30 min inside the server, and whole idle
  servers stopped by ``jupyterhub-idle-culler`` running as a hub service.

Settings (environment variables read when the hub starts; defaults in brackets):

- ``BACKPROP_COURSE_ID``    nbgrader course id [backprop_lab]
- ``BACKPROP_EXCHANGE``     nbgrader exchange directory, created world-writable [/srv/nbgrader/exchange]
- ``BACKPROP_INSTRUCTORS``  comma-separated user names who release and grade (hub admins too) [none]
- ``BACKPROP_STUDENTS``     comma-separated user names, or the path of a file with one per line;
  unset: any user who can log in to the server [unset]
- ``BACKPROP_HANDOUT``      ``start`` (copy the course at server start) or ``none`` [start]
- ``BACKPROP_USER_PREFIX``  the Python environment of the users' servers [this hub's sys.prefix]
- ``BACKPROP_CULL_TIMEOUT`` seconds without activity before a server is stopped [3600]
- ``BACKPROP_CULL_EVERY``   seconds between the culler's checks [300]

The loopback test ``tests/test_hub_exchange.py`` loads this file and replaces only the
authenticator (dummy), the spawner (simple local processes, no system users) and the ports.
"""

import os
import sys
from pathlib import Path

c = get_config()  # noqa: F821  (provided by traitlets when it loads this file)

HERE = Path(__file__).resolve().parent
USER_CONFIG = HERE.parent / "jupyter_config"  # nbgrader_config.py, jupyter_server_config.py

COURSE_ID = os.environ.get("BACKPROP_COURSE_ID", "backprop_lab")
EXCHANGE = Path(os.environ.get("BACKPROP_EXCHANGE", "/srv/nbgrader/exchange"))
INSTRUCTORS = [n.strip() for n in os.environ.get("BACKPROP_INSTRUCTORS", "").split(",") if n.strip()]
USER_PREFIX = Path(os.environ.get("BACKPROP_USER_PREFIX", sys.prefix))
HANDOUT = os.environ.get("BACKPROP_HANDOUT", "start")


def _seconds(name: str, default: int) -> int:
    """The positive whole number of seconds in environment variable ``name``."""
    value = os.environ.get(name, str(default))
    if not value.strip().isdigit() or int(value) <= 0:
        raise ValueError(f"{name} must be a positive whole number of seconds, got {value!r}")
    return int(value)


CULL_TIMEOUT = _seconds("BACKPROP_CULL_TIMEOUT", 3600)
CULL_EVERY = _seconds("BACKPROP_CULL_EVERY", 300)

if HANDOUT not in ("start", "none"):
    raise ValueError(f"BACKPROP_HANDOUT must be 'start' or 'none', got {HANDOUT!r}")


def _students() -> set[str]:
    """The names in ``BACKPROP_STUDENTS``: a comma-separated list or a file with one per line."""
    value = os.environ.get("BACKPROP_STUDENTS", "").strip()
    if not value:
        return set()
    if os.sep in value:
        path = Path(value)
        if not path.is_file():
            raise FileNotFoundError(f"BACKPROP_STUDENTS names a file that does not exist: {path}")
        names = path.read_text().split()
    else:
        names = value.split(",")
    return {n.strip() for n in names if n.strip()}


# -- who may log in ------------------------------------------------------------------------------
# The default authenticator (PAM: the server's own accounts). Instructors are hub admins.
c.Authenticator.admin_users = set(INSTRUCTORS)
_allowed = _students()
if _allowed:
    c.Authenticator.allowed_users = _allowed | set(INSTRUCTORS)
else:
    c.Authenticator.allow_all = True  # every account on this server may use the hub

# -- nbgrader's exchange: one directory every user can write to ------------------------------------
# nbgrader's own setup: a world-writable root; release/collect/feedback create their folders in it.
EXCHANGE.mkdir(parents=True, exist_ok=True)
os.chmod(EXCHANGE, 0o777)

# -- each user's server ------------------------------------------------------------------------
_bin = USER_PREFIX / "bin"
c.Spawner.environment = {
    "PATH": f"{_bin}{os.pathsep}{os.environ.get('PATH', '/usr/local/bin:/usr/bin:/bin')}",
    "JUPYTER_CONFIG_PATH": str(USER_CONFIG),  # nbgrader_config.py + kernel culling
    "BACKPROP_COURSE_ID": COURSE_ID,
    "BACKPROP_EXCHANGE": str(EXCHANGE),
    "BACKPROP_INSTRUCTORS": ",".join(INSTRUCTORS),
    # one BLAS thread per kernel: 50 kernels on 8 cores must not each start 8 threads
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}
c.Spawner.default_url = "/lab"
c.Spawner.http_timeout = 60  # a busy server needs more than the default 30 s to start Jupyter
_singleuser = str(_bin / "jupyterhub-singleuser")
if HANDOUT == "start":
    # runs as the user, in their home, at every server start: copies lessons + exercises (never
    # solutions); later starts add new notebooks and update those the student has not changed,
    # and never overwrite a student's work -- so upgrading the package updates the class
    c.Spawner.cmd = [
        "sh", "-c",
        '"$0" start --no-launch "$HOME/backprop-course" >/dev/null '
        '|| echo "backprop-lab start failed; the server starts without the course" >&2; '
        'exec "$@"',
        str(_bin / "backprop-lab"), _singleuser,
    ]
else:
    c.Spawner.cmd = [_singleuser]

# -- stop idle servers: jupyterhub-idle-culler as a hub service ----------------------------------
c.JupyterHub.load_roles = [
    {
        "name": "jupyterhub-idle-culler-role",
        "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
        "services": ["jupyterhub-idle-culler-service"],
    }
]
c.JupyterHub.services = [
    {
        "name": "jupyterhub-idle-culler-service",
        "command": [
            sys.executable, "-m", "jupyterhub_idle_culler",
            f"--timeout={CULL_TIMEOUT}", f"--cull-every={CULL_EVERY}",
        ],
    }
]
# the hub hears of activity from the servers and the proxy every 5 min (the defaults); the culler
# can therefore stop a server between CULL_TIMEOUT and CULL_TIMEOUT + ~10 min after its last use
