"""HQ's payload check by exact JSON type, including the cache of shapes that already fitted."""

from __future__ import annotations

from hq.ingest import validate_payload


def test_a_fitting_shape_does_not_let_another_through():
    good = {"probe_id": "p1", "n": 1, "note": "x"}
    assert validate_payload("probe.recorded", good, "LPS-A") is None
    assert validate_payload("probe.recorded", dict(good), "LPS-A") is None  # cached shape
    assert validate_payload("probe.recorded", {**good, "n": 1.5}, "LPS-A")[0] == "invalid_payload"
    assert validate_payload("probe.recorded", {**good, "n": True}, "LPS-A")[0] == "invalid_payload"
    assert validate_payload("probe.recorded", {**good, "extra": 1}, "LPS-A")[0] == "invalid_payload"
    assert validate_payload("probe.recorded", {"n": 1, "note": "x"}, "LPS-A")[0] == "invalid_payload"
    assert validate_payload("probe.recorded", [good], "LPS-A")[0] == "invalid_payload"
    assert validate_payload("no.such", good, "LPS-A")[0] == "unknown_type"


def test_facility_is_checked_on_the_cached_path_too():
    p = {"visit_id": "v1", "facility_id": "LPS-A", "people": 2, "at": "2026-11-29T02:00:00.000Z"}
    assert validate_payload("visit.checked_in", p, "LPS-A") is None
    assert validate_payload("visit.checked_in", {**p, "facility_id": "LPS-B"}, "LPS-A")[0] == "wrong_facility"
