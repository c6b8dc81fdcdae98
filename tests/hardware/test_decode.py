"""The ESC/POS decoder the simulator relies on: chunking, safe split points, hostile input."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from hardware import layouts, samples
from hardware.escpos_decode import (
    EscPosDecoder,
    ReceiptDone,
    StatusRequest,
    command_boundaries,
    decode,
    split_safe,
)

TICKET = layouts.render(samples.ticket(), 80)


def test_any_chunking_gives_the_same_receipt():
    whole = decode(TICKET)[0].as_text()
    for size in (1, 2, 3, 7, 64, 255):
        dec = EscPosDecoder()
        done = []
        for i in range(0, len(TICKET), size):
            done += [e.receipt for e in dec.feed(TICKET[i:i + size]) if isinstance(e, ReceiptDone)]
        assert len(done) == 1 and done[0].as_text() == whole, size


def test_status_requests_are_reported_between_commands():
    dec = EscPosDecoder()
    events = dec.feed(b"\x1b@ABC\x10\x04\x01DEF\n\x10\x04\x04")
    assert [e.n for e in events if isinstance(e, StatusRequest)] == [1, 4]


def test_safe_split_never_cuts_inside_a_command():
    pieces = split_safe(TICKET, 64)
    assert b"".join(pieces) == TICKET
    cuts = set(command_boundaries(TICKET))
    pos = 0
    for p in pieces[:-1]:
        pos += len(p)
        assert pos in cuts
    # a status request slipped in at each split point still decodes to the same receipt
    dec = EscPosDecoder()
    events = []
    for p in pieces:
        events += dec.feed(p + b"\x10\x04\x01")
    receipts = [e.receipt for e in events if isinstance(e, ReceiptDone)]
    assert receipts[0].qr_payloads == [samples.TICKET_QR]
    assert sum(isinstance(e, StatusRequest) for e in events) == len(pieces)


def test_a_status_request_inside_qr_data_corrupts_it_like_on_a_real_printer():
    i = TICKET.index(b"1P0") + 20
    broken = TICKET[:i] + b"\x10\x04\x01" + TICKET[i:]
    r = decode(broken)[0]
    assert r.qr_payloads and r.qr_payloads[0] != samples.TICKET_QR


def test_paper_out_stops_printing_but_keeps_answering():
    dec = EscPosDecoder()
    dec.feed(TICKET[:300])
    partial = dec.take_partial()
    assert partial.partial and partial.find("LAPAS KELAS IIA DEMO")
    dec.printing = False
    events = dec.feed(TICKET[300:] + b"\x10\x04\x04")
    assert [type(e) for e in events] == [StatusRequest]


def test_unknown_commands_and_truncation_are_survived():
    r = decode(b"\x1b@\x1b\xffHello\n\x1d\xfeWorld\n\x1dV\x00" + b"\x1d(k\x05\x00")
    assert [ln.text for ln in r[0].lines] == ["Hello", "World"]


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_garbage_never_crashes_the_decoder(data):
    dec = EscPosDecoder(32)
    dec.feed(data)
    dec.feed(b"\x1b@")
    dec.take_partial()
    for r in decode(data, 48):
        r.as_text()
