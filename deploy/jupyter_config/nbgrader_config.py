"""nbgrader settings for every user of the course's hub (students and instructors).

Installed where every user's nbgrader finds it: the hub of ``deploy/jupyterhub`` points
``JUPYTER_CONFIG_PATH`` at this folder; the Kubernetes image copies it to ``/etc/jupyter/``.
The values come from environment variables the hub sets for each user's server, so the hub's
configuration is their single source:

- ``BACKPROP_COURSE_ID``   the nbgrader course id (default ``backprop_lab``)
- ``BACKPROP_EXCHANGE``    the shared exchange directory (default ``/srv/nbgrader/exchange``)
- ``BACKPROP_INSTRUCTORS`` comma-separated user names who grade; their nbgrader course
  directory is ``~/course`` (``source/``, ``release/``, ``submitted/``, ``autograded/``,
  ``feedback/`` and ``gradebook.db`` live there); everyone else is a student, named by their
  hub user name (``JUPYTERHUB_USER``)
"""

import os

c = get_config()  # noqa: F821  (provided by traitlets when it loads this file)

c.CourseDirectory.course_id = os.environ.get("BACKPROP_COURSE_ID", "backprop_lab")
c.Exchange.root = os.environ.get("BACKPROP_EXCHANGE", "/srv/nbgrader/exchange")
# students: fetched assignments and their feedback land in the home folder, wherever nbgrader runs
c.Exchange.assignment_dir = os.path.expanduser("~")

_user = os.environ.get("JUPYTERHUB_USER", "")
_instructors = {n.strip() for n in os.environ.get("BACKPROP_INSTRUCTORS", "").split(",") if n.strip()}
if _user in _instructors:
    c.CourseDirectory.root = os.path.join(os.path.expanduser("~"), "course")
    # a training notebook takes longer than nbgrader's 30 s default per cell on a busy server
    c.Execute.timeout = 600
elif _user:
    # a student submits and fetches feedback under their hub name (nbgrader would take the login
    # name, which is the same on a one-server hub but "jovyan" for everyone on Kubernetes)
    c.CourseDirectory.student_id = _user
