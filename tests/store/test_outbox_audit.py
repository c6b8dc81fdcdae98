"""Outbox and audit chain: one transaction per business write, gap-free seq, tampering caught."""

from __future__ import annotations

import shutil
import sqlite3

import pytest

from core.events import ProbeRecorded, canonical_json
from kiosk import config
from kiosk.store import Store
from kiosk.store.audit import verify


def write_probes(store: Store, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        with store.transaction() as tx:
            entry = tx.emit(ProbeRecorded(f"p{i}", i, note=f"catatan {i}"))
            tx.insert("probes", {"probe_id": f"p{i}", "event_id": entry.event_id, "n": i})


def test_business_write_is_atomic(device):
    cfg, store = device
    base = store.scalar("SELECT max(seq) FROM outbox")
    with pytest.raises(RuntimeError):
        with store.transaction() as tx:
            entry = tx.emit(ProbeRecorded("boom", 1))
            tx.insert("probes", {"probe_id": "boom", "event_id": entry.event_id, "n": 1})
            raise RuntimeError("power cut")
    assert store.scalar("SELECT count(*) FROM probes") == 0
    assert store.scalar("SELECT max(seq) FROM outbox") == base
    write_probes(store, 3)
    seqs = [r[0] for r in store.query("SELECT seq FROM outbox ORDER BY seq")]
    assert seqs == list(range(1, len(seqs) + 1))  # the rolled-back write left no gap
    assert verify(store.conn, cfg.device.device_id).ok


def test_event_ids_are_time_ordered_uuids(device):
    _, store = device
    write_probes(store, 50)
    ids = [r[0] for r in store.query("SELECT event_id FROM outbox ORDER BY seq")]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert all(i[14] == "7" for i in ids)  # UUID version 7


def test_floats_never_reach_the_outbox(device):
    _, store = device
    with pytest.raises(TypeError, match="float"):
        with store.transaction() as tx:
            tx.emit(ProbeRecorded("f", 1.5))  # type: ignore[arg-type]
    assert store.scalar("SELECT count(*) FROM outbox WHERE type = 'probe.recorded'") == 0


def test_canonical_json_is_stable():
    assert canonical_json({"b": 1, "a": [2, {"d": "é", "c": None}]}) == '{"a":[2,{"c":null,"d":"é"}],"b":1}'


# --- tampering: each edit of a copy of the database is caught and named ---------------------


def tamper_edit_payload(conn):
    conn.execute("UPDATE outbox SET payload = replace(payload, 'catatan 5', 'catatan 6') WHERE seq = 7")
    return 7


def tamper_edit_type(conn):
    conn.execute("UPDATE outbox SET type = 'visit.registered' WHERE seq = 4")
    return 4


def tamper_edit_time(conn):
    conn.execute("UPDATE outbox SET created_at = '2020-01-01T00:00:00.000Z' WHERE seq = 9")
    return 9


def tamper_delete_middle(conn):
    conn.execute("DELETE FROM outbox WHERE seq = 5")
    return 5


def tamper_delete_and_renumber(conn):
    # delete one event and shift the later ones down so seq has no gap: the chain still breaks
    conn.execute("DELETE FROM outbox WHERE seq = 6")
    conn.execute("UPDATE outbox SET seq = seq - 1 WHERE seq > 6")
    conn.execute("UPDATE counters SET value = value - 1 WHERE name = 'outbox_seq'")
    return 6


def tamper_edit_link_hash(conn):
    # change the first hex digit to another one (a fixed 'f' was a no-op whenever the hash began with 'f')
    conn.execute("UPDATE outbox SET hash = (CASE substr(hash, 1, 1) WHEN 'f' THEN '0' ELSE 'f' END) || substr(hash, 2) "
                 "WHERE seq = 2")
    return 2


def tamper_delete_last(conn):
    last = conn.execute("SELECT max(seq) FROM outbox").fetchone()[0]
    conn.execute("DELETE FROM outbox WHERE seq = ?", (last,))
    return last


def tamper_swap_payloads(conn):
    a = conn.execute("SELECT payload FROM outbox WHERE seq = 3").fetchone()[0]
    b = conn.execute("SELECT payload FROM outbox WHERE seq = 8").fetchone()[0]
    conn.execute("UPDATE outbox SET payload = ? WHERE seq = 3", (b,))
    conn.execute("UPDATE outbox SET payload = ? WHERE seq = 8", (a,))
    return 3


def tamper_swap_rows(conn):
    # reorder: swap two whole events (rows with their links)
    conn.execute("UPDATE outbox SET seq = -1 WHERE seq = 4")
    conn.execute("UPDATE outbox SET seq = 4 WHERE seq = 5")
    conn.execute("UPDATE outbox SET seq = 5 WHERE seq = -1")
    return 4


def tamper_rehash_one_link(conn):
    # an attacker edits a payload and recomputes that link's hash: the next link no longer follows
    from kiosk.store.outbox import link_hash

    conn.execute("UPDATE outbox SET payload = replace(payload, 'catatan 3', 'catatan 9') WHERE seq = 5")
    row = conn.execute("SELECT event_id, type, payload, created_at, prev_hash FROM outbox WHERE seq = 5").fetchone()
    device = conn.execute("SELECT value FROM meta WHERE key = 'device_id'").fetchone()[0]
    conn.execute("UPDATE outbox SET hash = ? WHERE seq = 5",
                 (link_hash(row[4], device, 5, row[0], row[1], row[2], row[3]),))
    return 6


@pytest.mark.parametrize("tamper", [
    tamper_edit_payload, tamper_edit_type, tamper_edit_time, tamper_delete_middle, tamper_delete_and_renumber,
    tamper_edit_link_hash,
    tamper_delete_last, tamper_swap_payloads, tamper_swap_rows, tamper_rehash_one_link,
])
def test_audit_verify_catches_tampering(device_dir, tmp_path, run_lapas, tamper):
    cfg = config.load(device_dir)
    with Store(cfg.db_path, cfg.device.device_id) as store:
        write_probes(store, 10)
    assert run_lapas("audit", "verify", "--data-dir", str(device_dir)).returncode == 0

    copy = tmp_path / "copy"
    shutil.copytree(device_dir, copy)
    conn = sqlite3.connect(copy / "kiosk.db")
    broken = tamper(conn)
    conn.commit()
    conn.close()

    proc = run_lapas("audit", "verify", "--data-dir", str(copy))
    assert proc.returncode == 1, proc.stdout
    assert f"BROKEN at seq {broken}" in proc.stdout
    # the original is untouched and still verifies
    assert run_lapas("audit", "verify", "--data-dir", str(device_dir)).returncode == 0


def test_pending_batch_and_marks(device):
    from kiosk.store import outbox

    cfg, store = device
    write_probes(store, 9)  # seq 2..10 after device.initialised (seq 1)
    batch = outbox.pending_batch(store.conn, 4)
    assert [e["seq"] for e in batch] == [1, 2, 3, 4]
    outbox.mark_results(store.conn, [
        {"event_id": batch[0]["event_id"], "status": "accepted"},
        {"event_id": batch[1]["event_id"], "status": "duplicate"},
        {"event_id": batch[2]["event_id"], "status": "rejected", "code": "invalid", "message": "bad payload"},
    ])
    assert [e["seq"] for e in outbox.pending_batch(store.conn, 3)] == [4, 5, 6]
    outbox.note_failure(store.conn, [batch[3]["event_id"]], "timeout")
    st = outbox.stats(store.conn)
    assert (st["pending"], st["sent"], st["rejected"]) == (7, 2, 1)
    assert st["oldest_pending_at"] == batch[3]["created_at"]
    dead = outbox.dead_letters(store.conn)
    assert [(d["seq"], d["code"], d["message"]) for d in dead] == [(3, "invalid", "bad payload")]
    # an answer for an already-sent event changes nothing (at-least-once delivery)
    outbox.mark_results(store.conn, [{"event_id": batch[2]["event_id"], "status": "accepted"}])
    assert outbox.stats(store.conn)["rejected"] == 1
    rest = outbox.pending_batch(store.conn, 100)
    outbox.mark_results(store.conn, [{"event_id": e["event_id"], "status": "accepted"} for e in rest])
    assert outbox.pending_batch(store.conn, 100) == []
    write_probes(store, 1, start=100)
    assert [e["seq"] for e in outbox.pending_batch(store.conn, 100)] == [11]
    assert verify(store.conn, cfg.device.device_id).ok


def test_mark_whole_batch_is_exact(device):
    """The daemon's one-UPDATE mark covers exactly the answered batch; anything less takes the per-event path."""
    from kiosk.store import outbox

    _, store = device
    write_probes(store, 9)  # seq 1..10 pending
    batch = outbox.pending_batch_json(store.conn, 4)  # seq 1..4
    ok = [{"event_id": b[1], "seq": b[0], "status": "accepted"} for b in batch]
    # an answer missing one event (another counted twice): only the answered ones are marked
    outbox.mark_results(store.conn, ok[:3] + ok[:1], batch=batch)
    assert [e["seq"] for e in outbox.pending_batch(store.conn, 3)] == [4, 5, 6]
    # a rejected answer in the batch: per event, the dead letter keeps its code
    batch = outbox.pending_batch_json(store.conn, 3)  # seq 4..6
    answers = [{"event_id": b[1], "seq": b[0], "status": "accepted"} for b in batch]
    answers[1] = {**answers[1], "status": "rejected", "code": "invalid", "message": "bad"}
    outbox.mark_results(store.conn, answers, batch=batch)
    assert [(d["seq"], d["code"]) for d in outbox.dead_letters(store.conn)] == [(5, "invalid")]
    # all accepted: one ranged UPDATE marks exactly the batch, later events stay pending
    batch = outbox.pending_batch_json(store.conn, 2)  # seq 7..8
    outbox.mark_results(store.conn, [{"event_id": b[1], "status": "duplicate"} for b in batch], batch=batch)
    st = outbox.stats(store.conn)
    assert (st["pending"], st["sent"], st["rejected"]) == (2, 7, 1)
    assert [e["seq"] for e in outbox.pending_batch(store.conn, 10)] == [9, 10]
