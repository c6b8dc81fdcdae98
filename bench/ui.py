"""UI benchmark (issue 6): cold start vs a bare Kivy hello-world, tap-to-next-screen p95, RSS after 100
registrations. Runs under its own Xvfb when no DISPLAY is set. Prints each figure beside its limit.

    .venv/bin/python bench/ui.py [--starts 5] [--taps 40] [--registrations 100]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.report import exit_code, figure  # noqa: E402

LIMIT_START_RATIO = 2.0
LIMIT_TAP_P95_MS = 100.0
LIMIT_RSS_MB = 200.0

# A child process: start an app, print READY <seconds since process start> once the first frame is drawn.
CHILD = r'''
import os, sys, time
T0 = float(sys.argv[2])
sys.path.insert(0, sys.argv[3])
from kiosk.ui import kivy_env
kivy_env.prepare(__import__("pathlib").Path(sys.argv[4]), windowed=True)
from kivy.clock import Clock
from kivy.core.window import Window
def ready(*_a):
    with open("/proc/self/statm") as f:  # resident pages (what psutil reports, without importing it)
        rss = int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    print("READY", time.time() - T0, rss, flush=True)
    Clock.schedule_once(lambda _dt: app.stop(), 0)
if sys.argv[1] == "hello":
    from kivy.app import App
    from kivy.uix.label import Label
    class Hello(App):
        def build(self):
            return Label(text="Halo")
    app = Hello()
else:
    from kiosk import config
    from kiosk.ui.app import KioskApp
    app = KioskApp(config.load(sys.argv[5]))
def first_frame(*_a):
    Window.unbind(on_flip=first_frame)
    Clock.schedule_once(ready, 0)
Window.bind(on_flip=first_frame)
app.run()
'''


def pct(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def lapas_init(data_dir: Path) -> None:
    subprocess.run([sys.executable, "-m", "lapas", "init", "--data-dir", str(data_dir)], check=True,
                   capture_output=True, cwd=ROOT)


RSS_AT_START: dict[str, list[float]] = {}


def cold_starts(kind: str, n: int, data_dir: Path, tmp: Path) -> list[float]:
    out = []
    for i in range(n):
        t0 = time.time()
        child = tmp / "child_start.py"
        child.write_text(CHILD)
        proc = subprocess.run([sys.executable, str(child), kind, repr(t0), str(ROOT), str(tmp / f"kh-{kind}-{i}"),
                               str(data_dir)], capture_output=True, text=True, timeout=120, cwd=ROOT)
        line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("READY")), None)
        if line is None:
            raise SystemExit(f"{kind} start failed:\n{proc.stdout}\n{proc.stderr[-3000:]}")
        out.append(float(line.split()[1]))
        RSS_AT_START.setdefault(kind, []).append(float(line.split()[2]))
    return out


def tap_latencies(data_dir: Path, taps: int) -> tuple[list[float], str]:
    """Tap -> next screen drawn, in this process through the real window input queue."""
    from kivy.core.window import Window

    from kiosk import config
    from kiosk.ui.app import KioskApp
    from tests.support.harness import Harness

    h = Harness(KioskApp(config.load(data_dir))).start()
    app = h.app
    drawn = []
    Window.bind(on_flip=lambda *_a: drawn.append(time.perf_counter()))

    changed_at = []  # number of frames flipped when the screen changed
    app.sm.bind(current=lambda *_a: changed_at.append(len(drawn)))

    def timed_tap(widget, target: str) -> float:
        """From the touch to the end of the first frame drawn after the screen changed."""
        from kivy.base import EventLoop

        from tests.support.harness import Touch

        x, y = widget.to_window(*widget.center)
        t = Touch(x, y)
        changed_at.clear()
        t0 = time.perf_counter()
        EventLoop._dispatch_input("begin", t)
        EventLoop._dispatch_input("end", t)
        while not changed_at or len(drawn) <= changed_at[-1]:
            EventLoop.idle()
        assert app.sm.current == target, (app.sm.current, target)
        return (drawn[changed_at[-1]] - t0) * 1000

    results = []
    tile_names = [t.screen for t in __import__("kiosk.ui.tiles", fromlist=["tiles"]).tiles(app)]
    what = "home tile -> first registration screen" if tile_names else "emblem (5th tap) -> PIN screen"
    for _ in range(taps):
        h.pump(5)  # a person's next tap comes frames later, after the layout settled
        if tile_names:
            tile = next(w for w in app.sm.get_screen("home").ids.tiles.children if w.tile_key == "visit")
            results.append(timed_tap(tile, "visit_nik"))
        else:
            for _i in range(4):
                h.tap(app.root.ids.emblem, count=False)
            results.append(timed_tap(app.root.ids.emblem, "maintenance_pin"))
        h.pump(5)
        cancel = next(w for w in __import__("tests.support.harness", fromlist=["walk"]).walk(app.sm.current_screen)
                      if getattr(w, "text", "") in ("Batal", "Cancel"))
        results.append(timed_tap(cancel, "home"))
    h.stop()
    return results, what + " and Cancel -> home"


def rss_mb() -> float:
    """This process's resident set size, from /proc (importing psutil would add ~2.6 MB to what is measured)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def registrations_rss(data_dir: Path, count: int, doc: dict | None) -> tuple[float, float] | None:
    """RSS before and after ``count`` registrations driven through the UI (None without the visits core)."""
    from kiosk import config
    from kiosk.ui.app import KioskApp
    from tests.support.harness import Harness
    from tests.ui.flows import register_once  # the same scripted flow the UI tests use

    h = Harness(KioskApp(config.load(data_dir))).start()
    before = rss_mb()
    for i in range(count):
        register_once(h, i, doc=doc)
    h.sleep(3)  # the kiosk idles at home after the last visitor (it gives freed memory back after 2 s)
    after = rss_mb()
    h.stop()
    return before, after


def rss_child(data_dir: Path, count: int) -> None:
    """Child process: RSS before and after ``count`` registrations through the UI; prints ``RSS before after``."""
    from kiosk.ui import kivy_env, xvfb

    display = xvfb.start()
    try:
        with tempfile.TemporaryDirectory(prefix="lapas-bench-kh-") as kh:
            kivy_env.prepare(Path(kh), windowed=True)
            doc = json.loads((data_dir.parent / "reference-for-rss.json").read_text(encoding="utf-8"))
            before, after = registrations_rss(data_dir, count, doc)
            print(f"RSS {before:.1f} {after:.1f}", flush=True)
    except BaseException:
        import traceback

        traceback.print_exc(file=sys.stdout)
        sys.stdout.flush()
        xvfb.stop(display)
        os._exit(1)
    xvfb.stop(display)
    os._exit(0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--starts", type=int, default=5)
    ap.add_argument("--taps", type=int, default=40)
    ap.add_argument("--registrations", type=int, default=100)
    ap.add_argument("--rss-child", default=None, help=argparse.SUPPRESS)  # internal: the RSS run, own process
    args = ap.parse_args()
    if args.rss_child:
        rss_child(Path(args.rss_child), args.registrations)

    from tests.support import xvfb

    display = xvfb.start()
    try:
        with tempfile.TemporaryDirectory(prefix="lapas-bench-ui-") as tmp_s:
            tmp = Path(tmp_s)
            data_dir = tmp / "kiosk"
            lapas_init(data_dir)
            from kiosk.ui import kivy_env

            kivy_env.prepare(tmp / "kh-main", windowed=True)  # before anything imports Kivy here
            doc = None
            if True:  # demo reference data, so the home screen has its real tiles
                from tests.ui.flows import prepare_demo

                doc = prepare_demo(data_dir, walk_in_quota=max(200, 2 * args.registrations))
            hello = cold_starts("hello", args.starts, data_dir, tmp)
            kiosk = cold_starts("kiosk", args.starts, data_dir, tmp)
            h_med, k_med = statistics.median(hello), statistics.median(kiosk)
            ratio = k_med / h_med
            print(f"cold start to first frame: kiosk home median {k_med * 1000:.0f} ms, bare Kivy hello-world "
                  f"median {h_med * 1000:.0f} ms (n={args.starts}); ratio {ratio:.2f} (limit {LIMIT_START_RATIO}) "
                  f"{'OK' if ratio <= LIMIT_START_RATIO else 'OVER'}")
            figure("cold start: kiosk / bare Kivy hello-world", ratio, "x", LIMIT_START_RATIO)

            lat, what = tap_latencies(data_dir, args.taps)
            p50, p95 = pct(lat, 50), pct(lat, 95)
            print(f"tap to next screen drawn ({what}, n={len(lat)}): p50 {p50:.1f} ms, p95 {p95:.1f} ms "
                  f"(limit {LIMIT_TAP_P95_MS:.0f} ms) {'OK' if p95 <= LIMIT_TAP_P95_MS else 'OVER'}; "
                  f"p95/limit {p95 / LIMIT_TAP_P95_MS:.2f}")
            figure("tap to next screen drawn, p95", p95, "ms", LIMIT_TAP_P95_MS)

            rss = None
            if doc is not None:  # in a fresh process, so nothing from the runs above is counted
                json_path = tmp / "reference-for-rss.json"
                json_path.write_text(json.dumps(doc), encoding="utf-8")
                proc = subprocess.run([sys.executable, __file__, "--rss-child", str(data_dir), "--registrations",
                                       str(args.registrations)], capture_output=True, text=True, timeout=1500)
                line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("RSS ")), None)
                if line is None:
                    raise SystemExit(f"RSS run failed:\n{proc.stdout[-4000:]}")
                rss = tuple(float(x) for x in line.split()[1:3])
            if rss is None:
                print("RSS after registrations: not measured (the visits core, kiosk.domain.visits, is not built yet)")
            else:
                before, after = rss
                bare = statistics.median(RSS_AT_START["hello"])
                print(f"RSS after {args.registrations} registrations through the UI: {after:.0f} MB (before "
                      f"{before:.0f} MB; limit {LIMIT_RSS_MB:.0f} MB) {'OK' if after <= LIMIT_RSS_MB else 'OVER'}; "
                      f"ratio {after / LIMIT_RSS_MB:.2f}; for scale: a bare Kivy hello-world window here is "
                      f"{bare:.0f} MB (Xvfb + Mesa llvmpipe)")
                figure(f"RSS after {args.registrations} registrations (idle at home)", after, "MB", LIMIT_RSS_MB)
    except BaseException:
        import traceback

        traceback.print_exc(file=sys.stdout)
        xvfb.stop(display)
        sys.stdout.flush()
        os._exit(1)
    xvfb.stop(display)
    sys.stdout.flush()
    os._exit(exit_code())  # Kivy's window teardown at interpreter exit is slow and noisy


if __name__ == "__main__":
    main()
