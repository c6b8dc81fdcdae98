"""Visits-core fixtures (helpers in ``tests/domain/helpers.py``)."""

from __future__ import annotations

import pytest

from tests.domain.helpers import make_device, ref_doc, trusted


@pytest.fixture
def kiosk(tmp_path):
    dev = make_device(tmp_path / "kiosk")
    yield dev
    dev.close()


@pytest.fixture
def guard(tmp_path, kiosk):
    """A guard station of the same facility that knows the kiosk's key only from reference trusted_keys."""
    dev = make_device(tmp_path / "guard", device_id="guard-01", role="guard",
                      doc=ref_doc(trusted_keys=[trusted(kiosk.key)]))
    yield dev
    dev.close()
