"""Printer benchmark: bytes per layout, time on a 9600-baud wire, native QR vs raster QR.

Goals (issue 4): the deposit receipt is <= 1,200 bytes and <= 1.5 s at 9600 baud; printing its QR
as a raster image instead of the printer's native QR command makes it >= 3x bigger. Also measured:
the deposit receipt sent by the real print service (status checks included) over a pty into the
printer simulator emulating a 9600-baud line. Exits 1 when a goal is missed.

Run: ``.venv/bin/python bench/printer.py``
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.report import exit_code, figure  # noqa: E402
from hardware import layouts, samples  # noqa: E402
from hardware.escpos_doc import PaperProfile  # noqa: E402

BAUD = 9600
MAX_BYTES, MAX_SECONDS, MIN_RATIO = 1200, 1.5, 3.0


def wire_seconds(n: int, baud: int = BAUD) -> float:
    return n * 10 / baud  # 8N1: 10 bits per byte


def measured_over_pty() -> float:
    """Seconds for PrintService.print("deposit") into the simulator throttled to 9600 baud."""
    from hardware.simproc import spawn_printer_sim
    from kiosk.config import Config
    from kiosk.printing import PrintService
    from kiosk.store import Store

    with tempfile.TemporaryDirectory() as tmp:
        cfg = Config(data_dir=Path(tmp))
        cfg.printer.baud = BAUD
        store = Store(Path(tmp) / "kiosk.db", "bench")
        with spawn_printer_sim(Path(tmp) / "paper", "--baud", str(BAUD)) as sim:
            cfg.printer.port = sim.path
            svc = PrintService(cfg, store)
            svc.print("deposit", samples.deposit(), ref="warm-up")
            sim.wait_for("receipt")
            t0 = time.perf_counter()
            svc.print("deposit", samples.deposit(), ref="bench")
            elapsed = time.perf_counter() - t0
            sim.wait_for("receipt")
        store.close()
    return elapsed


def main() -> int:
    print(f"{'layout':<10} {'80 mm bytes':>12} {'s @9600':>8} {'58 mm bytes':>12} {'s @9600':>8}")
    for kind, data in samples.all_samples().items():
        b80, b58 = len(layouts.render(data, 80)), len(layouts.render(data, 58))
        print(f"{kind:<10} {b80:>12} {wire_seconds(b80):>8.2f} {b58:>12} {wire_seconds(b58):>8.2f}")

    ok = True
    native = len(layouts.render(samples.deposit(), PaperProfile(80)))
    raster = len(layouts.render(samples.deposit(), PaperProfile(80, native_qr=False)))
    with_logo = len(layouts.render(samples.deposit(), PaperProfile(80, logo="img/logo.png")))
    ratio = raster / native
    print()
    print(f"deposit receipt, native QR : {native:>6} bytes  {wire_seconds(native):5.2f} s @9600  "
          f"(limit {MAX_BYTES} bytes: {native / MAX_BYTES:.0%}; limit {MAX_SECONDS} s: "
          f"{wire_seconds(native) / MAX_SECONDS:.0%})")
    print(f"deposit receipt, raster QR : {raster:>6} bytes  {wire_seconds(raster):5.2f} s @9600")
    print(f"raster / native            : {ratio:6.1f}x  (goal >= {MIN_RATIO:.0f}x)")
    print(f"deposit receipt + logo     : {with_logo:>6} bytes  {wire_seconds(with_logo):5.2f} s @9600  (optional)")
    measured = measured_over_pty()
    print(f"measured over pty @9600    : {measured:6.2f} s  (print service incl. status checks; "
          f"limit {MAX_SECONDS} s: {measured / MAX_SECONDS:.0%})")
    if native > MAX_BYTES or wire_seconds(native) > MAX_SECONDS:
        print("FAIL: deposit receipt over the byte/time budget")
        ok = False
    if measured > MAX_SECONDS:
        print("FAIL: measured deposit print over the time budget")
        ok = False
    if ratio < MIN_RATIO:
        print("FAIL: native QR is not >= 3x smaller than raster")
        ok = False
    figure("deposit receipt, native QR, 80 mm", native, "bytes", MAX_BYTES)
    figure("deposit receipt on the wire @9600", wire_seconds(native), "s", MAX_SECONDS)
    figure("deposit receipt printed over a pty @9600", measured, "s", MAX_SECONDS)
    figure("raster QR / native QR bytes", ratio, "x", MIN_RATIO, higher_is_better=True)
    print("OK" if ok else "NOT OK")
    return 0 if ok and exit_code() == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
