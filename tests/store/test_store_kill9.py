"""kill -9 a writer at random moments, 60 times: the store is never corrupt or half-written."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kiosk import config
from kiosk.store.audit import verify

WRITER = Path(__file__).with_name("crash_writer.py")


def check_consistent(db_path: Path, device_id: str, committed: int) -> int:
    conn = sqlite3.connect(db_path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        probes = conn.execute("SELECT count(*) FROM probes").fetchone()[0]
        # every committed business row has its event and its audit link (held in the event's row) ...
        orphans = conn.execute(
            "SELECT count(*) FROM probes p LEFT JOIN outbox o ON o.event_id = p.event_id "
            "WHERE o.seq IS NULL OR length(o.hash) != 64 OR length(o.prev_hash) != 64"
        ).fetchone()[0]
        assert orphans == 0
        # ... and no event exists without its business row (nothing half-written)
        lonely = conn.execute(
            "SELECT count(*) FROM outbox o WHERE o.type = 'probe.recorded' "
            "AND NOT EXISTS (SELECT 1 FROM probes p WHERE p.event_id = o.event_id)"
        ).fetchone()[0]
        assert lonely == 0
        seqs = [r[0] for r in conn.execute("SELECT seq FROM outbox ORDER BY seq")]
        assert seqs == list(range(1, len(seqs) + 1)), "seq has gaps"
        # every write the child saw committed survived the kill (synchronous=FULL)
        if committed:
            assert conn.execute("SELECT count(*) FROM probes WHERE n = ?", (committed,)).fetchone()[0] == 1
        conn.row_factory = sqlite3.Row
        res = verify(conn, device_id)
        assert res.ok, res.reason
        return probes
    finally:
        conn.close()


@pytest.mark.slow
def test_sigkill_at_random_moments(device_dir, run_lapas):
    cfg = config.load(device_dir)
    rng = random.Random(int(os.environ.get("CRASH_SEED", "20261129")))
    total_kills = 60
    last_count = 0
    for i in range(total_kills):
        child = subprocess.Popen([sys.executable, str(WRITER), str(device_dir)], stdout=subprocess.PIPE,
                                 text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        assert child.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.0, 0.08))
        os.kill(child.pid, signal.SIGKILL)
        out, _ = child.communicate()
        reported = [int(x) for x in out.split() if x.isdigit()]
        committed = reported[-1] if reported else 0
        count = check_consistent(cfg.db_path, cfg.device.device_id, committed)
        assert count >= last_count
        last_count = count
        if i % 20 == 19:
            assert run_lapas("audit", "verify", "--data-dir", str(device_dir)).returncode == 0
    assert last_count > total_kills  # the writer really wrote between kills
    proc = run_lapas("audit", "verify", "--data-dir", str(device_dir))
    assert proc.returncode == 0 and "intact" in proc.stdout
