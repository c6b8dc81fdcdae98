"""schemathesis against HQ's /openapi.json over real HTTP: whatever it sends -- unsigned, or signed by an
enrolled device so the fuzzed bodies reach ingest, reference and enrolment -- HQ never answers 5xx."""

from __future__ import annotations

import time

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings

from core import identity, protocol
from tests.support.hqproc import make_device


class DeviceSigner(requests.auth.AuthBase):
    """Signs each prepared request (after its body is final) as an enrolled device."""

    def __init__(self, device_id: str, key):
        self.device_id, self.key = device_id, key

    def __call__(self, r):
        body = r.body or b""
        if isinstance(body, str):
            body = body.encode()
        r.headers.update(protocol.sign_headers(self.key, self.device_id, r.method, r.path_url, body,
                                               int(time.time())))
        return r


@pytest.fixture(scope="module")
def signed_session(sqlite_hq, tmp_path_factory):
    cfg = make_device(tmp_path_factory.mktemp("fuzzdev") / "d", sqlite_hq.db, sqlite_hq.url)
    s = requests.Session()
    s.auth = DeviceSigner(cfg.device.device_id, identity.load(cfg.keys_dir))
    return s


def test_no_server_errors(sqlite_hq, signed_session):
    schema = schemathesis.openapi.from_url(sqlite_hq.url + "/openapi.json")
    # the device API and the dashboard (payments routes are fuzzed by the payments tests)
    operations = [op for op in (r.ok() for r in schema.get_all_operations())
                  if op.path.startswith(("/v1/events", "/v1/reference", "/v1/enroll", "/v1/health", "/dashboard"))]
    assert len(operations) == 6
    for op in operations:
        fuzz(op, signed_session)


def fuzz(op, signed_session):
    @given(case=op.as_strategy())
    @settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def check(case):
        unsigned = case.call(timeout=10)
        assert unsigned.status_code < 500, (op.path, unsigned.status_code, unsigned.text[:300])
        signed = case.call(session=signed_session, timeout=10)
        assert signed.status_code < 500, (op.path, signed.status_code, signed.text[:300])

    check()
