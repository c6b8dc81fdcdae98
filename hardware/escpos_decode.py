"""An incremental ESC/POS decoder: bytes in, receipts (styled lines, QR codes, images, cut) out.

Used by the printer simulator (which also answers the ``DLE EOT`` status requests this decoder
reports) and by the tests. It understands what thermal receipt printers commonly receive: text and
line feeds, ``ESC @ ! E - a t d J M G 2 3 { $``, ``GS ! B V v0 L W k``, ``GS ( k`` (QR), ``GS ( L`` /
``GS 8 L`` (skipped), ``DLE EOT``, ``DLE ENQ``, ``DLE DC4``, ``FS p``. An unknown command is logged
and skipped, never fatal.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from core.errors import DataError

log = logging.getLogger(__name__)

ESC, GS, DLE, FS = 0x1B, 0x1D, 0x10, 0x1C
EOT, ENQ, DC4 = 0x04, 0x05, 0x14
_EC = {48: "L", 49: "M", 50: "Q", 51: "H"}
_CODEPAGES = {0: "cp437", 2: "cp850", 3: "cp860", 16: "cp1252", 17: "cp866", 19: "cp858"}
# ESC commands with a fixed number of parameter bytes.
_ESC_FIXED = {
    0x20: 1, 0x21: 1, 0x25: 1, 0x2D: 1, 0x32: 0, 0x33: 1, 0x3C: 0, 0x3D: 1, 0x3F: 1, 0x40: 0, 0x44: None,
    0x45: 1, 0x47: 1, 0x4A: 1, 0x4B: 1, 0x4C: 0, 0x4D: 1, 0x52: 1, 0x53: 0, 0x54: 1, 0x55: 1, 0x56: 1,
    0x5C: 2, 0x61: 1, 0x63: 2, 0x64: 1, 0x65: 1, 0x69: 0, 0x6D: 0, 0x70: 3, 0x74: 1, 0x75: 1, 0x76: 0,
    0x7B: 1, 0x24: 2,
}
_GS_FIXED = {0x21: 1, 0x42: 1, 0x48: 1, 0x49: 1, 0x4C: 2, 0x50: 2, 0x57: 2, 0x61: 1, 0x62: 1, 0x66: 1,
             0x68: 1, 0x72: 1, 0x77: 1, 0x3A: 0, 0x24: 2, 0x5C: 2, 0x5E: 3}


class NeedMore(DataError):
    """The buffer ends inside a command; wait for more bytes."""


@dataclass
class Span:
    text: str
    bold: bool = False
    underline: bool = False
    invert: bool = False
    width: int = 1
    height: int = 1


@dataclass
class Line:
    spans: list[Span] = field(default_factory=list)
    align: str = "left"

    @property
    def text(self) -> str:
        return "".join(s.text for s in self.spans)

    @property
    def cells(self) -> int:
        return sum(len(s.text) * s.width for s in self.spans)

    @property
    def height(self) -> int:
        return max((s.height for s in self.spans), default=1)


@dataclass
class QRBlock:
    payload: str
    size: int = 3
    ec: str = "L"
    model: int = 2
    align: str = "left"


@dataclass
class ImageBlock:
    width: int
    height: int
    data: bytes  # 1 bit per dot, rows of ceil(width / 8) bytes, MSB first, 1 = black
    align: str = "left"


@dataclass
class BarcodeBlock:
    kind: int
    data: str
    align: str = "left"


@dataclass
class Feed:
    lines: int = 1


@dataclass
class Receipt:
    """Everything between two cuts. ``partial`` when paper ran out or the job stopped before the cut."""

    blocks: list = field(default_factory=list)
    cut: bool = False
    partial: bool = False
    columns: int = 48

    @property
    def lines(self) -> list[Line]:
        return [b for b in self.blocks if isinstance(b, Line)]

    @property
    def qr_payloads(self) -> list[str]:
        return [b.payload for b in self.blocks if isinstance(b, QRBlock)]

    @property
    def empty(self) -> bool:
        return not any(isinstance(b, (Line, QRBlock, ImageBlock, BarcodeBlock)) for b in self.blocks)

    def find(self, text: str) -> Line | None:
        """The first line containing ``text``."""
        return next((ln for ln in self.lines if text in ln.text), None)

    def as_text(self) -> str:
        """A plain-text picture of the receipt: alignment applied, graphics as ``[QR: ...]``."""
        out = []
        for b in self.blocks:
            if isinstance(b, Line):
                text = "".join(s.text if s.width == 1 else " ".join(s.text) for s in b.spans).rstrip()
                width = self.columns
                if b.align == "center":
                    text = text.center(width).rstrip()
                elif b.align == "right":
                    text = text.rjust(width)
                out.append(text)
            elif isinstance(b, QRBlock):
                out.append(f"[QR {b.ec} x{b.size}: {b.payload}]")
            elif isinstance(b, ImageBlock):
                out.append(f"[IMAGE {b.width}x{b.height}]")
            elif isinstance(b, BarcodeBlock):
                out.append(f"[BARCODE {b.kind}: {b.data}]")
            elif isinstance(b, Feed):
                out.extend([""] * b.lines)
        if self.partial:
            out.append("[PAPER STOPPED HERE]")
        elif self.cut:
            out.append("-" * self.columns + " [CUT]")
        return "\n".join(out) + "\n"


@dataclass
class StatusRequest:
    """``DLE EOT n``: the host wants a real-time status byte (n = 1 printer, 2 offline, 3 error, 4 paper)."""

    n: int


@dataclass
class ReceiptDone:
    receipt: Receipt


class EscPosDecoder:
    """Feed bytes in any chunking; get :class:`StatusRequest` and :class:`ReceiptDone` events back."""

    def __init__(self, columns: int = 48):
        self.columns = columns
        self.buf = bytearray()
        self.receipt = Receipt(columns=columns)
        self.printing = True  # False while paper-out/offline: only real-time commands take effect
        self._init_style()
        self._span_text: list[str] = []
        self._line = Line()
        self._qr = {"size": 3, "ec": "L", "model": 2, "data": b""}

    def _init_style(self) -> None:
        self.bold = self.underline = self.invert = False
        self.width = self.height = 1
        self.align = "left"
        self.codepage = "cp437"

    # -- line assembly -------------------------------------------------------------------------

    def _flush_span(self) -> None:
        if self._span_text:
            self._line.spans.append(Span("".join(self._span_text), self.bold, self.underline, self.invert,
                                         self.width, self.height))
            self._span_text = []

    def _style_change(self) -> None:
        self._flush_span()

    def _newline(self) -> None:
        self._flush_span()
        if self.printing:
            self._line.align = self._line.align if self._line.spans else self.align
            self.receipt.blocks.append(self._line)
        self._line = Line(align=self.align)

    def _text(self, chars: str) -> None:
        if not self.printing:
            return
        for ch in chars:
            if not self._line.spans and not self._span_text:
                self._line.align = self.align
            if self._line.cells + len(self._span_text) * self.width + self.width > self.columns:
                self._newline()  # the printer wraps at the end of the line
                self._line.align = self.align
            self._span_text.append(ch)

    def _block(self, block) -> None:
        if self._line.spans or self._span_text:
            self._newline()
        if self.printing:
            self.receipt.blocks.append(block)

    def _cut(self) -> ReceiptDone | None:
        if self._line.spans or self._span_text:
            self._newline()
        done = None
        if self.printing:
            self.receipt.cut = True
            done = ReceiptDone(self.receipt)
        self.receipt = Receipt(columns=self.columns)
        return done

    def take_partial(self) -> Receipt | None:
        """Stop the current receipt where it is (paper ran out, job abandoned) and return it."""
        if self._line.spans or self._span_text:
            self._newline()
        r, self.receipt = self.receipt, Receipt(columns=self.columns)
        if r.empty:
            return None
        r.partial = True
        return r

    # -- parsing -------------------------------------------------------------------------------

    def feed(self, data: bytes) -> list:
        """Decode ``data``; returns events in order (status requests need an answer right away)."""
        self.buf += data
        events: list = []
        i = 0
        n = len(self.buf)
        while i < n:
            try:
                i = self._step(i, events)
            except NeedMore:
                break
        del self.buf[:i]
        return events

    def _need(self, i: int, count: int) -> None:
        if i + count > len(self.buf):
            raise NeedMore

    def _step(self, i: int, events: list) -> int:
        b = self.buf
        c = b[i]
        if c == 0x0A:
            self._newline()
            return i + 1
        if c == 0x0D:
            return i + 1
        if c == 0x09:
            self._text(" " * (8 - (self._line.cells % 8 or 0)))
            return i + 1
        if c == ESC:
            return self._esc(i)
        if c == GS:
            return self._gs(i, events)
        if c == DLE:
            return self._dle(i, events)
        if c == FS:
            self._need(i, 2)
            if b[i + 1] == 0x70:  # FS p n m: print NV bit image
                self._need(i, 4)
                self._block(ImageBlock(0, 0, b"", self.align))
                return i + 4
            if b[i + 1] in (0x21, 0x2D, 0x43, 0x53, 0x57, 0x3F):
                return i + 3
            return i + 2
        if c < 0x20 or c == 0x7F:
            return i + 1
        j = i
        while j < len(b) and b[j] >= 0x20 and b[j] != 0x7F:
            j += 1
        self._text(bytes(b[i:j]).decode(self.codepage, errors="replace"))
        return j

    def _esc(self, i: int) -> int:
        b = self.buf
        self._need(i, 2)
        cmd = b[i + 1]
        if cmd == 0x2A:  # ESC * m nL nH d1..dk: bit image (column format)
            self._need(i, 5)
            m, count = b[i + 2], b[i + 3] | (b[i + 4] << 8)
            size = count * (3 if m in (32, 33) else 1)
            self._need(i, 5 + size)
            self._block(ImageBlock(count, 24 if m in (32, 33) else 8, b"", self.align))
            return i + 5 + size
        params = _ESC_FIXED.get(cmd)
        if cmd == 0x44:  # ESC D n1..nk NUL: tab positions
            end = b.find(b"\x00", i + 2)
            if end < 0:
                raise NeedMore
            return end + 1
        if params is None:
            log.warning("unknown command ESC 0x%02X skipped", cmd)
            return i + 2
        self._need(i, 2 + params)
        p = b[i + 2:i + 2 + params]
        if cmd == 0x40:  # ESC @
            if self._line.spans or self._span_text:
                self._newline()
            self._init_style()
        elif cmd == 0x21:  # ESC ! n: print mode
            self._style_change()
            v = p[0]
            self.bold, self.underline = bool(v & 0x08), bool(v & 0x80)
            self.height, self.width = (2 if v & 0x10 else 1), (2 if v & 0x20 else 1)
        elif cmd in (0x45, 0x47):  # ESC E / ESC G: emphasis / double strike
            self._style_change()
            self.bold = bool(p[0] & 1)
        elif cmd == 0x2D:
            self._style_change()
            self.underline = bool(p[0] & 3)
        elif cmd == 0x61:  # ESC a n: justification
            self.align = {0: "left", 48: "left", 1: "center", 49: "center", 2: "right", 50: "right"}.get(
                p[0], "left")
            if not self._line.spans and not self._span_text:
                self._line.align = self.align
        elif cmd == 0x74:
            self.codepage = _CODEPAGES.get(p[0], "cp437")
        elif cmd == 0x64:  # ESC d n: print and feed n lines
            if self._line.spans or self._span_text:
                self._newline()
            if self.printing and p[0]:
                self.receipt.blocks.append(Feed(p[0]))
        elif cmd in (0x69, 0x6D):  # ESC i / ESC m: legacy cut
            self._pending_cut = True
        return i + 2 + params

    def _gs(self, i: int, events: list) -> int:
        b = self.buf
        self._need(i, 2)
        cmd = b[i + 1]
        if cmd == 0x28:  # GS ( X pL pH ...
            self._need(i, 5)
            fn_letter, length = b[i + 2], b[i + 3] | (b[i + 4] << 8)
            self._need(i, 5 + length)
            body = bytes(b[i + 5:i + 5 + length])
            if fn_letter == 0x6B:
                self._qr_command(body)
            return i + 5 + length
        if cmd == 0x38 and len(b) > i + 2 and b[i + 2] == 0x4C:  # GS 8 L p1..p4 ...
            self._need(i, 7)
            length = int.from_bytes(b[i + 3:i + 7], "little")
            self._need(i, 7 + length)
            return i + 7 + length
        if cmd == 0x76:  # GS v 0 m xL xH yL yH d...: raster bit image
            self._need(i, 8)
            xb, y = b[i + 4] | (b[i + 5] << 8), b[i + 6] | (b[i + 7] << 8)
            self._need(i, 8 + xb * y)
            self._block(ImageBlock(xb * 8, y, bytes(b[i + 8:i + 8 + xb * y]), self.align))
            return i + 8 + xb * y
        if cmd == 0x56:  # GS V m [n]: cut
            self._need(i, 3)
            m = b[i + 2]
            end = i + 4 if m in (65, 66, 97, 98, 103, 104) else i + 3
            self._need(i, end - i)
            done = self._cut()
            if done:
                events.append(done)
            return end
        if cmd == 0x6B:  # GS k m ...: barcode
            self._need(i, 3)
            m = b[i + 2]
            if m <= 6:
                end = b.find(b"\x00", i + 3)
                if end < 0:
                    raise NeedMore
                data, nxt = bytes(b[i + 3:end]), end + 1
            else:
                self._need(i, 4)
                k = b[i + 3]
                self._need(i, 4 + k)
                data, nxt = bytes(b[i + 4:i + 4 + k]), i + 4 + k
            self._block(BarcodeBlock(m, data.decode("ascii", "replace"), self.align))
            return nxt
        params = _GS_FIXED.get(cmd)
        if params is None:
            log.warning("unknown command GS 0x%02X skipped", cmd)
            return i + 2
        self._need(i, 2 + params)
        p = b[i + 2:i + 2 + params]
        if cmd == 0x21:  # GS ! n: character size
            self._style_change()
            self.width, self.height = (p[0] >> 4) + 1, (p[0] & 0x0F) + 1
        elif cmd == 0x42:  # GS B n: reverse
            self._style_change()
            self.invert = bool(p[0] & 1)
        return i + 2 + params

    def _qr_command(self, body: bytes) -> None:
        if len(body) < 2 or body[0] != 0x31:  # cn = '1' (QR); other 2D codes are ignored
            return
        fn = body[1]
        if fn == 0x41 and len(body) >= 3:
            self._qr["model"] = body[2] - 48
        elif fn == 0x43 and len(body) >= 3:
            self._qr["size"] = body[2]
        elif fn == 0x45 and len(body) >= 3:
            self._qr["ec"] = _EC.get(body[2], "L")
        elif fn == 0x50:
            self._qr["data"] = body[3:]
        elif fn == 0x51:
            payload = self._qr["data"].decode("utf-8", errors="replace")
            self._block(QRBlock(payload, self._qr["size"], self._qr["ec"], self._qr["model"], self.align))

    def _dle(self, i: int, events: list) -> int:
        b = self.buf
        self._need(i, 2)
        cmd = b[i + 1]
        if cmd == EOT:
            self._need(i, 3)
            events.append(StatusRequest(b[i + 2]))
            return i + 3
        if cmd == ENQ:
            self._need(i, 3)
            return i + 3
        if cmd == DC4:
            self._need(i, 3)
            extra = {1: 3, 2: 2, 7: 2, 8: 7}.get(b[i + 2], 1)
            self._need(i, 2 + extra)
            return i + 2 + extra
        return i + 1  # a lone DLE is printed as nothing

    _pending_cut = False


def decode(data: bytes, columns: int = 48) -> list[Receipt]:
    """Every receipt in ``data`` (a trailing uncut one is returned marked ``partial``)."""
    dec = EscPosDecoder(columns)
    out = [e.receipt for e in dec.feed(data) if isinstance(e, ReceiptDone)]
    if dec.buf:
        log.warning("%d undecoded bytes at the end (truncated command)", len(dec.buf))
    tail = dec.take_partial()
    if tail is not None:
        out.append(tail)
    return out


def command_boundaries(data: bytes) -> list[int]:
    """Offsets where one command (or text run) ends and the next begins, ending with ``len(data)``.

    A host may pause or slip a real-time request (``DLE EOT``) in only at these offsets: inside another
    command's parameters the printer would take it as data.
    """
    dec = EscPosDecoder()
    dec.buf = bytearray(data)
    out, i, events = [], 0, []
    while i < len(data):
        try:
            i = dec._step(i, events)
        except NeedMore:
            break
        out.append(i)
    if not out or out[-1] != len(data):
        out.append(len(data))
    return out


def split_safe(data: bytes, chunk: int) -> list[bytes]:
    """``data`` in pieces of about ``chunk`` bytes, cut only at command boundaries."""
    pieces, start = [], 0
    for end in command_boundaries(data):
        if end - start >= chunk:
            pieces.append(data[start:end])
            start = end
    if start < len(data):
        pieces.append(data[start:])
    return pieces
