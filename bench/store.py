"""Business-write latency and throughput at synchronous=FULL, beside a raw sqlite3 insert+commit.

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

from kiosk.events import ProbeRecorded  # noqa: E402
from kiosk.store import Store  # noqa: E402

N = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
NOTE = "Kunjungan keluarga, 2 pengikut, sesi pagi " * 3


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def bench_store(path: Path) -> list[float]:
    store = Store(path, "bench-kiosk")
    lat = []
    for i in range(N):
        t0 = time.perf_counter()
        with store.transaction() as tx:
            entry = tx.emit(ProbeRecorded(f"p{i}", i, note=NOTE))
            tx.execute("INSERT INTO probes(probe_id, event_id, n, note) VALUES (?, ?, ?, ?)",
                       (f"p{i}", entry.event_id, i, NOTE))
        lat.append(time.perf_counter() - t0)
    store.close()
    return lat


def bench_raw(path: Path) -> list[float]:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE t (id TEXT PRIMARY KEY, n INTEGER, payload TEXT)")
    lat = []
    for i in range(N):
        payload = json.dumps({"probe_id": f"p{i}", "n": i, "note": NOTE})
        t0 = time.perf_counter()
        conn.execute("BEGIN")
        conn.execute("INSERT INTO t VALUES (?, ?, ?)", (f"p{i}", i, payload))
        conn.execute("COMMIT")
        lat.append(time.perf_counter() - t0)
    conn.close()
    return lat


def summary(name, lat):
    total = sum(lat)
    return {"name": name, "median_ms": statistics.median(lat) * 1000, "p95_ms": pct(lat, 95) * 1000,
            "writes_per_s": len(lat) / total}


def main() -> None:
    with tempfile.TemporaryDirectory(dir=Path(__file__).resolve().parent.parent) as d:
        raw = summary("raw sqlite3 insert+commit", bench_raw(Path(d) / "raw.db"))
        biz = summary("business write (rows+event+audit)", bench_store(Path(d) / "store.db"))
    print(f"store bench: {N} writes each, WAL, synchronous=FULL, file on {Path(d).parent}")
    for r in (raw, biz):
        print(f"  {r['name']:38} median {r['median_ms']:.3f} ms  p95 {r['p95_ms']:.3f} ms  "
              f"{r['writes_per_s']:,.0f} writes/s")
    ratio_median = biz["median_ms"] / raw["median_ms"]
    ratio_p95 = biz["p95_ms"] / raw["p95_ms"]
    print(f"  ratio business/raw: median {ratio_median:.2f}x  p95 {ratio_p95:.2f}x  (goal <= 2)")
    print(f"  business writes/s: {biz['writes_per_s']:,.0f} ({biz['writes_per_s'] / 1000:.2f}x the 1,000/s goal)")


if __name__ == "__main__":
    main()
