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
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core import identity, protocol
from core.errors import ConfigurationError, RejectedError
from core.ids import iso
from kiosk.config import Config
from kiosk.store import Store, outbox
from sync.backoff import Backoff, Clock
from sync.client import BatchOutOfOrder, HQClient, SyncError, Unreachable

log = logging.getLogger("lapas.sync")
LOCK_NAME = "sync.lock"
STATUS_KEY = "sync_status"


class ReferenceRefused(SyncError, RejectedError):
    """HQ's reference document did not pass the device's validation; the old data stays in force."""

    code = "reference_invalid"
    retryable = False


class AlreadyRunning(ConfigurationError, RuntimeError):
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


ReferenceApplier = Callable[[Store, dict], Any]
"""Validates and applies one reference document to the device's store (``kiosk.domain.reference.apply_reference``)."""


class Daemon:
    """Pushes one device's outbox and pulls its reference data. Not thread-safe; one per database."""

    def __init__(self, cfg: Config, *, clock: Clock | None = None, client: HQClient | None = None,
                 batch_size: int | None = None, faults: Faults | None = None,
                 rng: Callable[[], float] | None = None, apply_reference: ReferenceApplier | None = None):
        """``apply_reference`` is how pulled reference data reaches the device's tables; without it (a push-only
        daemon, as some tests run) the pull is skipped."""
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
        self.apply_reference = apply_reference
        self.last_failure = ""  # "network", "refused" or "local": what the last failed cycle ran into
        self._last_said: dict[str, str] = {}
        self.status: dict[str, Any] = self._load_status()
        self.sent_total = 0
        self._pending = 0
        self._unposted = 0
        self._last_status = 0.0
        self.in_flight = max(1, cfg.sync.in_flight)
        self._executor: ThreadPoolExecutor | None = None
        self._clients: list[HQClient] = [self.client]

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True)
        for c in self._clients[1:]:
            c.close()
        self.client.close()
        self.store.close()

    # -- status ----------------------------------------------------------------------------------

    def _load_status(self) -> dict[str, Any]:
        try:
            raw = self.store.get_meta(STATUS_KEY)
        except sqlite3.Error as exc:  # busy at start: begin with an empty status rather than not at all
            log.warning("%s", local_trouble(exc))
            raw = None
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
        """Refresh the status from the outbox and save it in ``meta``. A busy database keeps the status in memory
        for this cycle (logged) instead of failing the daemon: the next cycle saves it."""
        self.status.update(failures=self.backoff.failures, **changes)
        try:
            st = outbox.stats(self.conn)
            self.status.update(pending=st["pending"], oldest_pending_at=st["oldest_pending_at"],
                               dead_letters=st["rejected"],
                               reference_version=_int(self.store.get_meta("reference_version")))
            self.store.set_meta(STATUS_KEY, json.dumps(self.status, sort_keys=True))
        except sqlite3.Error as exc:
            self._say("status", local_trouble(exc) + "; the sync status is saved next cycle")
        return self.status

    def _say(self, kind: str, message: str) -> None:
        """Log ``message`` once while the same trouble lasts (a week of outage is not a week of identical lines)."""
        if self._last_said.get(kind) != message:
            log.warning("%s", message)
            self._last_said[kind] = message

    # -- push ------------------------------------------------------------------------------------

    def push(self) -> int:
        """Send every pending event, batch by batch; returns how many HQ answered. Raises SyncError.

        Up to ``sync.in_flight`` batches are on the wire at once, each on its own HTTP connection. A batch sent
        while the one before it is unanswered names that batch's last ``seq`` as ``after_seq``, and HQ stores
        it only after that batch (see ``hq/ordering.py``), so HQ still receives events in ``seq`` order. While
        batches are in flight, this thread -- the connection's only user -- marks the oldest answer and reads
        the next batch: the local fsync and the next read overlap HQ's work instead of adding to it. Each read
        is one short statement; no read stays open while the daemon waits for an answer. A batch HQ refuses as
        out of order (the one before it never arrived) is sent again on its own, in order.
        """
        sent = 0
        self._pending = outbox.stats(self.conn)["pending"]
        self._unposted = self._pending
        self._last_status = time.monotonic()
        window = self.in_flight
        inflight: deque[tuple[list, Future]] = deque()
        batch = self._read(0)
        posted = 0

        def fill() -> list:
            nonlocal posted
            nxt = batch
            while nxt and len(inflight) < window and not self.stop.is_set():
                after = inflight[-1][0][-1][0] if inflight else None
                # answers come back in order, so post k's client (k mod window) is free again by post k + window
                inflight.append((nxt, self._post_async(nxt, after, posted % window)))
                posted += 1
                nxt = self._read(nxt[-1][0])
            return nxt

        try:
            while True:
                batch = fill()
                if not inflight:
                    break
                done, fut = inflight.popleft()
                try:
                    answer = _answer(fut)
                except BatchOutOfOrder:  # what it followed never arrived: drain the rest, resend in order, alone
                    log.info("batch from seq %d refused as out of order; resending it alone", done[0][0])
                    self._settle(inflight)
                    inflight.clear()
                    batch, window = done, 1
                    continue
                finally:
                    fut = None  # see _answer
                batch = fill()  # keep HQ busy while the answer is marked here
                sent += self._apply(done, answer)
        finally:
            self._settle(inflight)  # a failure: wait for the requests still out (their answers are dropped)
            inflight.clear()
        return sent

    @staticmethod
    def _settle(inflight) -> None:
        """Wait for abandoned requests; their batches stay pending and are sent again. (``exception()``
        waits without raising, so no traceback ties this frame to the stored exception.)"""
        for _b, fut in inflight:
            fut.exception()

    def _post_async(self, batch: list[tuple[int, str, str]], after_seq: int | None, slot: int) -> Future:
        # ``pending`` is what will still wait once this batch is stored, so HQ sees 0 after the last one
        self._unposted = max(0, self._unposted - len(batch))
        body = self.client.encode_json_events([b[2] for b in batch], self._unposted, after_seq=after_seq)
        if len(body) > protocol.MAX_BODY_BYTES:  # one event alone is too large: it can never be sent
            fut: Future = Future()
            fut.set_result({"results": [{"event_id": batch[0][1], "seq": batch[0][0], "status": "rejected",
                                         "code": "too_large",
                                         "message": f"event of {len(body)} bytes exceeds the limit"}]})
            return fut
        return self._pool().submit(self._client(slot).post_encoded, body)

    def _client(self, slot: int) -> HQClient:
        """One HTTP client per in-flight slot (a keep-alive connection each; requests sessions are not shared
        between threads)."""
        while len(self._clients) <= slot:
            self._clients.append(self.client.sibling())
        return self._clients[slot]

    def _pool(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(self.in_flight, thread_name_prefix="lapas-sync-post")
        return self._executor

    def _read(self, after_seq: int) -> list[tuple[int, str, str]]:
        limit = self.batch_size
        while True:
            batch = outbox.pending_batch_json(self.conn, limit, after_seq)  # a short read; nothing stays open
            self.faults.hit("after_read")
            if not batch or len(batch) == 1:
                return batch
            chars = sum(len(b[2]) + 1 for b in batch) + 256
            if chars * 4 <= protocol.MAX_BODY_BYTES or len(self.client.encode_json_events(  # room for any after_seq
                    [b[2] for b in batch], self._pending, after_seq=2**62)) <= protocol.MAX_BODY_BYTES:
                return batch
            limit = max(1, len(batch) // 2)

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
        except Unreachable as exc:
            self.last_failure = "network"
            self._say("cycle", f"HQ not reachable (network): {exc}; retrying")  # a string: no pinned traceback
            self.status["last_error"] = {"at": self._iso(), "code": exc.code, "message": str(exc)[:300]}
            return False
        except SyncError as exc:
            self.last_failure = "refused"
            self._say("cycle", f"HQ refused the sync ({exc.code}): {exc}; retrying")
            self.status["last_error"] = {"at": self._iso(), "code": exc.code, "message": str(exc)[:300]}
            return False
        except sqlite3.Error as exc:  # the device's own database: locked by a writer, disk full, ...
            self.last_failure = "local"
            self._say("cycle", local_trouble(exc) + "; retrying")
            self.status["last_error"] = {"at": self._iso(), "code": "local_database",
                                         "message": f"{type(exc).__name__}: {exc}"[:300]}
            return False
        except Exception as exc:  # anything else local: report it with its traceback once, retry later
            self.last_failure = "local"
            if self._last_said.get("cycle") != repr(exc):
                log.exception("sync cycle failed on this device")
                self._last_said["cycle"] = repr(exc)
            self.status["last_error"] = {"at": self._iso(), "code": "local_error",
                                         "message": f"{type(exc).__name__}: {exc}"[:300]}
            return False
        if self._last_said.pop("cycle", None):
            log.info("sync works again")
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
        """Cycle (each followed by its wait) until :attr:`stop` is set, or ``max_cycles`` for tests.

        Nothing raised inside the loop ends it: every failure is logged once and retried after the backoff.
        While waiting after a network failure the daemon asks HQ's health every ``sync.probe_s`` seconds and
        tries again as soon as HQ answers."""
        n = 0
        while not self.stop.is_set():
            try:
                ok = self.cycle()
                if ok:
                    self.backoff.success()
                    delay = self.cfg.sync.interval_s
                else:
                    delay = self.backoff.failure()
                self.write_status(next_attempt_at=self._iso(self.clock.now() + delay))
            except Exception:  # a last line of defence: the loop itself never dies
                log.exception("sync loop error; retrying")
                delay = self.backoff.failure()
                ok = False
            n += 1
            if self._wait(delay, probe=not ok and self.last_failure == "network"):
                break
            if max_cycles is not None and n >= max_cycles:
                break

    def _wait(self, delay: float, probe: bool) -> bool:
        """Sleep ``delay`` seconds (True when stopped). With ``probe``, wake every ``sync.probe_s`` seconds to ask
        HQ's health (cheap, unsigned) and end the wait early when HQ answers."""
        if not probe:
            return self.clock.sleep(delay, self.stop)
        end = self.clock.now() + delay
        while True:
            left = end - self.clock.now()
            if left <= 0:
                return False
            if self.clock.sleep(min(left, self.cfg.sync.probe_s), self.stop):
                return True
            if end - self.clock.now() <= 0:
                return False
            try:
                self.client.health()
            except SyncError:
                continue
            except Exception:  # noqa: BLE001 (a probe must never end the daemon)
                continue
            log.info("HQ answers again; syncing now instead of in %.0f s", end - self.clock.now())
            return False


def local_trouble(exc: BaseException) -> str:
    """What a site technician reads when the device's own database fails."""
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return "local database busy (another program is writing to kiosk.db)"
    if "disk" in text or "full" in text:
        return f"local database cannot write (disk full?): {exc}"
    return f"local database error: {type(exc).__name__}: {exc}"


def _answer(fut: Future) -> dict[str, Any]:
    """The future's answer, or its exception raised without a reference cycle (the exception's traceback holds
    the caller's frame; were the frame to hold the future, and the future the exception, every failed cycle
    of a long outage would keep a batch alive until a full garbage collection)."""
    exc = fut.exception()
    if exc is None:
        return fut.result()
    try:
        raise exc
    finally:
        exc = fut = None


def _int(v: Any) -> int | None:
    try:
        return int(v) if v is not None else None
    except (TypeError, ValueError):
        return None
