"""The same batch pushed twice at the same moment (a timeout-then-resend racing the original): one copy
stores each event, the other answers duplicate; nothing is stored twice, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading

from core import identity
from kiosk.store import Store, outbox
from sync.client import HQClient
from tests.support.hqproc import enqueue, hq_events, make_device


def test_racing_copies_of_one_batch(hq_server, tmp_path):
    db, url = hq_server.db, hq_server.url
    cfg = make_device(tmp_path / "d", db, url)
    enqueue(cfg, 300, kind="visit")
    with Store(cfg.db_path, cfg.device.device_id) as store:
        batch = outbox.pending_batch(store.conn, 500)
    key = identity.load(cfg.keys_dir)
    answers, errors = [], []
    barrier = threading.Barrier(4)

    def push():
        c = HQClient(url, cfg.device.device_id, key, timeout=30)
        barrier.wait()
        try:
            answers.append(c.post_events(batch))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=push) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(answers) == 4
    per_event = {}
    for a in answers:
        for r in a["results"]:
            per_event.setdefault(r["event_id"], []).append(r["status"])
    assert len(per_event) == 301
    assert all(sorted(s) == ["accepted", "duplicate", "duplicate", "duplicate"] for s in per_event.values())
    stored = hq_events(db, cfg.device.device_id)
    assert len(stored) == 301 == len({e["event_id"] for e in stored})
