"""Child processes that do not outlive the process that started them."""

from __future__ import annotations

import ctypes
import signal


def die_with_parent() -> None:
    """``preexec_fn``: the kernel sends the child SIGTERM when the thread that started it dies, even by SIGKILL or
    an abrupt exit that runs no cleanup (an X server gone, a crash), so no HQ, simulator or daemon is left
    running on its own (Linux ``PR_SET_PDEATHSIG``; elsewhere a no-op)."""
    try:

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
