"""Two kiosk processes racing for the last place of a session, many times over: exactly one wins each time.
Queue numbers survive a restart (a new process continues where the last one stopped)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from core.ids import iso
from kiosk.store import Store
from tests.domain.helpers import AT, MON, make_device, make_nik, ref_doc, schedule

CHILD = Path(__file__).with_name("race_child.py")
ROUNDS = 30


class Kiosk:
    """A long-lived child process that registers visits when told to (see race_child.py)."""

    def __init__(self):
        self.proc = subprocess.Popen([sys.executable, str(CHILD)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True, bufsize=1)

    def send(self, **cmd) -> None:
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()

    def read(self) -> dict:
        line = self.proc.stdout.readline()
        assert line, "child process died"
        return json.loads(line)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.send(op="quit")
            self.proc.wait(timeout=30)


@pytest.fixture
def kiosks():
    pair = [Kiosk(), Kiosk()]
    yield pair
    for k in pair:
        k.close()


def test_two_processes_racing_for_the_last_place(tmp_path, kiosks):
    outcomes = []
    for n in range(ROUNDS):
        dev = make_device(tmp_path / f"round{n}", doc=ref_doc(schedule=schedule(walk=3, pre=0)))
        dev.register(1), dev.register(2, inmate="BI.0004/2024")  # two of the three places are taken
        dev.close()
        for i, k in enumerate(kiosks):  # each process opens the database and is ready to write
            k.send(op="prepare", data_dir=str(tmp_path / f"round{n}"), nik=make_nik(10 + i),
                   inmate=["BI.0007/2025", "BI.0008/2025"][i], day=MON.isoformat(), session="P", now=iso(AT))
        assert all(k.read()["ready"] for k in kiosks)
        for k in kiosks:  # the barrier opens: both write at once
            k.send(op="go")
        results = [k.read() for k in kiosks]
        winners = [r for r in results if r["ok"]]
        assert len(winners) == 1, results
        assert winners[0]["queue_no"] == "P-003"
        assert [r["code"] for r in results if not r["ok"]] == ["quota_full"]
        with Store(tmp_path / f"round{n}" / "kiosk.db", "kiosk-01") as store:
            assert store.scalar("SELECT count(*) FROM visits WHERE visit_date = ?", (MON.isoformat(),)) == 3
            assert store.scalar("SELECT count(*) FROM outbox WHERE type = 'visit.registered'") == 3
            assert store.scalar("SELECT last FROM queue_counters WHERE session = 'P'") == 3
        outcomes.append(results.index(winners[0]))
    assert len(outcomes) == ROUNDS


def test_queue_numbers_survive_a_restart(tmp_path, kiosks):
    dev = make_device(tmp_path / "dev")
    assert [dev.register(i, inmate=reg).queue_no for i, reg in
            enumerate(["BI.0001/2025", "BI.0004/2024", "BI.0007/2025"], start=1)] == ["P-001", "P-002", "P-003"]
    assert dev.register(9, inmate="BI.0008/2025", session="S").queue_no == "S-001"
    dev.close()
    # a new process (the kiosk restarted) continues the count
    k = kiosks[0]
    k.send(op="prepare", data_dir=str(tmp_path / "dev"), nik=make_nik(4), inmate="AII.0002/2026",
           day=MON.isoformat(), session="P", now=iso(AT))
    assert k.read()["ready"]
    k.send(op="go")
    result = k.read()
    assert (result["ok"], result["queue_no"]) == (True, "P-004")
    with Store(tmp_path / "dev" / "kiosk.db", "kiosk-01") as store:
        numbers = [r[0] for r in store.query("SELECT queue_no FROM visits WHERE session = 'P' ORDER BY created_at, "
                                             "queue_no")]
    assert numbers == ["P-001", "P-002", "P-003", "P-004"]
