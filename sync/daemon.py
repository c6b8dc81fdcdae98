"""The sync daemon: push the outbox to HQ in ``seq`` order, pull reference data, report status.

One cycle: read a batch (a short read, ended before the HTTP call) -> POST it -> mark HQ's per-event
answers in one transaction -> repeat until nothing is pending -> pull reference data and apply it
atomically -> write ``sync_status`` into the store's ``meta``. A failed cycle waits a full-jitter backoff
delay (capped) before the next; a good one waits ``sync.interval_s``.

Fault injection for the crash tests: ``LAPAS_FAULT=after_read|after_post|during_mark`` (comma list) makes
the daemon stop at that point the ``LAPAS_FAULT_AT``-th time (default 1): ``LAPAS_FAULT_ACTION=pause``
(default) writes ``run/fault-<point>`` and sleeps so a test can ``kill -9`` it there; ``die`` SIGKILLs itself.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kiosk import identity
from kiosk.config import Config
from kiosk.ids import iso
from kiosk.store import Store, outbox
from sync import protocol
from sync.backoff import Backoff, Clock
from sync.client import HQClient, SyncError, Unreachable

log = logging.getLogger("lapas.sync")
LOCK_NAME = "sync.lock"
STATUS_KEY = "sync_status"


class ReferenceRefused(SyncError):
    """HQ's reference document did not pass the device's validation; the old data stays in force."""

    code = "reference_invalid"
    retryable = False


class AlreadyRunning(RuntimeError):
    """Another sync daemon holds this data directory's lock."""


class DaemonLock:
    """An exclusive ``flock`` on ``<data_dir>/run/sync.lock``, held for the daemon's life."""

    def __init__(self, run_dir: Path):
        run_dir.mkdir(parents=True, exist_ok=True)
        self.path = run_dir / LOCK_NAME
        self.fd: int | None = None

    def acquire(self) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            try:
                holder = os.read(fd, 32).decode().strip() or "?"
            finally:
                os.close(fd)
            raise AlreadyRunning(
                f"another sync daemon (pid {holder}) is already running for {self.path.parent.parent}") from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self.fd = fd

    def release(self) -> None:
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None


class Faults:
    """The ``LAPAS_FAULT`` hooks (inactive unless the variable is set)."""

    def __init__(self, run_dir: Path, env: dict[str, str] | None = None):
        env = os.environ if env is None else env
        self.points = {p.strip() for p in env.get("LAPAS_FAULT", "").split(",") if p.strip()}
        self.at = int(env.get("LAPAS_FAULT_AT", "1"))
        self.action = env.get("LAPAS_FAULT_ACTION", "pause")
        self.run_dir = run_dir
        self.seen: dict[str, int] = {}

    def hit(self, point: str) -> None:
        if point not in self.points:
            return
        self.seen[point] = self.seen.get(point, 0) + 1
        if self.seen[point] != self.at:
            return
        log.warning("fault injection: %s (%s)", point, self.action)
        if self.action == "die":
            os.kill(os.getpid(), signal.SIGKILL)
        (self.run_dir / f"fault-{point}").write_text(str(os.getpid()))
        while True:  # wait here for the test's kill -9
            time.sleep(3600)


def load_reference_applier() -> Callable[[Store, dict], Any] | None:
    try:
        from kiosk.domain.reference import apply_reference
    except ImportError:
        return None
    return apply_reference


class Daemon:
    """Pushes one device's outbox and pulls its reference data. Not thread-safe; one per database."""

    def __init__(self, cfg: Config, *, clock: Clock | None = None, client: HQClient | None = None,
                 batch_size: int | None = None, faults: Faults | None = None,
                 rng: Callable[[], float] | None = None):
        self.cfg = cfg
        self.clock = clock or Clock()
        self.store = Store(cfg.db_path, cfg.device.device_id)
        self.conn = self.store.conn
        self.client = client or HQClient(cfg.hq.url, cfg.device.device_id, identity.load(cfg.keys_dir),
                                         timeout=cfg.hq.timeout_s, clock=self.clock.now)
        self.batch_size = min(batch_size or cfg.sync.batch_size, protocol.MAX_EVENTS)
        self.backoff = Backoff(cfg.sync.backoff_base_s, cfg.sync.backoff_cap_s, **({"rng": rng} if rng else {}))
        self.faults = faults or Faults(cfg.run_dir)
        self.stop = threading.Event()
        self.apply_reference = load_reference_applier()
        self.status: dict[str, Any] = self._load_status()
        self.sent_total = 0
        self._pending = 0
        self._last_status = 0.0
        self._executor: ThreadPoolExecutor | None = None

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True)
        self.client.close()
        self.store.close()

    # -- status ----------------------------------------------------------------------------------

    def _load_status(self) -> dict[str, Any]:
        raw = self.store.get_meta(STATUS_KEY)
        base = {"pending": 0, "oldest_pending_at": None, "last_attempt": None, "last_success": None,
                "last_error": None, "next_attempt_at": None, "dead_letters": 0, "reference_version": None,
                "reference_error": None}
        try:
            base.update(json.loads(raw) if raw else {})
        except ValueError:
            pass
        return base

    def _iso(self, t: float | None = None) -> str:
        return iso(datetime.fromtimestamp(self.clock.now() if t is None else t, UTC))

    def write_status(self, **changes: Any) -> dict[str, Any]:
        st = outbox.stats(self.conn)
        self.status.update(pending=st["pending"], oldest_pending_at=st["oldest_pending_at"],
                           dead_letters=st["rejected"], reference_version=_int(self.store.get_meta("reference_version")),
                           failures=self.backoff.failures, **changes)
        self.store.set_meta(STATUS_KEY, json.dumps(self.status, sort_keys=True))
        return self.status

    # -- push ------------------------------------------------------------------------------------

    def push(self) -> int:
        """Send every pending event, batch by batch; returns how many HQ answered. Raises SyncError.

        Batch N+1 is posted only after HQ answered batch N (so HQ receives events in ``seq`` order). While N+1
        is in flight, a helper thread (the only user of the connection meanwhile) marks N's answers and then
        reads N+2: the local fsync and the next read overlap HQ's work instead of adding to it. Each read is
        one short statement, finished before its own batch is posted; no read stays open while the daemon
        waits for an answer.
        """
        sent = 0
        self._pending = outbox.stats(self.conn)["pending"]
        self._last_status = time.monotonic()
        batch = self._read(0)
        answer = self._post(batch) if batch else None
        nxt = self._read(batch[-1][0]) if batch else []
        while batch and not self.stop.is_set():
            done, next_answer, after = self._post_while_marking(batch, answer, nxt)
            sent += done
            if not nxt:
                break
            batch, answer, nxt = nxt, next_answer, after
        return sent

    def _post_while_marking(self, batch, answer, nxt) -> tuple[int, dict[str, Any] | None, list]:
        """Post ``nxt`` while the helper marks ``batch`` with ``answer`` and then reads the batch after ``nxt``:
        (events marked, HQ's answer for ``nxt``, the read-ahead). The helper starts once ``nxt``'s request is
        signed, so its Python work does not compete with the signing for the GIL."""
        work: list[Future] = []

        def start() -> None:
            if not work:
                work.append(self._pool().submit(self._apply_then_read, batch, answer, nxt))

        try:
            next_answer = self._post(nxt, on_signed=start) if nxt else None
        finally:
            start()
            done, after = work[0].result()  # a failed mark (or an incomplete answer) raises here
        return done, next_answer, after

    def _apply_then_read(self, batch, answer, nxt) -> tuple[int, list[tuple[int, str, str]]]:
        """Mark ``batch``'s answers, then read the batch after ``nxt`` (empty when ``nxt`` is the last)."""
        done = self._apply(batch, answer)
        return done, (self._read(nxt[-1][0]) if nxt and not self.stop.is_set() else [])

    def _pool(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="lapas-sync-mark")
        return self._executor

    def _read(self, after_seq: int) -> list[tuple[int, str, str]]:
        limit = self.batch_size
        while True:
            batch = outbox.pending_batch_json(self.conn, limit, after_seq)  # a short read; nothing stays open
            self.faults.hit("after_read")
            if not batch or len(batch) == 1:
                return batch
            chars = sum(len(b[2]) + 1 for b in batch) + 256
            if chars * 4 <= protocol.MAX_BODY_BYTES or len(
                    self.client.encode_json_events([b[2] for b in batch], self._pending)) <= protocol.MAX_BODY_BYTES:
                return batch
            limit = max(1, len(batch) // 2)

    def _post(self, batch: list[tuple[int, str, str]], on_signed: Callable[[], None] | None = None) -> dict[str, Any]:
        body = self.client.encode_json_events([b[2] for b in batch], self._pending)
        if len(body) > protocol.MAX_BODY_BYTES:  # one event alone is too large: it can never be sent
            return {"results": [{"event_id": batch[0][1], "seq": batch[0][0], "status": "rejected",
                                 "code": "too_large", "message": f"event of {len(body)} bytes exceeds the limit"}]}
        return self.client.post_encoded(body, on_signed=on_signed)

    def _apply(self, batch: list[tuple[int, str, str]], answer: dict[str, Any]) -> int:
        self.faults.hit("after_post")
        wanted = {b[1] for b in batch}
        results = [r for r in answer["results"] if r["event_id"] in wanted]
        self._mark(results, batch)
        self._pending = max(0, self._pending - len(results))
        self.sent_total += len(results)
        if len(results) < len(batch):
            raise Unreachable(f"HQ answered {len(results)} of {len(batch)} events", "incomplete_answer")
        if time.monotonic() - self._last_status > 2:
            self.write_status()
            self._last_status = time.monotonic()
        return len(results)

    def _mark(self, results: list[dict[str, Any]], batch: list[tuple[int, str, str]]) -> None:
        mid = len(results) // 2
        hook = None
        if "during_mark" in self.faults.points:
            def hook(i: int) -> None:
                if i == mid:
                    self.faults.hit("during_mark")
        outbox.mark_results(self.conn, results, self._iso(), on_row=hook, batch=batch)

    # -- reference -------------------------------------------------------------------------------

    def pull_reference(self) -> int | None:
        """Fetch reference data (delta when possible) and apply it atomically; returns the version."""
        if self.apply_reference is None:
            log.debug("no reference loader in this build; skipping the pull")
            return None
        have = _int(self.store.get_meta("reference_version"))
        etag = self.store.get_meta("reference_etag")
        doc, new_etag = self.client.get_reference(have, etag if have else None)
        if doc is None:
            return have
        try:
            self.apply_reference(self.store, doc)
        except Exception as exc:  # a delta on top of another version, or a bad document
            if doc.get("kind") != "delta":
                raise ReferenceRefused(f"reference data refused: {exc}") from exc
            log.info("delta refused (%s); fetching a full snapshot", str(exc))
            doc, new_etag = self.client.get_reference(None, None)
            try:
                self.apply_reference(self.store, doc)
            except Exception as exc2:  # the device keeps its current data; pushing goes on
                raise ReferenceRefused(f"reference data refused: {exc2}") from exc2
        if new_etag:
            self.store.set_meta("reference_etag", new_etag)
        self.status["reference_error"] = None
        return doc.get("version")

    # -- the loop --------------------------------------------------------------------------------

    def cycle(self) -> bool:
        """One push + pull. Returns True on success; failures are recorded in the status."""
        self.status["last_attempt"] = self._iso()
        try:
            self.push()
            if not self.stop.is_set():
                try:
                    self.pull_reference()
                except ReferenceRefused as exc:  # HQ is reachable and took our events: not a sync failure
                    log.error("%s", str(exc))
                    self.status["reference_error"] = {"at": self._iso(), "code": exc.code,
                                                      "message": str(exc)[:300]}
        except SyncError as exc:
            log.warning("sync failed: %s", str(exc))  # a string: a kept log record must not pin the traceback
            self.status["last_error"] = {"at": self._iso(), "code": exc.code, "message": str(exc)[:300]}
            return False
        except Exception as exc:  # a local fault (disk full, database locked...): report it, retry later
            log.exception("sync cycle failed locally")
            self.status["last_error"] = {"at": self._iso(), "code": "local_error",
                                         "message": f"{type(exc).__name__}: {exc}"[:300]}
            return False
        self.status["last_success"] = self._iso()
        self.status["last_error"] = None
        return True

    def run_once(self) -> bool:
        ok = self.cycle()
        if ok:
            self.backoff.success()
        self.write_status(next_attempt_at=None)
        return ok

    def run(self, max_cycles: int | None = None) -> None:
        """Cycle (each followed by its wait) until :attr:`stop` is set, or ``max_cycles`` for tests."""
        n = 0
        while not self.stop.is_set():
            ok = self.cycle()
            if ok:
                self.backoff.success()
                delay = self.cfg.sync.interval_s
            else:
                delay = self.backoff.failure()
            self.write_status(next_attempt_at=self._iso(self.clock.now() + delay))
            n += 1
            if self.clock.sleep(delay, self.stop):
                break
            if max_cycles is not None and n >= max_cycles:
                break


def _int(v: Any) -> int | None:
    try:
        return int(v) if v is not None else None
    except (TypeError, ValueError):
        return None
