"""Per-device ordering of event batches when a device keeps two batches in flight.

A device may post batch N+1 before HQ has answered batch N, naming N's last ``seq`` as ``after_seq``. HQ stores
N+1 only once it holds the device's events up to ``after_seq`` (checked inside the ingest transaction against
``devices.high_water_seq``, so it holds across worker processes). When N+1 overtakes N, its job is refused with
:class:`PreviousBatchMissing` before writing anything; the handler waits for one of the device's commits in this process
(or polls, for a batch held by another worker) and tries again, up to :data:`ORDER_WAIT_S`, then answers
``409 out_of_order`` and the device sends the batch again on its own.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from core.errors import ServerError
from hq.auth import Device

ORDER_WAIT_S = 2.0  # how long a batch waits for the batch it follows
POLL_S = 0.1  # re-check at least this often (the batch it follows may be in another worker process)


class PreviousBatchMissing(ServerError):
    """The batch follows one HQ does not hold yet."""


def check_order(device: Device, batch: dict[str, Any]) -> None:
    """Raise :class:`PreviousBatchMissing` when ``batch['after_seq']`` is beyond what HQ holds for ``device``."""
    after = batch.get("after_seq")
    if after is not None and device.high_water_seq < after:
        raise PreviousBatchMissing(f"batch follows seq {after} but HQ holds device {device.device_id} up to seq "
                         f"{device.high_water_seq}; send it again after the batch before it")


class CommitSignal:
    """Per-device bookkeeping of the ingest jobs running in this process (event-loop side only): a batch sent
    with ``after_seq`` is not started while another batch of its device is being stored here (with several
    writer threads, as on PostgreSQL, it would only find that batch uncommitted and have to try again), and
    the handlers waiting on a device are woken when one of its jobs ends."""

    def __init__(self) -> None:
        self._waiters: dict[str, asyncio.Event] = {}
        self._busy: dict[str, int] = {}

    def begin(self, device_id: str) -> None:
        self._busy[device_id] = self._busy.get(device_id, 0) + 1

    def end(self, device_id: str) -> None:
        left = self._busy.get(device_id, 1) - 1
        if left > 0:
            self._busy[device_id] = left
        else:
            self._busy.pop(device_id, None)
        ev = self._waiters.pop(device_id, None)
        if ev is not None:
            ev.set()

    async def idle(self, device_id: str, deadline: float) -> None:
        """Return once no job of ``device_id`` runs here (or at ``deadline``)."""
        while self._busy.get(device_id) and await self.wait(device_id, deadline):
            pass

    async def wait(self, device_id: str, deadline: float) -> bool:
        """Wait for one of ``device_id``'s jobs here to end, or :data:`POLL_S`; False once ``deadline`` has
        passed."""
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        ev = self._waiters.setdefault(device_id, asyncio.Event())
        try:
            await asyncio.wait_for(ev.wait(), timeout=min(POLL_S, left))
        except TimeoutError:
            pass
        return True
