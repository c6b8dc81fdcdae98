"""The scanner reader: framing, duplicates, garbage, unplug/replug — over pyserial and real ptys."""

from __future__ import annotations

import logging
import queue
import threading
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hardware.scanner import ScannerReader, clean_line

TICKET = "LT1.LPS-DEMO.0193a1f2-7c4e-7b21-9d3a-5e8f00c1d2e3.20261129.P.Zk3pQm8vR2xYb1NhT0Vw"


class Collector:
    def __init__(self):
        self.q: queue.Queue[str] = queue.Queue()
        self.threads: set[str] = set()

    def __call__(self, text: str) -> None:
        self.threads.add(threading.current_thread().name)
        self.q.put(text)

    def take(self, n: int, timeout: float = 10.0) -> list[str]:
        out, deadline = [], time.monotonic() + timeout
        while len(out) < n:
            try:
                out.append(self.q.get(timeout=max(0.01, deadline - time.monotonic())))
            except queue.Empty:
                raise AssertionError(f"got only {out!r} of {n} lines within {timeout}s") from None
        return out

    def none_within(self, seconds: float) -> bool:
        try:
            extra = self.q.get(timeout=seconds)
        except queue.Empty:
            return True
        raise AssertionError(f"unexpected line {extra!r}")


def wait_until(cond, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


def test_pyserial_loop_framing_with_split_writes():
    got = Collector()
    with ScannerReader("loop://", 9600, "CRLF", got, dedupe_window_s=0) as reader:
        assert reader.connected.wait(5)
        for part in (b"TICK", b"ET-1\r", b"\nTICKET-2\r\nTICK", b"ET-3\r\n"):
            reader._serial.write(part)
            time.sleep(0.05)
        assert got.take(3) == ["TICKET-1", "TICKET-2", "TICKET-3"]
    assert got.threads == {"scanner:loop://"}, "on_line runs on the reader thread"


@pytest.mark.parametrize("terminator", ["CR", "LF", "CRLF"])
def test_lines_from_the_scanner_simulator_over_a_pty(scanner_sim, terminator):
    sim = scanner_sim(TICKET, "BK7Q2M", "P-017", terminator=terminator)
    got = Collector()
    with ScannerReader(sim.path, 9600, terminator, got, dedupe_window_s=0):
        assert got.take(3) == [TICKET, "BK7Q2M", "P-017"]


def test_crlf_scanner_works_with_cr_or_lf_config(scanner_sim):
    sim = scanner_sim("ONE", "TWO", terminator="CRLF")
    got = Collector()
    with ScannerReader(sim.path, 9600, "LF", got):
        assert got.take(2) == ["ONE", "TWO"]


def test_duplicate_scans_within_the_window_are_collapsed():
    now = [100.0]
    got = Collector()
    reader = ScannerReader("unused", on_line=got, dedupe_window_s=3, clock=lambda: now[0])
    reader.feed(b"A\rA\r")          # scanner fires twice for one swipe
    now[0] += 2.0
    reader.feed(b"A\rB\r")          # held under the scanner: still the same scan; B is new
    now[0] += 2.9
    reader.feed(b"A\r")             # 2.9 s after the latest A: still collapsed
    now[0] += 3.1
    reader.feed(b"A\r")             # a real second scan
    assert got.take(3) == ["A", "B", "A"]
    assert got.none_within(0.05)
    assert reader.stats["duplicates"] == 3


def test_real_duplicates_over_a_pty(scanner_sim):
    sim = scanner_sim("DUP", "DUP", "DUP", "OTHER")
    got = Collector()
    with ScannerReader(sim.path, 9600, "CR", got, dedupe_window_s=3):
        assert got.take(2) == ["DUP", "OTHER"]
        assert got.none_within(0.3)


def test_garbage_overlong_and_non_utf8_are_rejected_with_a_log_line(scanner_sim, caplog):
    caplog.set_level(logging.WARNING, logger="hardware.scanner")
    sim = scanner_sim(r"\xff\xfe\x80", "A" * 600, r"BAD\x00NUL", r"\x1b[2J", "GOOD-1", "Ünïcode-OK",
                      extra=("--escapes",))
    got = Collector()
    with ScannerReader(sim.path, 9600, "CR", got, max_line=512) as reader:
        assert got.take(2) == ["GOOD-1", "Ünïcode-OK"]
        assert reader.stats["rejected"] == 4
    text = caplog.text
    assert "not valid UTF-8" in text and "longer than 512 bytes" in text and "U+0000" in text and "U+001B" in text


def test_unplug_and_replug_reconnects(scanner_sim, tmp_path):
    link = tmp_path / "ttyACM-scanner"
    states: list[str] = []
    got = Collector()
    first = scanner_sim("BEFORE", link=link)
    with ScannerReader(str(link), 9600, "CR", got, reconnect_s=0.1, on_state=states.append) as reader:
        assert got.take(1) == ["BEFORE"]
        first.kill()  # USB unplugged: the device vanishes ...
        link.unlink()  # ... and udev removes its by-id name (a dangling name could point at a reused pty)
        wait_until(lambda: "disconnected" in states)
        assert not reader.connected.is_set()
        tries = reader.stats["failed_opens"]
        wait_until(lambda: reader.stats["failed_opens"] >= tries + 2)  # it keeps retrying, without crashing
        assert reader._thread.is_alive()
        scanner_sim("AFTER", link=link)  # plugged back in: a new pty behind the same name
        assert got.take(1, timeout=15) == ["AFTER"]
        assert reader.connected.is_set()
    assert states[:3] == ["connected", "disconnected", "connected"]


def test_a_failing_callback_does_not_stop_the_reader():
    seen = []

    def on_line(text):
        seen.append(text)
        raise RuntimeError("UI bug")

    reader = ScannerReader("unused", on_line=on_line, dedupe_window_s=0)
    reader.feed(b"ONE\rTWO\r")
    assert seen == ["ONE", "TWO"]


_good = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=80)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(_good.map(lambda s: ("good", s)), st.binary(max_size=700).map(lambda b: ("junk", b))),
                max_size=12),
       st.sampled_from(["CR", "LF", "CRLF"]),
       st.integers(min_value=1, max_value=7))
def test_hypothesis_garbage_never_crashes_and_good_lines_get_through(segments, terminator, split):
    term = {"CR": b"\r", "LF": b"\n", "CRLF": b"\r\n"}[terminator]
    delivered: list[str] = []
    reader = ScannerReader("unused", terminator=terminator, on_line=delivered.append, dedupe_window_s=0,
                           max_line=512)
    stream = b"".join((s.encode() if kind == "good" else s.replace(term, b"")) + term for kind, s in segments)
    for i in range(0, len(stream), split * 97):
        reader.feed(stream[i:i + split * 97])
    for text in delivered:
        assert clean_line(text.encode("utf-8"), 512) == (text, "")
    goods = iter(delivered)
    for kind, s in segments:  # every good line arrives, in order (junk in between may or may not be text)
        if kind == "good":
            assert s in goods


def test_scanner_sim_types_stdin_lines_as_they_arrive(scanner_sim):
    sim = scanner_sim(stdin=True)
    got = Collector()
    with ScannerReader(sim.path, 9600, "CR", got, dedupe_window_s=0):
        sim.send("FROM-STDIN-1")
        assert got.take(1) == ["FROM-STDIN-1"]
        sim.send("FROM-STDIN-2")
        assert got.take(1) == ["FROM-STDIN-2"]
