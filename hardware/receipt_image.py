"""Draw a decoded receipt as a PNG, the way a thermal printer would put it on paper.

Font A cells are 12 x 24 dots (48 columns on 80 mm = 576 dots, 32 on 58 mm = 384 dots). Character
size multipliers scale the cell; QR codes are drawn by the ``qrcode`` library from the decoded payload
with the decoded module size and error correction, so the picture scans like the paper would.
"""

from __future__ import annotations

import sysconfig
from functools import lru_cache
from pathlib import Path

import qrcode
from PIL import Image, ImageDraw, ImageFont

from hardware.escpos_decode import BarcodeBlock, Feed, ImageBlock, Line, QRBlock, Receipt, Span

CELL_W, CELL_H = 12, 24
BASELINE = 18  # dots from the top of a cell; leaves room for descenders
MARGIN = 16
_EC = {"L": qrcode.constants.ERROR_CORRECT_L, "M": qrcode.constants.ERROR_CORRECT_M,
       "Q": qrcode.constants.ERROR_CORRECT_Q, "H": qrcode.constants.ERROR_CORRECT_H}


def _font_candidates() -> list[Path]:
    """Kivy's monospace font when Kivy is installed beside us (found on disk, not imported), else DejaVu Mono."""
    out = [Path(sysconfig.get_paths()["purelib"]) / "kivy" / "data" / "fonts" / "RobotoMono-Regular.ttf"]
    out.append(Path("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"))
    return out


@lru_cache(maxsize=1)
def _font() -> ImageFont.ImageFont:
    for path in _font_candidates():
        if path.exists():
            return ImageFont.truetype(str(path), 19)
    return ImageFont.load_default()


def _draw_span_cell_text(text: str, bold: bool, invert: bool, underline: bool) -> Image.Image:
    """Text at 1x size on its own strip of ``len(text)`` cells."""
    img = Image.new("L", (max(1, len(text)) * CELL_W, CELL_H), 0 if invert else 255)
    draw = ImageDraw.Draw(img)
    ink = 255 if invert else 0
    font = _font()
    for k, ch in enumerate(text):
        draw.text((k * CELL_W, BASELINE), ch, font=font, fill=ink, anchor="ls", stroke_width=1 if bold else 0,
                  stroke_fill=ink)
    if underline:
        draw.line([(0, CELL_H - 2), (img.width, CELL_H - 2)], fill=ink, width=1)
    return img


def _line_image(line: Line, dots: int) -> Image.Image:
    height = line.height * CELL_H
    img = Image.new("L", (dots, height), 255)
    x_total = line.cells * CELL_W
    x = {"center": (dots - x_total) // 2, "right": dots - x_total}.get(line.align, 0)
    x = max(0, x)
    for span in line.spans:
        strip = _draw_span_cell_text(span.text, span.bold, span.invert, span.underline)
        if span.width != 1 or span.height != 1:
            strip = strip.resize((strip.width * span.width, strip.height * span.height), Image.NEAREST)
        img.paste(strip, (x, height - strip.height))
        x += strip.width
    return img


def _qr_image(block: QRBlock) -> Image.Image:
    code = qrcode.QRCode(error_correction=_EC.get(block.ec, _EC["L"]), box_size=max(1, block.size), border=4)
    code.add_data(block.payload.encode("utf-8"))
    code.make(fit=True)
    return code.make_image(fill_color="black", back_color="white").get_image().convert("L")


def _raster_image(block: ImageBlock) -> Image.Image:
    if not block.width or not block.height or not block.data:
        img = Image.new("L", (max(block.width, 96), max(block.height, 24)), 255)
        ImageDraw.Draw(img).rectangle([0, 0, img.width - 1, img.height - 1], outline=0)
        return img
    mono = Image.frombytes("1", (block.width, block.height), block.data)
    return Image.eval(mono.convert("L"), lambda v: 255 - v)  # ESC/POS: 1 = black dot


def _place(img: Image.Image, align: str, dots: int) -> tuple[Image.Image, int]:
    x = {"center": (dots - img.width) // 2, "right": dots - img.width}.get(align, 0)
    return img, max(0, x)


def render_png(receipt: Receipt, path: str | Path, dots: int | None = None) -> Path:
    """Write ``receipt`` as a PNG (``dots`` wide plus a white margin) and return the path."""
    dots = dots or receipt.columns * CELL_W
    pieces: list[tuple[Image.Image, int]] = []
    for block in receipt.blocks:
        if isinstance(block, Line):
            pieces.append((_line_image(block, dots), 0))
        elif isinstance(block, QRBlock):
            pieces.append(_place(_qr_image(block), block.align, dots))
        elif isinstance(block, ImageBlock):
            pieces.append(_place(_raster_image(block), block.align, dots))
        elif isinstance(block, BarcodeBlock):
            pieces.append((_line_image(Line([_span(f"|||| {block.data} ||||")], block.align), dots), 0))
        elif isinstance(block, Feed):
            pieces.append((Image.new("L", (dots, CELL_H * block.lines), 255), 0))
    height = sum(p.height for p, _ in pieces) + 2 * MARGIN + (CELL_H if receipt.partial else 0)
    page = Image.new("L", (dots + 2 * MARGIN, max(height, 2 * MARGIN + CELL_H)), 255)
    y = MARGIN
    for piece, x in pieces:
        page.paste(piece, (MARGIN + x, y))
        y += piece.height
    draw = ImageDraw.Draw(page)
    if receipt.partial:
        draw.text((MARGIN, y + 4), "~~ paper stopped here ~~", font=_font(), fill=96)
    elif receipt.cut:
        for xx in range(0, page.width, 12):
            draw.line([(xx, page.height - 2), (xx + 6, page.height - 2)], fill=0)
    path = Path(path)
    page.save(path, "PNG")
    return path


def _span(text: str):

    return Span(text)
