"""`lapas init`: creates config, database and key; idempotent; never silently replaces a key."""

from __future__ import annotations

import stat

from core import identity
from kiosk import config
from kiosk.store import Store


def test_init_creates_everything_with_private_key_0600(tmp_path, run_lapas):
    d = tmp_path / "dev"
    proc = run_lapas("init", "--data-dir", str(d), "--facility", "LPS-MLG", "--role", "guard", check=True)
    assert "created" in proc.stdout
    cfg = config.load(d)
    assert cfg.device.facility_id == "LPS-MLG" and cfg.device.role == "guard"
    assert cfg.device.device_id.startswith("guard-")
    key = cfg.keys_dir / identity.PRIVATE_NAME
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(cfg.keys_dir.stat().st_mode) == 0o700
    with Store(cfg.db_path, cfg.device.device_id) as store:
        first = store.one("SELECT type, payload FROM outbox WHERE seq = 1")
        assert first["type"] == "device.initialised"
        assert identity.load(cfg.keys_dir).public_b64 in first["payload"]


def test_init_twice_changes_nothing(tmp_path, run_lapas):
    d = tmp_path / "dev"
    run_lapas("init", "--data-dir", str(d), check=True)
    before_cfg = (d / config.CONFIG_NAME).read_text()
    before_key = (d / "keys" / identity.PRIVATE_NAME).read_bytes()
    proc = run_lapas("init", "--data-dir", str(d), check=True)
    assert "kept" in proc.stdout
    assert (d / config.CONFIG_NAME).read_text() == before_cfg
    assert (d / "keys" / identity.PRIVATE_NAME).read_bytes() == before_key
    cfg = config.load(d)
    with Store(cfg.db_path, cfg.device.device_id) as store:
        assert store.scalar("SELECT count(*) FROM outbox") == 1  # no second device.initialised event


def test_init_refuses_to_change_identity_without_force(tmp_path, run_lapas):
    d = tmp_path / "dev"
    run_lapas("init", "--data-dir", str(d), check=True)
    before_key = (d / "keys" / identity.PRIVATE_NAME).read_bytes()
    proc = run_lapas("init", "--data-dir", str(d), "--facility", "LPS-OTHER")
    assert proc.returncode != 0 and "--force" in proc.stderr
    assert (d / "keys" / identity.PRIVATE_NAME).read_bytes() == before_key


def test_force_replaces_key_and_records_it(tmp_path, run_lapas):
    d = tmp_path / "dev"
    run_lapas("init", "--data-dir", str(d), check=True)
    old = identity.load(d / "keys").key_id
    run_lapas("init", "--data-dir", str(d), "--force", check=True)
    new = identity.load(d / "keys").key_id
    assert new != old
    cfg = config.load(d)
    with Store(cfg.db_path, cfg.device.device_id) as store:
        assert store.scalar("SELECT count(*) FROM outbox WHERE type = 'device.initialised'") == 2
    assert run_lapas("audit", "verify", "--data-dir", str(d)).returncode == 0


def test_identity_create_refuses_existing_key(tmp_path):
    identity.create(tmp_path)
    try:
        identity.create(tmp_path)
    except identity.IdentityError as exc:
        assert "--force" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("second create must refuse")
