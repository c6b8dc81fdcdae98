"""lapas.toml is written by tomli-w, atomically and fsynced, readable only by its owner."""

from __future__ import annotations

import os
import tomllib

import pytest

from kiosk import config


def test_control_characters_and_quotes_round_trip_and_the_file_is_0600(tmp_path):
    cfg = config.Config(data_dir=tmp_path)
    cfg.printer.port = '/dev/serial/by-id/usb-"EPSON"\\\x01\ttab'
    config.save(cfg)
    assert os.stat(cfg.path).st_mode & 0o777 == 0o600
    assert tomllib.loads(cfg.path.read_text(encoding="utf-8"))["printer"]["port"] == cfg.printer.port
    assert "# ESC/POS receipt printer" in cfg.path.read_text(encoding="utf-8")  # the notes stay


def test_a_crash_while_writing_leaves_the_old_file_whole(tmp_path, monkeypatch):
    cfg = config.Config(data_dir=tmp_path)
    config.save(cfg)
    before = cfg.path.read_bytes()
    cfg.device.facility_id = "LPS-NEW"

    def power_cut(*_a):
        raise OSError("power cut before the rename")

    monkeypatch.setattr(config.os, "replace", power_cut)
    with pytest.raises(OSError):
        config.save(cfg)
    assert cfg.path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["lapas.toml"]  # no temporary file left behind
