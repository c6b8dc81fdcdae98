"""The operators' dashboard shows what an operator needs: today's visits, visitors inside, devices with
last-seen / backlog / clock skew, and dead-lettered events; every value is HTML-escaped."""

from __future__ import annotations

import re
import time

import requests

from core import identity
from core.events import ProbeRecorded, VisitCheckedIn, VisitRegistered
from core.ids import today_wib
from hq import operators
from kiosk.store import Store, outbox
from sync.client import HQClient
from tests.support.hqproc import make_device


def card(html: str, ident: str) -> str:
    return re.search(rf'id="{ident}"[^>]*>([^<]*)<', html).group(1)


def test_facility_page_shows_visits_inside_devices_and_dead_letters(sqlite_hq, tmp_path):
    db, url = sqlite_hq.db, sqlite_hq.url
    with db.write() as conn:
        operators.add_facility(conn, "LPS-DASH", "Lapas <Dasbor> & Co")
    kiosk = make_device(tmp_path / "k", db, url, facility_id="LPS-DASH")
    today = today_wib().isoformat()
    with Store(kiosk.db_path, kiosk.device.device_id) as store, store.transaction() as tx:
        for i, name in enumerate(["Siti <script>alert(1)</script>", "Budi"]):
            tx.emit(VisitRegistered(f"v-dash-{i}", "LPS-DASH", today, "P", f"P-00{i + 1}", "walk_in", "inm-1",
                                    f"352401120390000{i}", name, "0812", "spouse", followers=[{"name": "x"}]))
        tx.emit(VisitCheckedIn("v-dash-0", "LPS-DASH", 2, "2026-11-29T02:00:00.000Z"))
        tx.emit(ProbeRecorded("bad", 1))
    with Store(kiosk.db_path, kiosk.device.device_id) as store:
        batch = outbox.pending_batch(store.conn, 100)
    batch[-1]["payload"] = {"probe_id": "bad"}  # missing field: HQ dead-letters it
    c = HQClient(url, kiosk.device.device_id, identity.load(kiosk.keys_dir),
                 clock=lambda: time.time() + 7200)  # a kiosk whose clock is two hours fast
    c.post_events(batch, pending=7)

    page = requests.get(url + "/dashboard/LPS-DASH", timeout=5)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "Lapas &lt;Dasbor&gt; &amp; Co" in html and "<script>alert" not in html
    assert card(html, "visits-today") == "2"
    assert card(html, "inside-now") == "2"
    assert card(html, "device-count") == "1"
    assert card(html, "dead-count") == "1"
    devices = html[html.index('id="devices"'):html.index('id="dead-letters"')]
    assert kiosk.device.device_id in devices and ">7<" in devices  # backlog reported by the device
    assert re.search(r"<td>(71\d\d|72\d\d)</td>", devices)  # clock skew about +7200 s
    assert "invalid_payload" in html[html.index('id="dead-letters"'):]
    assert "3524********0000" in html and "3524011203900000" not in html  # NIK masked

    index = requests.get(url + "/dashboard", timeout=5).text
    assert 'href="/dashboard/LPS-DASH"' in index
    assert requests.get(url + "/dashboard/NOPE", timeout=5).status_code == 404
