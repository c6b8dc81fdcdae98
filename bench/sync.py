"""Sync throughput and HQ acknowledgement latency, on loopback, against SQLite and PostgreSQL behind HQ.

1. Drain N queued events (default 50,000) from one device to HQ with the real `lapas sync --once` process
   (its wall time, start-up and the final reference pull included), alternated with the direct insert, 3 rounds:
   events/s, the daemon's peak RSS, and the ratio against inserting the same rows directly into
   the same database's events table (SQLAlchemy Core executemany, one commit per 500 rows, as HQ commits per
   batch; a single-transaction figure is printed too). RSS is sampled every 10 ms with psutil.
2. 200 simulated devices push one signed batch each at the same moment over 200 open keep-alive connections
   (a lean asyncio client, requests signed beforehand): p50/p95/max acknowledgement time -- the worst case.
3. The same 200 devices pushing 5 events every 2 s each with random phases (what running daemons with a short
   interval do): p50/p95 acknowledgement time.

Goals (issue 5): >= 5,000 events/s on both backends, >= 0.3x the direct insert, daemon RSS < 100 MB,
p95 <= 500 ms at 200 devices.
Usage: python bench/sync.py [N] [--no-pg] [--no-sqlite] [--pg-workers=K] [--rounds=R (drain/direct pairs, 3)]
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.report import exit_code, figure  # noqa: E402
from core import protocol  # noqa: E402
from core.ids import iso  # noqa: E402
from hq.db import open_db  # noqa: E402
from hq.schema import events  # noqa: E402
from kiosk.store import Store, outbox  # noqa: E402
from sync.client import HQClient, encode_batch  # noqa: E402
from tests.support.hqproc import PG_BASE, HQProcess, enqueue, make_device, pg_available, pg_url  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
args = [a for a in sys.argv[1:] if not a.startswith("--")]
N = int(args[0]) if args else 50_000
DEVICES = 200
PER_DEVICE = 20  # events in each simulated device's batch
BATCH = 500
WORKERS = int(next((a.split("=", 1)[1] for a in sys.argv if a.startswith("--pg-workers=")), "1"))
ROUNDS = int(next((a.split("=", 1)[1] for a in sys.argv if a.startswith("--rounds=")), "3"))
GOAL_RATE, GOAL_RATIO, GOAL_RSS_MB, GOAL_P95_MS = 5000, 0.3, 100, 500


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def drain(db_url: str, work: Path) -> dict:
    db = open_db(db_url)
    with HQProcess(db_url, log_path=work / "hq.log", workers=WORKERS if "://" in db_url else 1) as hq:
        cfg = make_device(work / "dev", db, hq.url, batch_size=BATCH)
        enqueue(cfg, N, kind="visit", per_tx=5000)
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "lapas", "sync", "--once", "--data-dir", str(cfg.data_dir)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, env=env)
        peak = 0
        ps = psutil.Process(proc.pid)
        while proc.poll() is None:  # sample the daemon's RSS (wait4's ru_maxrss would count the fork of
            try:                    # this big benchmark process before exec)
                peak = max(peak, ps.memory_info().rss)
            except psutil.Error:
                pass
            time.sleep(0.01)
        elapsed = time.perf_counter() - t0
        out = proc.stdout.read().decode()
        if proc.returncode != 0:
            raise SystemExit(f"sync failed: {out} {proc.stderr.read().decode()}")
        st = json.loads(out)
        with Store(cfg.db_path, cfg.device.device_id) as store:
            sent = outbox.stats(store.conn)["sent"]
        assert st["pending"] == 0 and sent == N + 1, (st, sent)
    db.dispose()
    return {"events": N + 1, "seconds": elapsed, "rate": (N + 1) / elapsed, "rss_mb": peak / 2**20}


async def _burst_raw(url: str, cfgs, keys, batches) -> tuple[list[float], list[str]]:
    """200 devices' signed pushes, sent at the same instant over 200 already-open keep-alive connections.

    The load generator is a lean asyncio HTTP/1.1 client whose requests are encoded and signed before the start,
    so the figure is HQ's answer time, not the time 200 Python threads wait for the GIL to run ``requests``
    (on 2 cores, that client alone needs ~0.5 s to issue 200 requests).
    """
    host, port = url.split("//", 1)[1].split(":")
    raw = []
    for cfg, key, batch in zip(cfgs, keys, batches, strict=True):
        body = encode_batch(cfg.device.device_id, iso(datetime.now(UTC)), batch, len(batch))
        headers = protocol.sign_headers(key, cfg.device.device_id, "POST", "/v1/events", body, int(time.time()))
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        raw.append((f"POST /v1/events HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(body)}\r\n{head}\r\n").encode() + body)
    conns = [await asyncio.open_connection(host, int(port)) for _ in raw]
    start = asyncio.Event()
    lat: list[float] = []
    errors: list[str] = []

    async def one(i: int) -> None:
        reader, writer = conns[i]
        await start.wait()
        t0 = time.perf_counter()
        writer.write(raw[i])
        await writer.drain()
        status = await reader.readline()
        length = 0
        while (line := await reader.readline()) not in (b"\r\n", b""):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        body = await reader.readexactly(length)
        lat.append((time.perf_counter() - t0) * 1000)
        answer = json.loads(body) if b" 200 " in status else {}
        if not answer.get("results") or not all(r["status"] == "accepted" for r in answer["results"]):
            errors.append(f"{status!r} {body[:200]!r}")
        writer.close()

    tasks = [asyncio.create_task(one(i)) for i in range(len(raw))]
    await asyncio.sleep(0.05)  # every task is parked at the start line
    start.set()
    await asyncio.gather(*tasks)
    return lat, errors


def direct_insert(db_url: str, work: Path) -> tuple[float, float]:
    """Rows as HQ stores them, inserted straight into a fresh events table: (per-batch-commit rate, one-tx rate)."""
    rates = []
    for per_commit in (BATCH, N):
        db = open_db(db_url if "://" in db_url else str(work / f"direct-{per_commit}.db"))
        payload = json.dumps({"visit_id": "v", "facility_id": "LPS-TEST", "visit_date": "2026-11-30",
                              "session": "P", "queue_no": "P-001", "kind": "walk_in", "inmate_id": "inm-0001",
                              "visitor_nik": "3524011203900003", "visitor_name": "Siti Aminah",
                              "visitor_phone": "081234567890", "relationship": "istri",
                              "followers": [{"name": "Budi", "age": 9}], "ticket": "T" * 120})
        tag = f"d{per_commit}-{time.time_ns()}"
        rows = [{"event_id": f"{tag}-{i}", "device_id": tag, "facility_id": "LPS-TEST", "seq": i + 1,
                 "type": "visit.registered", "payload": payload, "created_at": "2026-11-29T01:00:00.000Z",
                 "received_at": "2026-11-29T01:00:01.000Z", "skew_s": 0, "status": "accepted", "code": None,
                 "message": None} for i in range(N)]
        t0 = time.perf_counter()
        for i in range(0, N, per_commit):
            with db.write() as conn:
                conn.execute(events.insert(), rows[i:i + per_commit])
        rates.append(N / (time.perf_counter() - t0))
        db.dispose()
    return rates[0], rates[1]


def burst(db_url: str, work: Path, per_device: int = PER_DEVICE) -> dict:
    db = open_db(db_url)
    with HQProcess(db_url, log_path=work / "hq-burst.log", workers=WORKERS if "://" in db_url else 1) as hq:
        cfgs = [make_device(work / f"d{i}", db, hq.url, facility_id=f"LPS-B{i % 40:02d}") for i in range(DEVICES)]
        batches = []
        for cfg in cfgs:
            enqueue(cfg, per_device, kind="visit", per_tx=per_device)
            with Store(cfg.db_path, cfg.device.device_id) as store:
                batches.append(outbox.pending_batch(store.conn, 1000))
        from core import identity

        keys = [identity.load(c.keys_dir) for c in cfgs]
        lat, errors = asyncio.run(_burst_raw(hq.url, cfgs, keys, batches))
        wall = max(lat) / 1000 if lat else 0.0
    db.dispose()
    if errors:
        raise SystemExit(f"{len(errors)} pushes failed: {errors[:3]}")
    return {"p50": pct(lat, 50), "p95": pct(lat, 95), "max": max(lat), "wall": wall}


def sustained(db_url: str, work: Path, period: float = 2.0, rounds: int = 5, per_push: int = 5) -> dict:
    """200 devices each pushing ``per_push`` events every ``period`` seconds (random phase), like running
    daemons with a short interval: p50/p95 acknowledgement time over all pushes."""
    import random

    from core import identity

    db = open_db(db_url)
    with HQProcess(db_url, log_path=work / "hq-sustained.log", workers=WORKERS if "://" in db_url else 1) as hq:
        cfgs = [make_device(work / f"s{i}", db, hq.url, facility_id=f"LPS-S{i % 40:02d}") for i in range(DEVICES)]
        batches = []
        for cfg in cfgs:
            enqueue(cfg, per_push * rounds, kind="visit", per_tx=per_push * rounds)
            with Store(cfg.db_path, cfg.device.device_id) as store:
                evs = outbox.pending_batch(store.conn, 1000)
            batches.append([evs[i:i + per_push] for i in range(0, len(evs), per_push)])
        clients = [HQClient(hq.url, c.device.device_id, identity.load(c.keys_dir), timeout=30) for c in cfgs]
        for c in clients:
            c.health()
        lat: list[float] = []
        errors: list[str] = []
        start = time.monotonic() + 1.0

        def device(i: int) -> None:
            rnd = random.Random(i)
            t_next = start + rnd.uniform(0, period)
            for b in batches[i][:rounds]:
                time.sleep(max(0.0, t_next - time.monotonic()))
                t0 = time.perf_counter()
                try:
                    clients[i].post_events(b)
                    lat.append((time.perf_counter() - t0) * 1000)
                except Exception as exc:  # noqa: BLE001 - reported below
                    errors.append(repr(exc))
                t_next += period

        threads = [threading.Thread(target=device, args=(i,)) for i in range(DEVICES)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    db.dispose()
    if errors:
        raise SystemExit(f"{len(errors)} pushes failed: {errors[:3]}")
    return {"p50": pct(lat, 50), "p95": pct(lat, 95), "max": max(lat), "pushes": len(lat),
            "rate": DEVICES / period}


def rounds(name: str, url: str, work: Path) -> tuple[dict, float, float, list[float]]:
    """Drain and direct insert alternated ROUNDS times (a noisy shared machine moves both): the median drain,
    the median direct rates, and every round's sync/direct ratio."""
    drains, directs = [], []
    for r in range(ROUNDS):
        rw = work / f"round{r}"
        rw.mkdir()
        drains.append(drain(url if "://" in url else str(rw / "hq.db"), rw))
        directs.append(direct_insert(url, rw))
        print(f"[{name}] round {r + 1}: drain {drains[-1]['rate']:,.0f} events/s, direct {directs[-1][0]:,.0f} "
              f"rows/s -> {drains[-1]['rate'] / directs[-1][0]:.2f}", flush=True)
    ratios = [d["rate"] / p for d, (p, _) in zip(drains, directs, strict=True)]
    mid = sorted(range(ROUNDS), key=lambda i: drains[i]["rate"])[ROUNDS // 2]
    d = {**drains[mid], "rss_mb": max(x["rss_mb"] for x in drains)}
    return d, statistics.median(p for p, _ in directs), statistics.median(o for _, o in directs), ratios


def report(name: str, url: str, work: Path, burst_url: str) -> bool:
    """``url`` takes the drains; ``burst_url`` is a database of its own for the device bursts (as fresh as
    SQLite's per-round files, so both backends answer the bursts from a fresh HQ)."""
    d, per_batch, one_tx, ratios = rounds(name, url, work)
    (work / "burst").mkdir(exist_ok=True)
    b = burst(burst_url, work / "burst")
    (work / "burst5").mkdir(exist_ok=True)
    b5 = burst(burst_url, work / "burst5", per_device=5)
    (work / "sustained").mkdir(exist_ok=True)
    sus = sustained(burst_url, work / "sustained")
    ratio = statistics.median(ratios)
    figure(f"{name}: drain", d["rate"], "events/s", GOAL_RATE, higher_is_better=True)
    figure(f"{name}: sync / direct insert, median of {ROUNDS}", ratio, "x", GOAL_RATIO, higher_is_better=True)
    figure(f"{name}: daemon peak RSS", d["rss_mb"], "MB", GOAL_RSS_MB)
    figure(f"{name}: {DEVICES} devices x {PER_DEVICE} events at once, ack p95", b["p95"], "ms", GOAL_P95_MS)
    ok = d["rate"] >= GOAL_RATE and ratio >= GOAL_RATIO and d["rss_mb"] < GOAL_RSS_MB and b["p95"] <= GOAL_P95_MS
    print(f"[{name}] drain {d['events']} events in {d['seconds']:.2f} s = {d['rate']:,.0f} events/s, median of "
          f"{ROUNDS} (goal >= {GOAL_RATE:,}: {d['rate'] / GOAL_RATE:.2f}x)")
    print(f"[{name}] direct insert, commit per {BATCH}: {per_batch:,.0f} rows/s -> sync/direct = {ratio:.2f} median "
          f"of {ROUNDS} rounds, range {min(ratios):.2f}-{max(ratios):.2f} (goal >= {GOAL_RATIO}); one transaction: "
          f"{one_tx:,.0f} rows/s -> {d['rate'] / one_tx:.2f}")
    print(f"[{name}] daemon peak RSS {d['rss_mb']:.1f} MB over all rounds (goal < {GOAL_RSS_MB} MB)")
    print(f"[{name}] {DEVICES} devices x {PER_DEVICE} events at once: ack p50 {b['p50']:.0f} ms, "
          f"p95 {b['p95']:.0f} ms (goal <= {GOAL_P95_MS}: {b['p95'] / GOAL_P95_MS:.2f}x of limit), "
          f"max {b['max']:.0f} ms, all {b['wall']:.1f} s")
    print(f"[{name}] {DEVICES} devices x 5 events at once: ack p50 {b5['p50']:.0f} ms, "
          f"p95 {b5['p95']:.0f} ms ({b5['p95'] / GOAL_P95_MS:.2f}x of limit), max {b5['max']:.0f} ms")
    print(f"[{name}] {DEVICES} devices pushing 5 events every 2 s ({sus['rate']:.0f} batches/s, {sus['pushes']} "
          f"pushes): ack p50 {sus['p50']:.0f} ms, p95 {sus['p95']:.0f} ms ({sus['p95'] / GOAL_P95_MS:.2f}x of limit), "
          f"max {sus['max']:.0f} ms")
    print(f"[{name}] {'OK' if ok else 'BELOW GOAL'}")
    return ok


def main() -> int:
    # an installed device has its modules byte-compiled (deploy/install.sh); this shell may forbid writing
    # __pycache__ (PYTHONDONTWRITEBYTECODE), which would make the daemon compile every module at start
    import compileall

    for pkg in ("kiosk", "hardware", "sync", "hq"):
        compileall.compile_dir(str(ROOT / pkg), quiet=1)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if "--no-sqlite" not in sys.argv:
            (work / "sqlite").mkdir()
            report("sqlite", str(work / "sqlite" / "hq.db"), work / "sqlite", str(work / "sqlite" / "burst.db"))
        if "--no-pg" not in sys.argv:
            if not pg_available():
                print(f"[postgresql] skipped: no server at {PG_BASE} (LAPAS_TEST_PG)")
            else:
                url, burst_url = pg_url("bench"), pg_url("bench_burst")
                (work / "pg").mkdir()
                try:
                    report("postgresql", url, work / "pg", burst_url)
                finally:
                    for u in (url, burst_url):
                        db = open_db(u, migrate=False)
                        db.drop_pg_schema()
                        db.dispose()
    return exit_code()


if __name__ == "__main__":
    sys.exit(main())
