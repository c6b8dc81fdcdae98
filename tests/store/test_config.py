"""Configuration: defaults work, and every kind of bad value stops with key, value and what was expected."""

from __future__ import annotations

import pytest

from kiosk import config


def write(tmp_path, text):
    (tmp_path / config.CONFIG_NAME).write_text(text, encoding="utf-8")
    return tmp_path


def test_defaults_make_a_valid_config(tmp_path):
    cfg = config.load(tmp_path, required=False)
    assert cfg.device.role == "kiosk" and cfg.device.language == "id"
    assert cfg.ui.idle_timeout_s == 60
    assert cfg.db_path == tmp_path / "kiosk.db"


def test_round_trip_through_toml(tmp_path):
    cfg = config.load(tmp_path, required=False)
    cfg.device.facility_id = "LPS-MLG"
    cfg.printer.port = "/dev/ttyUSB0"
    cfg.printer.baud = 9600
    config.save(cfg)
    again = config.load(tmp_path)
    assert again.device.facility_id == "LPS-MLG"
    assert again.printer.port == "/dev/ttyUSB0" and again.printer.baud == 9600


@pytest.mark.parametrize(
    "toml, key, expected",
    [
        ('[device]\nrole = "admin"', "device.role", "one of kiosk, guard"),
        ('[device]\nlanguage = "fr"', "device.language", "one of id, en"),
        ('[device]\nfacility_id = "bad id!"', "device.facility_id", "letters, digits"),
        ('[printer]\nbaud = 12345', "printer.baud", "one of 1200"),
        ('[printer]\nbaud = "fast"', "printer.baud", "an integer"),
        ('[printer]\npaper_width_mm = 70', "printer.paper_width_mm", "58 or 80"),
        ('[printer]\nqr_ec = "X"', "printer.qr_ec", "one of L, M, Q, H"),
        ('[scanner]\nterminator = "TAB"', "scanner.terminator", "CR, LF, CRLF"),
        ('[hq]\nurl = "ftp://x"', "hq.url", "http:// or https://"),
        ('[hq]\ntimeout_s = true', "hq.timeout_s", "a number"),
        ('[ui]\nidle_timeout_s = 5', "ui.idle_timeout_s", "seconds from 10 to 3600"),
        ('[ui]\nhigh_contrast = "yes"', "ui.high_contrast", "true or false"),
        ('[ui]\nidle_countdown_s = 90', "ui.idle_countdown_s", "below ui.idle_timeout_s"),
        ('[sync]\nbatch_size = 0', "sync.batch_size", "1 to 500"),
        ('[sync]\nbatch_size = 501', "sync.batch_size", "1 to 500"),
        ('[sync]\nin_flight = 0', "sync.in_flight", "1 to 4"),
        ('[sync]\nin_flight = 5', "sync.in_flight", "1 to 4"),
        ('[device]\ncolour = "red"', "device.colour", "a known key"),
        ('[printers]\nport = ""', "printers", "a known section"),
        ("[device\n", "(file)", "valid TOML"),
    ],
)
def test_bad_values_name_key_value_and_expectation(tmp_path, toml, key, expected):
    write(tmp_path, toml)
    with pytest.raises(config.ConfigError) as err:
        config.load(tmp_path)
    msg = str(err.value)
    assert err.value.key == key
    assert key in msg and expected in msg
    assert str(tmp_path / config.CONFIG_NAME) in msg


def test_missing_config_says_to_run_init(tmp_path):
    with pytest.raises(config.ConfigError, match="lapas init"):
        config.load(tmp_path / "nowhere")


def test_cli_reports_bad_config_and_exits_nonzero(tmp_path, run_lapas):
    write(tmp_path, '[printer]\nbaud = 12345\n')
    proc = run_lapas("doctor", "--data-dir", str(tmp_path), "--no-hq")
    assert proc.returncode != 0
    assert "printer.baud = 12345" in proc.stderr and "expected one of" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_lapas_home_env_is_the_default_data_dir(tmp_path, run_lapas):
    home = tmp_path / "home"
    run_lapas("init", env={"LAPAS_HOME": str(home)}, check=True)
    assert (home / config.CONFIG_NAME).exists() and (home / "kiosk.db").exists()
