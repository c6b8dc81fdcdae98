"""The local print log: every print job with its exact bytes, so any receipt can be printed again.

Jobs are local records (not outbox events). A job is written *before* its bytes go to the printer
and marked ``printed`` only after the printer took all of them and reported no fault; a failed job
stays ``failed`` with the reason, ready to be reprinted. A reprint is its own job pointing at the
original (``copy_of``) with its copy number (``copy_no`` 1, 2, ...).
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict, dataclass, is_dataclass
from typing import Any

from sqlite_utils.migrations import Migrations

from core.ids import now_iso, uuid7

migrations = Migrations("printlog")

STATES = ("pending", "printed", "failed")


@migrations()
def m001_print_jobs(db):
    db.execute(
        """
        CREATE TABLE print_jobs (
            job_id TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            ref TEXT NOT NULL DEFAULT '',
            state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'printed', 'failed')),
            copy_of TEXT REFERENCES print_jobs(job_id),
            copy_no INTEGER NOT NULL DEFAULT 0,
            payload BLOB NOT NULL,
            data TEXT NOT NULL DEFAULT '{}',
            attempts INTEGER NOT NULL DEFAULT 0,
            error_code TEXT,
            error TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            printed_at TEXT
        )
        """
    )
    db.execute("CREATE INDEX print_jobs_ref ON print_jobs(ref)")
    db.execute("CREATE INDEX print_jobs_original ON print_jobs(copy_of)")


@dataclass
class PrintJob:
    job_id: str
    kind: str
    ref: str
    state: str
    copy_of: str | None
    copy_no: int
    payload: bytes
    data: str
    attempts: int
    error_code: str | None
    error: str | None
    created_at: str
    updated_at: str
    printed_at: str | None

    @property
    def original_id(self) -> str:
        return self.copy_of or self.job_id

    def summary(self) -> dict[str, Any]:
        """Everything but the bytes (for ``lapas printer log`` and the UI)."""
        out = {k: v for k, v in asdict(self).items() if k not in ("payload", "data")}
        out["bytes"] = len(self.payload)
        return out


def data_json(data: object) -> str:
    """JSON of a layout's data for the log (dates and datetimes as ISO strings)."""
    obj = asdict(data) if is_dataclass(data) else data
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, default=str)


class PrintLog:
    """Read and write ``print_jobs`` through a :class:`kiosk.store.Store` (its lock serialises writes)."""

    def __init__(self, store):
        self.store = store

    def _row(self, row: sqlite3.Row | None) -> PrintJob | None:
        if row is None:
            return None
        d = dict(row)
        d["payload"] = bytes(d["payload"])
        return PrintJob(**d)

    def record(self, kind: str, ref: str, payload: bytes, data: str = "{}", copy_of: str | None = None,
               copy_no: int = 0) -> PrintJob:
        now = now_iso()
        job_id = uuid7()
        with self.store.transaction() as tx:
            tx.insert("print_jobs", {"job_id": job_id, "kind": kind, "ref": ref or "", "state": "pending",
                                     "copy_of": copy_of, "copy_no": copy_no, "payload": payload, "data": data,
                                     "created_at": now, "updated_at": now})
        return self.get(job_id)

    def mark_printed(self, job_id: str) -> None:
        now = now_iso()
        with self.store.transaction() as tx:
            tx.execute("UPDATE print_jobs SET state = 'printed', attempts = attempts + 1, error_code = NULL, "
                       "error = NULL, printed_at = ?, updated_at = ? WHERE job_id = ?", (now, now, job_id))

    def mark_failed(self, job_id: str, code: str, message: str) -> None:
        with self.store.transaction() as tx:
            tx.execute("UPDATE print_jobs SET state = 'failed', attempts = attempts + 1, error_code = ?, "
                       "error = ?, updated_at = ? WHERE job_id = ?", (code, message, now_iso(), job_id))

    def get(self, job_id: str) -> PrintJob | None:
        return self._row(self.store.one("SELECT * FROM print_jobs WHERE job_id = ?", (job_id,)))

    def last(self, kind: str | None = None, originals_only: bool = True) -> PrintJob | None:
        where, params = [], []
        if originals_only:
            where.append("copy_of IS NULL")
        if kind:
            where.append("kind = ?")
            params.append(kind)
        sql = "SELECT * FROM print_jobs" + (" WHERE " + " AND ".join(where) if where else "")
        return self._row(self.store.one(sql + " ORDER BY job_id DESC LIMIT 1", params))

    def by_ref(self, ref: str) -> list[PrintJob]:
        rows = self.store.query("SELECT * FROM print_jobs WHERE ref = ? ORDER BY job_id", (ref,))
        return [self._row(r) for r in rows]

    def recent(self, limit: int = 20, state: str | None = None) -> list[PrintJob]:
        sql, params = "SELECT * FROM print_jobs", []
        if state:
            sql += " WHERE state = ?"
            params.append(state)
        rows = self.store.query(sql + " ORDER BY job_id DESC LIMIT ?", (*params, limit))
        return [self._row(r) for r in rows]

    def unprinted(self) -> list[PrintJob]:
        """Originals whose print never completed and that no later copy made up for."""
        rows = self.store.query(
            "SELECT * FROM print_jobs o WHERE o.copy_of IS NULL AND o.state != 'printed' AND NOT EXISTS "
            "(SELECT 1 FROM print_jobs c WHERE c.copy_of = o.job_id AND c.state = 'printed') ORDER BY o.job_id")
        return [self._row(r) for r in rows]

    def next_copy_no(self, original_id: str) -> int:
        n = self.store.scalar("SELECT COALESCE(MAX(copy_no), 0) FROM print_jobs WHERE copy_of = ?", (original_id,))
        return int(n) + 1

    def counts(self) -> dict[str, int]:
        """Originals printed and copies printed (for the daily Z report)."""
        row = self.store.one("SELECT SUM(copy_of IS NULL AND state = 'printed'), "
                             "SUM(copy_of IS NOT NULL AND state = 'printed') FROM print_jobs")
        return {"prints": int(row[0] or 0), "reprints": int(row[1] or 0)}
