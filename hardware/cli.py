"""``lapas printer ...``, ``lapas scanner listen`` and ``lapas sim printer|scanner``.

``sim_group`` is exported so other subsystems can add their simulators (``lapas sim gateway``).
"""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading
from pathlib import Path

import click

from kiosk import config as config_mod
from kiosk.cli.common import data_dir_option, echo_json, load_config, setup_logging

port_option = click.option("--port", default=None, help="Serial device (e.g. /dev/ttyUSB0). Default: from config.")


def _baud_option(default_note: str):
    return click.option("--baud", type=click.Choice([str(b) for b in config_mod.BAUD_RATES]), default=None,
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
    from hardware import layouts, samples
    from hardware.escpos_doc import PaperProfile
    from hardware.printer import PrinterError, SerialPrinter, send_job

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
    from hardware.printer import probe

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
    from hardware.printer import PrintService
    from kiosk.store import open_store

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
    from hardware.printer import PrinterError

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
    from hardware.printlog import PrintLog
    from kiosk.store import open_store

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
@click.option("--terminator", type=click.Choice(list(config_mod.TERMINATORS)), default=None,
              help="Line terminator (default: config, CR).")
@click.option("--count", type=int, default=0, help="Exit after this many lines (0 = run until Ctrl-C).")
@click.option("--timeout", type=float, default=0, help="Exit with status 1 after this many seconds (0 = never).")
@click.option("--json", "as_json", is_flag=True, help="Print each line as a JSON string.")
def scanner_listen(data_dir, port, baud, terminator, count, timeout, as_json):
    """Print each scanned line (duplicates collapsed, garbage rejected, reconnects after unplugging)."""
    from hardware.scanner import ScannerReader

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


# -- lapas sim -------------------------------------------------------------------------------------


@click.group("sim")
def sim_group() -> None:
    """Device simulators on real pseudo-terminals (printer, scanner, ...)."""


@click.command("printer")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default="receipts", show_default=True,
              help="Directory for the printed receipts (.txt, .png, .bin).")
@click.option("--width", type=click.Choice(["58", "80"]), default="80", show_default=True, help="Paper width in mm.")
@click.option("--link", default=None, help="Also make this path a symlink to the pty (a stable port name).")
@click.option("--control", type=click.Path(dir_okay=False), default=None,
              help="File of key=value lines (paper_out, near_end, cover_open, offline, status) re-read on change.")
@click.option("--paper-out-after", type=int, default=None, help="Paper runs out after this many bytes.")
@click.option("--unplug-after", type=int, default=None, help="The device vanishes after this many bytes.")
@click.option("--baud", type=int, default=0, help="Emulate this line speed (0 = as fast as the pty goes).")
def sim_printer_cmd(out_dir, width, link, control, paper_out_after, unplug_after, baud):
    """Simulated ESC/POS printer: prints its pty path first, saves each receipt as text and PNG.

    SIGUSR1 toggles paper-out, SIGUSR2 toggles offline.
    """
    from hardware.sim_printer import PrinterSim

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    sim = PrinterSim(Path(out_dir), int(width), Path(control) if control else None, paper_out_after, unplug_after,
                     baud)
    sys.exit(sim.run(link))


@click.command("scanner")
@click.argument("lines", nargs=-1)
@click.option("--file", "file_", type=click.File("r", encoding="utf-8"), default=None, help="Type each line of this file.")
@click.option("--stdin", "use_stdin", is_flag=True, help="Type each line read from standard input, as it arrives.")
@click.option("--terminator", type=click.Choice(list(config_mod.TERMINATORS)), default="CR", show_default=True,
              help="What ends each typed line.")
@click.option("--interval", type=float, default=0.2, show_default=True, help="Seconds between two lines.")
@click.option("--escapes", is_flag=True, help=r"Interpret \xNN, \r, \n in lines as raw bytes.")
@click.option("--link", default=None, help="Also make this path a symlink to the pty (a stable port name).")
@click.option("--exit-when-done", is_flag=True, help="Exit after the last line instead of waiting to be killed.")
def sim_scanner_cmd(lines, file_, use_stdin, terminator, interval, escapes, link, exit_when_done):
    """Simulated QR scanner: prints its pty path first, then types lines once a reader opens it."""
    from hardware.sim_scanner import ScannerSim, stdin_lines

    def source():
        yield from lines
        if file_ is not None:
            for raw in file_:
                yield raw.rstrip("\r\n")
        if use_stdin:
            yield from stdin_lines()

    sim = ScannerSim(terminator, interval, escapes=escapes)
    sys.exit(sim.run(source(), link, exit_when_done))


sim_group.add_command(sim_printer_cmd)
sim_group.add_command(sim_scanner_cmd)


def register(main: click.Group) -> None:
    main.add_command(printer_group)
    main.add_command(scanner_group)
    main.add_command(sim_group)
