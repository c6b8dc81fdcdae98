"""The group committer behind HQ's event ingest, on a real SQLite file and on PostgreSQL: jobs queued together
commit together; a job that raises is rolled back alone and its caller gets the error, while the others in its
group commit; a caller gets its result only after the commit."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import insert, select

from hq.schema import facilities
from tests.conftest import fresh_hq_db


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request, tmp_path):
    d = fresh_hq_db(request.param, tmp_path, "groupcommit")
    yield d
    d.drop_pg_schema()
    d.dispose()


class Refused(Exception):
    pass


def add(fid: str, fail: bool = False):
    def job(conn):
        conn.execute(insert(facilities).values(id=fid, name=f"Lapas {fid}", created_at="2026-11-29T00:00:00Z"))
        if fail:
            raise Refused(fid)
        return fid
    return job


def stored(db) -> set[str]:
    with db.read() as conn:
        return {r[0] for r in conn.execute(select(facilities.c.id).where(
            facilities.c.id.like("G-%")))}


def run_together(db, jobs):
    """Hold the committer(s) with slow jobs so that ``jobs`` queue up and are taken as groups; return each
    job's outcome (result or exception) in order."""
    gate = threading.Event()
    holders = []
    for _ in db._group().threads:  # one slow job per writer thread, each started before the next is queued
        started = threading.Event()

        def hold(conn, started=started):
            started.set()
            return gate.wait(10)

        holders.append(threading.Thread(target=db.run_write, args=(hold,)))
        holders[-1].start()
        assert started.wait(10)
    outcomes = [None] * len(jobs)

    def call(i):
        try:
            outcomes[i] = db.run_write(jobs[i])
        except Exception as exc:  # noqa: BLE001 - the outcome under test
            outcomes[i] = exc

    callers = [threading.Thread(target=call, args=(i,)) for i in range(len(jobs))]
    for t in callers:
        t.start()
    deadline = time.monotonic() + 10
    while db._group().jobs.qsize() < len(jobs) and time.monotonic() < deadline:  # all queued behind the holders
        time.sleep(0.01)
    assert db._group().jobs.qsize() == len(jobs)
    gate.set()
    for t in holders + callers:
        t.join(20)
    return outcomes


def test_a_failing_job_is_rolled_back_alone(db):
    jobs = [add(f"G-{i:02d}", fail=(i in (3, 17))) for i in range(40)]
    outcomes = run_together(db, jobs)
    assert isinstance(outcomes[3], Refused) and isinstance(outcomes[17], Refused)
    assert [o for i, o in enumerate(outcomes) if i not in (3, 17)] == [f"G-{i:02d}" for i in range(40) if i not in (3, 17)]
    assert stored(db) == {f"G-{i:02d}" for i in range(40)} - {"G-03", "G-17"}


def test_a_constraint_violation_fails_only_its_job(db):
    db.run_write(add("G-XX"))
    outcomes = run_together(db, [add("G-A1"), add("G-XX"), add("G-A2")])  # G-XX exists: unique violation
    assert outcomes[0] == "G-A1" and outcomes[2] == "G-A2"
    assert "IntegrityError" in type(outcomes[1]).__name__
    assert stored(db) == {"G-XX", "G-A1", "G-A2"}


def test_a_lone_failing_job_stores_nothing(db):
    with pytest.raises(Refused):
        db.run_write(add("G-ZZ", fail=True))
    assert stored(db) == set()
