"""``lapas printer ...`` and ``lapas scanner listen``: the device's own printer and scanner, as set in lapas.toml."""

from __future__ import annotations

import json
import signal
import sys
import threading

import click

from hardware import layouts, samples
from hardware.escpos_doc import PaperProfile
from hardware.printer import PrinterError, SerialPrinter, probe, send_job
from hardware.scanner import ScannerReader
from hardware.serial_params import BAUD_RATES, TERMINATORS
from kiosk import config as config_mod
from kiosk.cli.common import data_dir_option, echo_json, load_config, setup_logging
from kiosk.printing import PrintService
from kiosk.store import open_store
from kiosk.store.printlog import PrintLog

port_option = click.option("--port", default=None, help="Serial device (e.g. /dev/ttyUSB0). Default: from config.")


def _baud_option(default_note: str):
    return click.option("--baud", type=click.Choice([str(b) for b in BAUD_RATES]), default=None,
                        help=f"Baud rate. Default: from config ({default_note}).")


def _config(data_dir: str | None) -> config_mod.Config:
    """The device config when there is one; defaults otherwise (``--port`` may be all that is needed)."""
    return load_config(data_dir, required=False)


def _printer_cfg(data_dir, port, baud, width) -> config_mod.Config:
    cfg = _config(data_dir)
    if port:
        cfg.printer.port = port
    if baud:
        cfg.printer.baud = int(baud)
    if width:
        cfg.printer.paper_width_mm = int(width)
    if not cfg.printer.port:
        raise click.ClickException("no printer port: pass --port or set [printer] port in lapas.toml")
    return cfg


# -- lapas printer ---------------------------------------------------------------------------------


@click.group("printer")
def printer_group() -> None:
    """Receipt printer: test page, status, reprint, print log."""


@printer_group.command("test")
@data_dir_option
@port_option
@_baud_option("19200")
@click.option("--width", type=click.Choice(["58", "80"]), default=None, help="Paper width in mm (default: config).")
@click.option("--only", type=click.Choice(["ticket", "deposit", "order", "parcel", "complaint", "zreport"]),
              multiple=True, help="Print only these layouts (repeatable). Default: all of them.")
def printer_test(data_dir, port, baud, width, only):
    """Print every layout with sample data (not recorded in the print log)."""

    setup_logging()
    cfg = _printer_cfg(data_dir, port, baud, width)
    profile = PaperProfile.from_config(cfg.printer)
    pc = cfg.printer
    for kind, data in samples.all_samples().items():
        if only and kind not in only:
            continue
        payload = layouts.render(data, profile)
        try:
            with SerialPrinter(pc.port, pc.baud, pc.status_timeout_s) as sp:
                send_job(sp, payload)
        except PrinterError as exc:
            raise click.ClickException(f"{kind}: {exc.message}") from exc
        click.echo(f"printed {kind} ({len(payload)} bytes, {len(payload) * 10 / pc.baud:.2f} s at {pc.baud} baud)")


@printer_group.command("status")
@data_dir_option
@port_option
@_baud_option("19200")
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
def printer_status(data_dir, port, baud, as_json):
    """Ask the printer for its real-time status (exit 1 when it cannot print)."""

    cfg = _printer_cfg(data_dir, port, baud, None)
    st = probe(cfg.printer.port, cfg.printer.baud, cfg.printer.status_timeout_s)
    if as_json:
        echo_json(st.as_dict())
    else:
        if not st.connected:
            click.echo(f"{st.port}: not connected")
        elif not st.responded:
            click.echo(f"{st.port}: connected, no answer to status requests (printing blind)")
        else:
            flags = [name for name in ("paper_out", "paper_near_end", "cover_open") if getattr(st, name)]
            click.echo(f"{st.port}: {'online' if st.online else 'OFFLINE'}" + (f" ({', '.join(flags)})" if flags else ""))
    sys.exit(0 if st.ok else 1)


def _service(data_dir, port, baud):

    cfg = load_config(data_dir)
    if port:
        cfg.printer.port = port
    if baud:
        cfg.printer.baud = int(baud)
    store = open_store(cfg)
    return PrintService(cfg, store), store


@printer_group.command("reprint")
@data_dir_option
@port_option
@_baud_option("19200")
@click.argument("job_id", default="last")
def printer_reprint(data_dir, port, baud, job_id):
    """Print a logged receipt again, marked SALINAN with its copy number (JOB_ID or 'last')."""

    setup_logging()
    svc, store = _service(data_dir, port, baud)
    try:
        res = svc.reprint(job_id)
    except LookupError as exc:
        raise click.ClickException(str(exc)) from exc
    except PrinterError as exc:
        raise click.ClickException(f"{exc.message} (job {exc.job_id} kept as failed)") from exc
    finally:
        store.close()
    click.echo(f"reprinted {res.kind} {res.ref} as copy {res.copy_no} (job {res.job_id}, {res.bytes_sent} bytes)")


@printer_group.command("log")
@data_dir_option
@click.option("--limit", default=20, show_default=True, help="How many of the latest jobs to list.")
@click.option("--unprinted", is_flag=True, help="Only originals that never printed completely.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def printer_log(data_dir, limit, unprinted, as_json):
    """List print jobs, newest first."""

    cfg = load_config(data_dir)
    store = open_store(cfg)
    try:
        plog = PrintLog(store)
        jobs = plog.unprinted() if unprinted else plog.recent(limit)
    finally:
        store.close()
    for job in jobs:
        s = job.summary()
        if as_json:
            echo_json(s)
        else:
            copy = f" copy {s['copy_no']}" if s["copy_no"] else ""
            err = f" [{s['error_code']}]" if s["error_code"] else ""
            click.echo(f"{s['job_id']}  {s['created_at']}  {s['state']:<7}  {s['kind']:<9} {s['ref']}{copy}{err}")


# -- lapas scanner ---------------------------------------------------------------------------------


@click.group("scanner")
def scanner_group() -> None:
    """QR scanner on a serial port."""


@scanner_group.command("listen")
@data_dir_option
@port_option
@_baud_option("9600")
@click.option("--terminator", type=click.Choice(list(TERMINATORS)), default=None,
              help="Line terminator (default: config, CR).")
@click.option("--count", type=int, default=0, help="Exit after this many lines (0 = run until Ctrl-C).")
@click.option("--timeout", type=float, default=0, help="Exit with status 1 after this many seconds (0 = never).")
@click.option("--json", "as_json", is_flag=True, help="Print each line as a JSON string.")
def scanner_listen(data_dir, port, baud, terminator, count, timeout, as_json):
    """Print each scanned line (duplicates collapsed, garbage rejected, reconnects after unplugging)."""

    setup_logging()
    cfg = _config(data_dir)
    sc = cfg.scanner
    port = port or sc.port
    if not port:
        raise click.ClickException("no scanner port: pass --port or set [scanner] port in lapas.toml")
    done = threading.Event()
    seen = [0]

    def on_line(text: str) -> None:
        click.echo(json.dumps(text, ensure_ascii=False) if as_json else text)
        sys.stdout.flush()
        seen[0] += 1
        if count and seen[0] >= count:
            done.set()

    signal.signal(signal.SIGTERM, lambda *_: done.set())
    reader = ScannerReader(port, int(baud or sc.baud), terminator or sc.terminator, on_line,
                           dedupe_window_s=sc.dedupe_window_s, max_line=sc.max_line)
    reader.start()
    try:
        finished = done.wait(timeout or None)
    except KeyboardInterrupt:
        finished = True
    finally:
        reader.stop()
    sys.exit(0 if finished else 1)
