"""Per-device configuration: one TOML file (``lapas.toml``) in the device's data directory.

The data directory comes from ``--data-dir``, else ``$LAPAS_HOME``, else ``~/.local/share/lapas``.
Every key has a default that makes the demo work; a bad value stops with :class:`ConfigError`
naming the key, the value and what was expected.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import tomli_w

from core.errors import ConfigurationError
from hardware.serial_params import BAUD_RATES, TERMINATORS

CONFIG_NAME = "lapas.toml"
DB_NAME = "kiosk.db"
ROLES = ("kiosk", "guard")
LANGUAGES = ("id", "en")
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class ConfigError(ConfigurationError, ValueError):
    """A configuration value is missing, of the wrong type or out of range."""

    def __init__(self, key: str, value: Any, expected: str, path: Path | None = None):
        self.key, self.value, self.expected, self.path = key, value, expected, path
        where = f" in {path}" if path else ""
        super().__init__(f"invalid config{where}: {key} = {value!r}; expected {expected}")


def default_data_dir() -> Path:
    env = os.environ.get("LAPAS_HOME")
    if env:
        return Path(env).expanduser()
    return Path.home() / ".local" / "share" / "lapas"


def resolve_data_dir(data_dir: str | os.PathLike | None) -> Path:
    return Path(data_dir).expanduser() if data_dir else default_data_dir()


@dataclass
class DeviceSection:
    facility_id: str = "LPS-DEMO"
    device_id: str = "kiosk-01"
    role: str = "kiosk"
    language: str = "id"


@dataclass
class HQSection:
    url: str = "http://127.0.0.1:8765"
    timeout_s: float = 10.0


@dataclass
class PrinterSection:
    port: str = ""  # empty: no printer configured
    baud: int = 19200
    paper_width_mm: int = 80
    qr_size: int = 6
    qr_ec: str = "M"
    logo: str = ""
    status_timeout_s: float = 1.0


@dataclass
class ScannerSection:
    port: str = ""
    baud: int = 9600
    terminator: str = "CR"
    dedupe_window_s: float = 3.0
    max_line: int = 512


@dataclass
class LimitsSection:
    reference_max_age_h: float = 24.0
    retention_days: int = 90
    children_count_as_followers: bool = True


@dataclass
class UISection:
    idle_timeout_s: int = 60
    idle_countdown_s: int = 10
    dpi: int = 96
    high_contrast: bool = False
    voice: bool = False
    maintenance_pin_hash: str = ""


@dataclass
class SyncSection:
    interval_s: float = 10.0
    batch_size: int = 200
    in_flight: int = 2
    backoff_base_s: float = 1.0
    backoff_cap_s: float = 900.0
    probe_s: float = 15.0  # while backing off after a network failure, ask HQ's /v1/health this often


@dataclass
class Config:
    """A device's whole configuration. ``data_dir`` is where the file was found."""

    data_dir: Path
    device: DeviceSection = field(default_factory=DeviceSection)
    hq: HQSection = field(default_factory=HQSection)
    printer: PrinterSection = field(default_factory=PrinterSection)
    scanner: ScannerSection = field(default_factory=ScannerSection)
    limits: LimitsSection = field(default_factory=LimitsSection)
    ui: UISection = field(default_factory=UISection)
    sync: SyncSection = field(default_factory=SyncSection)

    @property
    def path(self) -> Path:
        return self.data_dir / CONFIG_NAME

    @property
    def db_path(self) -> Path:
        return self.data_dir / DB_NAME

    @property
    def keys_dir(self) -> Path:
        return self.data_dir / "keys"

    @property
    def receipts_dir(self) -> Path:
        return self.data_dir / "receipts"

    @property
    def run_dir(self) -> Path:
        return self.data_dir / "run"


_SECTIONS = {f.name: f.type for f in fields(Config) if f.name != "data_dir"}
_SECTION_CLASSES = {
    "device": DeviceSection, "hq": HQSection, "printer": PrinterSection, "scanner": ScannerSection,
    "limits": LimitsSection, "ui": UISection, "sync": SyncSection,
}


def _coerce(key: str, value: Any, default: Any, path: Path | None) -> Any:
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ConfigError(key, value, "true or false", path)
        return value
    if isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(key, value, "an integer", path)
        return value
    if isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(key, value, "a number", path)
        return float(value)
    if isinstance(default, str):
        if not isinstance(value, str):
            raise ConfigError(key, value, "a string", path)
        return value
    raise AssertionError(f"unsupported default for {key}")


def _validate(cfg: Config, path: Path | None) -> None:
    d = cfg.device
    if not _ID_RE.match(d.facility_id):
        raise ConfigError("device.facility_id", d.facility_id, "1-64 letters, digits, '.', '_' or '-'", path)
    if not _ID_RE.match(d.device_id):
        raise ConfigError("device.device_id", d.device_id, "1-64 letters, digits, '.', '_' or '-'", path)
    if d.role not in ROLES:
        raise ConfigError("device.role", d.role, "one of " + ", ".join(ROLES), path)
    if d.language not in LANGUAGES:
        raise ConfigError("device.language", d.language, "one of " + ", ".join(LANGUAGES), path)
    if not re.match(r"^https?://[^\s/]+", cfg.hq.url):
        raise ConfigError("hq.url", cfg.hq.url, "an http:// or https:// URL", path)
    if not 0 < cfg.hq.timeout_s <= 300:
        raise ConfigError("hq.timeout_s", cfg.hq.timeout_s, "a number of seconds in (0, 300]", path)
    for sec in ("printer", "scanner"):
        baud = getattr(cfg, sec).baud
        if baud not in BAUD_RATES:
            raise ConfigError(f"{sec}.baud", baud, "one of " + ", ".join(map(str, BAUD_RATES)), path)
    if cfg.printer.paper_width_mm not in (58, 80):
        raise ConfigError("printer.paper_width_mm", cfg.printer.paper_width_mm, "58 or 80", path)
    if not 1 <= cfg.printer.qr_size <= 16:
        raise ConfigError("printer.qr_size", cfg.printer.qr_size, "an integer from 1 to 16", path)
    if cfg.printer.qr_ec not in ("L", "M", "Q", "H"):
        raise ConfigError("printer.qr_ec", cfg.printer.qr_ec, "one of L, M, Q, H", path)
    if cfg.scanner.terminator not in TERMINATORS:
        raise ConfigError("scanner.terminator", cfg.scanner.terminator, "one of CR, LF, CRLF", path)
    if cfg.scanner.dedupe_window_s < 0:
        raise ConfigError("scanner.dedupe_window_s", cfg.scanner.dedupe_window_s, "a number >= 0", path)
    if not 16 <= cfg.scanner.max_line <= 65536:
        raise ConfigError("scanner.max_line", cfg.scanner.max_line, "an integer from 16 to 65536", path)
    if cfg.limits.reference_max_age_h <= 0:
        raise ConfigError("limits.reference_max_age_h", cfg.limits.reference_max_age_h, "a number > 0", path)
    if cfg.limits.retention_days < 1:
        raise ConfigError("limits.retention_days", cfg.limits.retention_days, "an integer >= 1", path)
    if not 10 <= cfg.ui.idle_timeout_s <= 3600:
        raise ConfigError("ui.idle_timeout_s", cfg.ui.idle_timeout_s, "seconds from 10 to 3600", path)
    if not 0 <= cfg.ui.idle_countdown_s < cfg.ui.idle_timeout_s:
        raise ConfigError("ui.idle_countdown_s", cfg.ui.idle_countdown_s, "seconds below ui.idle_timeout_s", path)
    if not 50 <= cfg.ui.dpi <= 600:
        raise ConfigError("ui.dpi", cfg.ui.dpi, "an integer from 50 to 600", path)
    if not 1 <= cfg.sync.batch_size <= 500:  # core.protocol.MAX_EVENTS: HQ refuses larger batches
        raise ConfigError("sync.batch_size", cfg.sync.batch_size, "an integer from 1 to 500", path)
    if not 1 <= cfg.sync.in_flight <= 4:
        raise ConfigError("sync.in_flight", cfg.sync.in_flight, "an integer from 1 to 4", path)
    if not 0 < cfg.sync.backoff_base_s <= cfg.sync.backoff_cap_s:
        raise ConfigError("sync.backoff_base_s", cfg.sync.backoff_base_s, "a number in (0, backoff_cap_s]", path)
    if cfg.sync.interval_s <= 0:
        raise ConfigError("sync.interval_s", cfg.sync.interval_s, "a number > 0", path)
    if not 0.5 <= cfg.sync.probe_s <= 30:
        raise ConfigError("sync.probe_s", cfg.sync.probe_s, "a number from 0.5 to 30 (seconds)", path)


def from_dict(data: dict, data_dir: Path, path: Path | None = None) -> Config:
    """Build and validate a :class:`Config` from parsed TOML."""
    cfg = Config(data_dir=data_dir)
    for section, values in data.items():
        if section not in _SECTION_CLASSES:
            raise ConfigError(section, values, "a known section: " + ", ".join(_SECTION_CLASSES), path)
        if not isinstance(values, dict):
            raise ConfigError(section, values, "a [table]", path)
        target = getattr(cfg, section)
        known = {f.name for f in fields(target)}
        for key, value in values.items():
            if key not in known:
                raise ConfigError(f"{section}.{key}", value, "a known key: " + ", ".join(sorted(known)), path)
            setattr(target, key, _coerce(f"{section}.{key}", value, getattr(target, key), path))
    _validate(cfg, path)
    return cfg


def load(data_dir: str | os.PathLike | None = None, *, required: bool = True) -> Config:
    """Load ``lapas.toml`` from the data directory (defaults when absent and not ``required``)."""
    root = resolve_data_dir(data_dir)
    path = root / CONFIG_NAME
    if not path.exists():
        if required:
            raise ConfigError("data_dir", str(root), f"a directory holding {CONFIG_NAME} (run `lapas init`)")
        return from_dict({}, root)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError("(file)", str(path), f"valid TOML ({exc})", path) from exc
    return from_dict(data, root, path)


def dumps(cfg: Config) -> str:
    """Render a config as TOML (used by ``lapas init``; comments explain each section)."""
    notes = {
        "device": "who this device is: facility, unique device id, role (kiosk|guard), screen language (id|en)",
        "hq": "headquarters server the sync daemon talks to",
        "printer": "ESC/POS receipt printer on a serial tty; port empty = no printer",
        "scanner": "QR scanner on a serial tty; terminator CR, LF or CRLF",
        "limits": "age after which reference data makes registrations provisional; retention of personal data",
        "ui": "touchscreen: idle reset, DPI for touch-target sizing, accessibility",
        "sync": "outbox push: batch size and full-jitter backoff cap (seconds)",
    }
    out = [f"# lapas-kiosk device configuration ({CONFIG_NAME})", ""]
    for name in _SECTION_CLASSES:
        out.append(f"# {notes[name]}")
        section = getattr(cfg, name)
        out.append(tomli_w.dumps({name: {f.name: getattr(section, f.name) for f in fields(section)}}))
    return "\n".join(out)


def save(cfg: Config) -> None:
    """Write ``lapas.toml`` atomically: a temporary file in the same directory (0600), flushed and fsynced, then
    renamed over the old one and the directory fsynced. A crash leaves the old file or the new one, never half."""
    cfg.data_dir.mkdir(parents=True, exist_ok=True)
    text = dumps(cfg)
    fd, tmp = tempfile.mkstemp(prefix=".lapas.toml.", dir=cfg.data_dir)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            os.fchmod(fh.fileno(), 0o600)
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, cfg.path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    dir_fd = os.open(cfg.data_dir, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
