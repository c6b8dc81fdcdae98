"""The real commands, end to end in subprocesses: a kiosk registers, a guard station with the network down
(HQ unreachable) judges the ticket with `lapas ticket verify` and checks the visitors in and out.

These run on the wall clock (the commands take no injected time), so the reference data opens a session for
the whole day, every day."""

from __future__ import annotations

import json
import socket
from datetime import timedelta

from core.ids import today_wib, utcnow
from tests.conftest import init_device
from tests.domain.helpers import FACILITY, make_nik, ref_doc


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def all_day_doc(version: int, kiosk_pub: str | None = None, **sections) -> dict:
    from core.identity import key_id, unb64u

    slot = {"session": "P", "walk_in_quota": 50, "pre_registered_quota": 20, "inmate_codes": ["A", "B"]}
    keys = [{"key_id": key_id(unb64u(kiosk_pub)), "device_id": "kiosk-01", "public_key": kiosk_pub,
             "revoked": False}] if kiosk_pub else []
    return ref_doc(version, as_of=utcnow() - timedelta(minutes=5), trusted_keys=keys, schedule={
        "sessions": {"P": {"label": "Pagi", "start": "00:00", "end": "23:59"}},
        "weekdays": {str(d): [slot] for d in range(1, 8)}}, **sections)


def out(proc) -> dict:
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 1, proc.stdout + proc.stderr  # exactly one JSON object
    return json.loads(lines[0])


def test_register_verify_check_in_and_out_from_the_command_line(tmp_path, run_lapas):
    hq = f"http://127.0.0.1:{closed_port()}"  # nobody listens: the network is down
    kiosk = init_device(tmp_path / "kiosk", "--facility", FACILITY, "--device-id", "kiosk-01", "--hq", hq)
    guard = init_device(tmp_path / "guard", "--facility", FACILITY, "--device-id", "guard-01", "--role", "guard",
                        "--hq", hq)
    pub = (kiosk / "keys" / "device.pub").read_text().strip()
    today = today_wib()
    booking = {"booking_code": "BK77CLI", "visitor": {"nik": make_nik(77), "name": "Sri Wahyuni",
                                                      "phone": "0812 3456 7801", "relationship": "spouse"},
               "followers": [], "inmate_id": "inm-4", "date": today.isoformat(), "session": "P", "status": "booked"}
    (tmp_path / "k.json").write_text(json.dumps(all_day_doc(1, pre_registrations=[booking])))
    (tmp_path / "g.json").write_text(json.dumps(all_day_doc(1, pub)))
    run_lapas("reference", "load", str(tmp_path / "k.json"), "--data-dir", str(kiosk), check=True)
    run_lapas("reference", "load", str(tmp_path / "g.json"), "--data-dir", str(guard), check=True)

    def register(*args):
        return run_lapas("visit", "register", "--data-dir", str(kiosk), *args)

    first = out(register("--nik", make_nik(1), "--name", "Budi Santoso", "--phone", "0812-3456-7890",
                         "--inmate", "BI.0001/2025", "--session", "p", "--follower", "Siti:child"))
    assert first["ok"] and first["queue_no"] == "P-001" and not first["provisional"]
    # a refusal: exit 1, its code, and the Indonesian text for the screen
    proc = register("--nik", make_nik(1), "--name", "Budi Santoso", "--inmate", "BI.0007/2025", "--session", "P")
    refused = out(proc)
    assert proc.returncode == 1 and refused["code"] == "weekly_limit_nik"
    assert refused["pesan"] == "3524********0001 sudah berkunjung 1 kali minggu ini."
    # a booking is redeemed by its code alone; the queue continues in this new process
    booked = out(register("--booking", "bk77cli"))
    assert booked["ok"] and booked["kind"] == "pre_registered" and booked["queue_no"] == "P-002"
    usage = register("--nik", make_nik(2))
    assert usage.returncode == 2 and "missing option(s) --name, --inmate, --session" in usage.stderr

    ticket = first["ticket"]

    def verify(payload):
        proc = run_lapas("ticket", "verify", payload, "--data-dir", str(guard))
        return proc.returncode, out(proc)

    code, verdict = verify(ticket)
    assert code == 0 and (verdict["verdict"], verdict["reason"]) == ("VALID", "ok")
    assert verdict["queue_no"] == "P-001" and verdict["people"] == 2 and verdict["inmate_name"] == "Ahmad Fauzi Hidayat"
    forged = ticket[:-3] + ("AAA" if ticket[-3:] != "AAA" else "BBB")
    code, verdict = verify(forged)
    assert code == 1 and verdict["verdict"] == "FORGED"

    proc = run_lapas("gate", "check-in", ticket, "--data-dir", str(guard))
    assert proc.returncode == 0 and out(proc)["verdict"] == "VALID"
    code, verdict = verify(ticket)
    assert code == 1 and (verdict["verdict"], verdict["reason"]) == ("ALREADY_INSIDE", "already_inside")
    proc = run_lapas("gate", "check-out", first["visit_id"], "--data-dir", str(guard))
    assert proc.returncode == 0 and out(proc) == {"ok": True, "visit_id": first["visit_id"], "people": 2}
    code, verdict = verify(ticket)
    assert code == 1 and verdict["verdict"] == "ALREADY_USED"
    proc = run_lapas("gate", "check-out", first["visit_id"], "--data-dir", str(guard))
    assert proc.returncode == 1 and "not_inside" in proc.stderr

    stats = json.loads(run_lapas("outbox", "stats", "--data-dir", str(guard), check=True).stdout)
    assert stats["pending"] == 3  # device.initialised, checked_in, checked_out: waiting for the network
