"""Business-write latency and throughput at synchronous=FULL, beside a raw sqlite3 insert+commit.

Raw and business writes alternate in 20 blocks so load from other processes hits both alike.
A business write = one BEGIN IMMEDIATE transaction holding a business row, an outbox event and an audit
link. The baseline inserts the same payload into one table with plain sqlite3, WAL, synchronous=FULL.
Goal (issue 2): ratio <= 2 and >= 1,000 business writes/s.
"""

from __future__ import annotations

import json
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.report import exit_code, figure  # noqa: E402
from core.events import ProbeRecorded  # noqa: E402
from kiosk.store import Store  # noqa: E402

N = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
NOTE = "Kunjungan keluarga, 2 pengikut, sesi pagi " * 3


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def store_writer(path: Path):
    store = Store(path, "bench-kiosk")
    counter = iter(range(10**9))

    def write() -> float:
        i = next(counter)
        t0 = time.perf_counter()
        with store.transaction() as tx:
            entry = tx.emit(ProbeRecorded(f"p{i}", i, note=NOTE))
            tx.execute("INSERT INTO probes(probe_id, event_id, n, note) VALUES (?, ?, ?, ?)",
                       (f"p{i}", entry.event_id, i, NOTE))
        return time.perf_counter() - t0

    return write, store.close


def raw_writer(path: Path):
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE t (id TEXT PRIMARY KEY, n INTEGER, payload TEXT)")
    counter = iter(range(10**9))

    def write() -> float:
        i = next(counter)
        payload = json.dumps({"probe_id": f"p{i}", "n": i, "note": NOTE})
        t0 = time.perf_counter()
        conn.execute("BEGIN")
        conn.execute("INSERT INTO t VALUES (?, ?, ?)", (f"p{i}", i, payload))
        conn.execute("COMMIT")
        return time.perf_counter() - t0

    return write, conn.close


def summary(name, lat):
    total = sum(lat)
    return {"name": name, "median_ms": statistics.median(lat) * 1000, "p95_ms": pct(lat, 95) * 1000,
            "writes_per_s": len(lat) / total}


def main() -> int:
    rounds = 20  # raw and business writes alternate in blocks, so load from other processes hits both alike
    with tempfile.TemporaryDirectory(dir=Path(__file__).resolve().parent.parent) as d:
        raw_w, raw_close = raw_writer(Path(d) / "raw.db")
        biz_w, biz_close = store_writer(Path(d) / "store.db")
        raw_lat, biz_lat = [], []
        for _ in range(rounds):
            raw_lat += [raw_w() for _ in range(N // rounds)]
            biz_lat += [biz_w() for _ in range(N // rounds)]
        raw_close()
        biz_close()
        raw = summary("raw sqlite3 insert+commit", raw_lat)
        biz = summary("business write (rows+event+audit)", biz_lat)
    print(f"store bench: {N} writes each, WAL, synchronous=FULL, file on {Path(d).parent}")
    for r in (raw, biz):
        print(f"  {r['name']:38} median {r['median_ms']:.3f} ms  p95 {r['p95_ms']:.3f} ms  "
              f"{r['writes_per_s']:,.0f} writes/s")
    ratio_median = biz["median_ms"] / raw["median_ms"]
    ratio_p95 = biz["p95_ms"] / raw["p95_ms"]
    print(f"  ratio business/raw: median {ratio_median:.2f}x  p95 {ratio_p95:.2f}x  (goal <= 2)")
    print(f"  business writes/s: {biz['writes_per_s']:,.0f} ({biz['writes_per_s'] / 1000:.2f}x the 1,000/s goal)")
    figure("business write / raw sqlite write, p95", ratio_p95, "x", 2.0)
    figure("business writes per second", biz["writes_per_s"], "writes/s", 1000, higher_is_better=True)
    return exit_code()


if __name__ == "__main__":
    sys.exit(main())
