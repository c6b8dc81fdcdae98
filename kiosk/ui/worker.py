"""Disk, printer and network work off the UI thread; results come back on the UI thread through ``Clock``.

``submit(fn, on_done, on_error)`` runs ``fn`` on a named single-thread queue (one for the database, one for the
printer, one for probes), so a stuck printer never delays a registration and the UI never freezes.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from kivy.clock import Clock

log = logging.getLogger(__name__)


class Worker:
    """Named background queues whose callbacks are delivered on the Kivy main thread."""

    def __init__(self, lanes: tuple[str, ...] = ("db", "printer", "probe")):
        self._pools = {lane: ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"ui-{lane}") for lane in lanes}
        self._pending = 0
        self._lock = threading.Lock()
        self._closed = False

    @property
    def pending(self) -> int:
        """Jobs submitted whose callbacks have not yet run on the UI thread."""
        return self._pending

    def submit(self, fn: Callable[[], Any], on_done: Callable[[Any], None] | None = None,
               on_error: Callable[[BaseException], None] | None = None, lane: str = "db") -> Future | None:
        if self._closed:
            return None
        with self._lock:
            self._pending += 1
        future = self._pools[lane].submit(fn)
        future.add_done_callback(lambda f: Clock.schedule_once(lambda _dt: self._deliver(f, on_done, on_error)))
        return future

    def _deliver(self, future: Future, on_done, on_error) -> None:
        with self._lock:
            self._pending -= 1
        if self._closed:
            return
        exc = future.exception()
        if exc is not None:
            if on_error is not None:
                on_error(exc)
            else:
                log.error("background job failed", exc_info=exc)
        elif on_done is not None:
            on_done(future.result())

    def shutdown(self, wait: bool = True) -> None:
        self._closed = True
        for pool in self._pools.values():
            pool.shutdown(wait=wait, cancel_futures=True)
