"""Child process for the kill -9 test: business writes in a loop, reporting each commit on stdout."""

from __future__ import annotations

import sys

from core.events import ProbeRecorded
from kiosk import config
from kiosk.store import Store


def main(data_dir: str) -> None:
    cfg = config.load(data_dir)
    store = Store(cfg.db_path, cfg.device.device_id)
    n = store.scalar("SELECT coalesce(max(n), 0) FROM probes") + 1
    print("ready", flush=True)
    while True:
        with store.transaction() as tx:
            entry = tx.emit(ProbeRecorded(f"p{n}", n, note="x" * (n % 300)))
            tx.insert("probes", {"probe_id": f"p{n}", "event_id": entry.event_id, "n": n, "note": "crash"})
        print(n, flush=True)  # only after COMMIT returned
        n += 1


if __name__ == "__main__":
    main(sys.argv[1])
