"""The systemd units in deploy/ start commands that exist, install.sh installs every unit, and the nightly
purge the timer runs works the way the unit calls it (LAPAS_HOME, no --data-dir)."""

from __future__ import annotations

import configparser
import json
import shlex

from tests.conftest import ROOT, init_device, lapas

DEPLOY = ROOT / "deploy"
LAPAS_BIN = "/opt/lapas-kiosk/.venv/bin/lapas"


def _unit(path):
    cp = configparser.ConfigParser(strict=False, interpolation=None)
    cp.optionxform = str
    cp.read_string(path.read_text(encoding="utf-8"))
    return cp


def test_every_unit_is_installed_and_its_lapas_command_exists():
    install = (DEPLOY / "install.sh").read_text(encoding="utf-8")
    units = sorted(p for p in DEPLOY.iterdir() if p.suffix in (".service", ".timer"))
    assert units
    for path in units:
        assert path.name in install or path.name.replace("-guard", "-$ROLE").replace("-kiosk", "-$ROLE") in install, \
            f"{path.name} is not installed by deploy/install.sh"
        unit = _unit(path)
        if path.suffix == ".timer":
            assert (DEPLOY / path.name.replace(".timer", ".service")).exists()
            assert unit["Timer"].get("OnCalendar") and unit["Timer"].get("Persistent") == "true"
            continue
        argv = shlex.split(unit["Service"]["ExecStart"])
        if argv[0] != LAPAS_BIN:
            continue
        proc = lapas(*argv[1:], "--help")
        assert proc.returncode == 0, f"{path.name}: lapas {' '.join(argv[1:])}: {proc.stderr}"


def test_purge_as_the_timer_runs_it(tmp_path):
    data = init_device(tmp_path / "kiosk")
    argv = shlex.split(_unit(DEPLOY / "lapas-purge.service")["Service"]["ExecStart"])
    proc = lapas(*argv[1:], env={"LAPAS_HOME": str(data)}, check=True)
    result = json.loads(proc.stdout)
    assert result["visits_scrubbed"] == 0 and result["events_deleted"] == 0
