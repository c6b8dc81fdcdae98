"""A kiosk process for the race and restart tests: registers visits on a device directory when told to.

Line protocol on stdin/stdout (one JSON object per line):
  {"op": "prepare", "data_dir": ..., "nik": ..., "inmate": ..., "day": "YYYY-MM-DD", "session": "P", "now": ISO}
      -> opens the device's store and builds the request, answers {"ready": true}
  {"op": "go"}   -> registers, answers {"ok": true, "queue_no": ...} or {"ok": false, "code": ...}, closes the store
  {"op": "quit"} -> exits
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from core import identity
from core.ids import parse_iso  # noqa: E402
from kiosk import config  # noqa: E402
from kiosk.domain.rules import Refusal  # noqa: E402
from kiosk.domain.visits import VisitRequest, register_visit  # noqa: E402
from kiosk.store import Store  # noqa: E402


def answer(obj: dict) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def main() -> None:
    job = None
    for line in sys.stdin:
        cmd = json.loads(line)
        if cmd["op"] == "prepare":
            cfg = config.load(cmd["data_dir"])
            store = Store(cfg.db_path, cfg.device.device_id)
            req = VisitRequest(cmd["nik"], "Pengunjung Balapan", "081234567890", "spouse", cmd["inmate"],
                               date.fromisoformat(cmd["day"]), cmd["session"])
            job = (cfg, store, identity.load(cfg.keys_dir), req, parse_iso(cmd["now"]))
            answer({"ready": True})
        elif cmd["op"] == "go":
            cfg, store, key, req, now = job
            try:
                v = register_visit(store, cfg, key, req, now=now)
                answer({"ok": True, "queue_no": v.queue_no, "visit_id": v.visit_id})
            except Refusal as exc:
                answer({"ok": False, "code": exc.code})
            finally:
                store.close()
        else:
            return


if __name__ == "__main__":
    main()
