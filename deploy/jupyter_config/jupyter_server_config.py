"""Each student's Jupyter server on the course's hub: cull idle kernels inside the server.

The hub's idle culler (``jupyterhub-idle-culler``) stops whole servers after an hour without
activity; this stops single kernels a student left open in another tab earlier, which is
where the memory goes (deploy/README.md, "Sizing": an idle kernel that ran lesson 07 still holds
its peak). Installed next to ``nbgrader_config.py`` (same folder, same ways).
"""

c = get_config()  # noqa: F821  (provided by traitlets when it loads this file)

# 30 min: a student reading a long section keeps their kernel; an abandoned one goes
c.MappingKernelManager.cull_idle_timeout = 30 * 60  # s without execution -> shut the kernel down
c.MappingKernelManager.cull_interval = 60  # s between checks
c.MappingKernelManager.cull_connected = True  # an open but unused tab does not keep it alive
c.MappingKernelManager.cull_busy = False  # never kill a kernel that is still computing
