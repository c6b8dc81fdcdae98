"""A receipt builder on top of python-escpos: styled lines, label/value rows, native QR, logo, cut.

Layouts describe *what* to print; this module turns it into ESC/POS bytes with as few commands as
possible (a style command is sent only when the style changes), because every byte costs time on a
9600-baud serial line. Commands come from python-escpos (its ``Dummy`` printer collects them), text is
transliterated to plain ASCII first so every thermal printer's default code page prints it.
"""

from __future__ import annotations

import copy
import textwrap
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import qrcode
from escpos.constants import QR_ECLEVEL_H, QR_ECLEVEL_L, QR_ECLEVEL_M, QR_ECLEVEL_Q
from escpos.printer import Dummy
from PIL import Image

ESC, GS = b"\x1b", b"\x1d"
INIT = ESC + b"@"
QR_LEVELS = {"L": QR_ECLEVEL_L, "M": QR_ECLEVEL_M, "Q": QR_ECLEVEL_Q, "H": QR_ECLEVEL_H}
_QR_LIB_LEVELS = {"L": qrcode.constants.ERROR_CORRECT_L, "M": qrcode.constants.ERROR_CORRECT_M,
                  "Q": qrcode.constants.ERROR_CORRECT_Q, "H": qrcode.constants.ERROR_CORRECT_H}
# Characters a thermal printer's code page lacks but which have an obvious ASCII stand-in.
_ASCII_SUBST = {"\u2013": "-", "\u2014": "-", "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
                "\u2022": "*", "\u00a0": " ", "\u2026": "...", "\u00d7": "x"}


@dataclass(frozen=True)
class PaperProfile:
    """Paper width: 58 mm = 32 columns / 384 dots, 80 mm = 48 columns / 576 dots (font A, 12 x 24 dots)."""

    width_mm: int = 80
    qr_size: int = 6
    qr_ec: str = "M"
    logo: str = ""  # path of a PNG printed on top of every receipt; empty = no logo
    native_qr: bool = True  # False: send QR codes as raster images (printers without GS ( k)

    @property
    def columns(self) -> int:
        return 32 if self.width_mm == 58 else 48

    @property
    def dots(self) -> int:
        return 384 if self.width_mm == 58 else 576

    @classmethod
    def of(cls, value: PaperProfile | int | None) -> PaperProfile:
        """Accept a profile, a paper width (58/80) or None (80 mm)."""
        if isinstance(value, PaperProfile):
            return value
        if value is None:
            return cls()
        if value not in (58, 80):
            raise ValueError(f"paper width must be 58 or 80 mm, got {value!r}")
        return cls(width_mm=int(value))

    @classmethod
    def from_config(cls, printer_cfg) -> PaperProfile:
        """From the ``[printer]`` section of :class:`kiosk.config.Config`."""
        return cls(width_mm=printer_cfg.paper_width_mm, qr_size=printer_cfg.qr_size, qr_ec=printer_cfg.qr_ec,
                   logo=printer_cfg.logo)


PROFILE_58 = PaperProfile(width_mm=58)
PROFILE_80 = PaperProfile(width_mm=80)


def printable(text: object) -> str:
    """Plain printable ASCII: accents dropped (``José`` -> ``Jose``), controls removed, others ``?``."""
    out = []
    for ch in unicodedata.normalize("NFKD", str(text)):
        if ch in _ASCII_SUBST:
            out.append(_ASCII_SUBST[ch])
        elif unicodedata.combining(ch):
            continue
        elif " " <= ch <= "~":
            out.append(ch)
        elif ch in "\t\n\r":
            out.append(" ")
        elif unicodedata.category(ch).startswith("C"):
            continue
        else:
            out.append("?")
    return "".join(out)


def qr_modules(payload: str, ec: str) -> int:
    """Side length in modules of the smallest QR code holding ``payload`` (what the printer picks)."""
    code = qrcode.QRCode(error_correction=_QR_LIB_LEVELS[ec], border=0)
    code.add_data(payload.encode("utf-8"))
    code.make(fit=True)
    return code.modules_count


def fit_qr_size(payload: str, ec: str, size: int, dots: int) -> int:
    """The largest dot size <= ``size`` at which the code (plus a 4-module quiet zone) fits the paper."""
    modules = qr_modules(payload, ec) + 8
    return max(1, min(size, dots // modules))


class ReceiptBuilder:
    """Collects one receipt's ESC/POS bytes. Style state is tracked so unchanged styles cost nothing."""

    def __init__(self, profile: PaperProfile | int | None = None):
        self.profile = PaperProfile.of(profile)
        self.p = Dummy()
        data = copy.deepcopy(self.p.profile.profile_data)  # tell python-escpos the paper width in dots
        data.setdefault("media", {}).setdefault("width", {})["pixels"] = self.profile.dots
        self.p.profile.profile_data = data
        self.p._raw(INIT)
        self._align = "left"
        self._bold = False
        self._invert = False
        self._size = (1, 1)
        self._codepage_sent = False

    # -- style ---------------------------------------------------------------------------------

    def style(self, align: str | None = None, bold: bool | None = None, invert: bool | None = None,
              size: tuple[int, int] | None = None) -> None:
        if align is not None and align != self._align:
            self.p.set(align=align)
            self._align = align
        if bold is not None and bold != self._bold:
            self.p.set(bold=bold)
            self._bold = bold
        if invert is not None and invert != self._invert:
            self.p.set(invert=invert)
            self._invert = invert
        if size is not None and size != self._size:
            w, h = size
            self.p._raw(GS + b"!" + bytes([((w - 1) << 4) | (h - 1)]))
            self._size = size

    def reset(self) -> None:
        """Back to the power-on style (left, regular, normal size)."""
        self.style(align="left", bold=False, invert=False, size=(1, 1))

    # -- text ----------------------------------------------------------------------------------

    def columns(self, width_mult: int = 1) -> int:
        return self.profile.columns // width_mult

    def _emit(self, text: str) -> None:
        if not self._codepage_sent:  # ESC t 0: PC437, printable ASCII is identical in every code page
            self.p._raw(ESC + b"t\x00")
            self._codepage_sent = True
        self.p._raw(text.encode("ascii"))

    def line(self, text: object = "", *, align: str = "left", bold: bool = False, invert: bool = False,
             size: tuple[int, int] = (1, 1), wrap: bool = True) -> None:
        """One or more printed lines (wrapped at the column count for this character width)."""
        text = printable(text)
        width = self.columns(size[0])
        parts = textwrap.wrap(text, width, break_long_words=True, break_on_hyphens=False) if wrap and text else [text]
        self.style(align=align, bold=bold, invert=invert, size=size)
        for part in parts or [""]:
            if invert and align == "center":
                part = f" {part} "
            self._emit(part[:width].rstrip() if not invert else part[:width])
            self.p._raw(b"\n")

    def center(self, text: object, **kw) -> None:
        self.line(text, align="center", **kw)

    def blank(self, n: int = 1) -> None:
        self.p._raw(b"\n" * n)

    def rule(self, char: str = "-") -> None:
        self.line(char * self.columns(), wrap=False)

    def row(self, label: object, value: object, *, bold: bool = False) -> None:
        """``label .......... value`` on one line; a long value continues right-aligned below."""
        label, value = printable(label), printable(value)
        width = self.columns()
        self.style(align="left", bold=bold, invert=False, size=(1, 1))
        if len(label) + 1 + len(value) <= width:
            self._emit(label + " " * (width - len(label) - len(value)) + value)
            self.p._raw(b"\n")
            return
        for part in textwrap.wrap(label, width) or [""]:
            self._emit(part)
            self.p._raw(b"\n")
        for part in textwrap.wrap(value, width - 2, break_long_words=True) or [""]:
            self._emit(part.rjust(width))
            self.p._raw(b"\n")

    def label_block(self, label: object, value: object) -> None:
        """``Label: value`` with the value wrapped and indented (names, addresses, free text)."""
        label, value = printable(label), printable(value)
        width = self.columns()
        self.style(align="left", bold=False, invert=False, size=(1, 1))
        lines = textwrap.wrap(f"{label}: {value}", width, subsequent_indent="  ", break_long_words=True)
        for part in lines:
            self._emit(part)
            self.p._raw(b"\n")

    def bullet(self, text: object, mark: str = "-") -> None:
        """``- text`` with continuation lines indented under the text."""
        text = printable(text)
        self.style(align="left", bold=False, invert=False, size=(1, 1))
        for part in textwrap.wrap(f"{mark} {text}", self.columns(), subsequent_indent="  ") or [""]:
            self._emit(part)
            self.p._raw(b"\n")

    # -- graphics ------------------------------------------------------------------------------

    def qr(self, payload: str, *, native: bool | None = None, size: int | None = None, ec: str | None = None) -> None:
        """A centred QR code. Native = the printer draws it from ``GS ( k`` (a few bytes); otherwise a
        raster image is sent (used only to measure the difference)."""
        ec = ec or self.profile.qr_ec
        native = self.profile.native_qr if native is None else native
        size = fit_qr_size(payload, ec, size or self.profile.qr_size, self.profile.dots)
        self.style(align="center", bold=False, invert=False, size=(1, 1))
        if native:
            self.p.qr(payload, ec=QR_LEVELS[ec], size=size, native=True)
            self.p._raw(b"\n")
        else:
            self.p.qr(payload, ec=QR_LEVELS[ec], size=size, native=False,
                      image_arguments={"center": False, "impl": "bitImageRaster", "fragment_height": 960})

    def logo(self, path: str | Path) -> None:
        """A raster logo, scaled down to at most half the paper width."""

        with Image.open(path) as src:
            img = Image.new("RGBA", src.size, "white")
            img.alpha_composite(src.convert("RGBA"))  # transparent parts print as paper
            img = img.convert("L")
            max_w = self.profile.dots // 2
            if img.width > max_w:
                img = img.resize((max_w, max(1, img.height * max_w // img.width)))
            self.style(align="center")
            self.p.image(img, impl="bitImageRaster", center=False, fragment_height=960)

    def cut(self) -> None:
        self.reset()
        self.p.cut()  # ESC d 6 (feed past the cutter) + GS V 0

    def output(self) -> bytes:
        return self.p.output
