"""Layouts: golden ESC/POS bytes per layout and paper width, and what a reader of the paper sees.

Regenerate the golden files after an intended change with ``UPDATE_GOLDEN=1 pytest tests/hardware``
and review the ``.txt`` pictures in the diff.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from hardware import layouts, samples
from hardware.escpos_decode import QRBlock, decode
from hardware.escpos_doc import PaperProfile, printable
from hardware.receipt_image import render_png

GOLDEN = Path(__file__).parent / "golden"
KINDS = ["ticket", "deposit", "order", "parcel", "complaint", "zreport"]


def sample(kind: str):
    return samples.all_samples()[kind]


@pytest.mark.parametrize("width", [80, 58])
@pytest.mark.parametrize("kind", KINDS)
def test_golden_bytes(kind, width):
    data = layouts.render(sample(kind), width)
    path = GOLDEN / f"{kind}-{width}.bin"
    picture = decode(data, 48 if width == 80 else 32)[0].as_text()
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_bytes(data)
        path.with_suffix(".txt").write_text(picture, encoding="utf-8")
    assert path.exists(), f"missing golden file {path}; run with UPDATE_GOLDEN=1"
    expected = path.read_bytes()
    assert data == expected, (
        f"{kind} {width} mm bytes changed ({len(expected)} -> {len(data)} bytes).\nNow prints:\n{picture}")
    assert picture == path.with_suffix(".txt").read_text(encoding="utf-8")


@pytest.mark.parametrize("width", [80, 58])
@pytest.mark.parametrize("kind", KINDS)
def test_every_layout_is_one_cut_receipt_within_the_paper(kind, width):
    columns = 48 if width == 80 else 32
    receipts = decode(layouts.render(sample(kind), width), columns)
    assert len(receipts) == 1 and receipts[0].cut and not receipts[0].partial
    for line in receipts[0].lines:
        assert line.cells <= columns, (kind, line.text)
    assert receipts[0].find("LAPAS KELAS IIA DEMO").spans[0].bold
    assert receipts[0].find("Dicetak 29/11/2026 13:05 WIB")


def test_ticket_shows_what_the_visitor_and_guard_need():
    r = decode(layouts.render(samples.ticket(), 80))[0]
    queue = r.find("P-017")
    assert queue.align == "center" and queue.spans[0].width == 4 and queue.spans[0].height == 4
    assert r.find("TIKET KUNJUNGAN")
    assert r.find("Minggu, 29 November 2026")
    assert r.find("Pagi 08:30-11:30")
    assert r.find("Siti Rahayu") and r.find("Budi Santoso") and r.find("BI.1234/2025")
    assert r.find("3524********0003"), "NIK must be masked"
    assert "3524014512900003" not in r.as_text()
    assert r.find("1. Andi Pratama (anak)") and r.find("2. Dewi Lestari (saudara)")
    assert r.qr_payloads == [samples.TICKET_QR]
    assert r.find("Tata tertib kunjungan:")
    assert r.find("SEMENTARA") is None
    prov = decode(layouts.render(samples.ticket(provisional=True), 80))[0]
    banner = prov.find("SEMENTARA")
    assert banner and banner.spans[0].invert


def test_deposit_receipt_says_lunas_only_when_settled():
    pending = decode(layouts.render(samples.deposit(settled=False), 80))[0]
    settled = decode(layouts.render(samples.deposit(settled=True), 80))[0]
    assert pending.find("MENUNGGU KONFIRMASI") and not pending.find("LUNAS")
    assert settled.find("LUNAS") and not settled.find("MENUNGGU KONFIRMASI")
    for r in (pending, settled):
        total = r.find("Rp 150.000")
        assert total.text.startswith("TOTAL") and total.spans[0].bold
        assert r.find("DEP-20261129-0007") and r.find("Budi Santoso")
        assert r.qr_payloads == [samples.DEPOSIT_QR]


def test_order_receipt_adds_up_lines():
    r = decode(layouts.render(samples.order(), 80))[0]
    assert r.find("2 x Rp 18.000").text.endswith("Rp 36.000")
    assert r.find("TOTAL").text.endswith("Rp 56.000")
    assert r.find("LUNAS")


def test_parcel_complaint_and_zreport_content():
    p = decode(layouts.render(samples.parcel(), 58), 32)[0]
    assert p.find("PKT-0042").spans[0].width == 2 and p.find("BELUM DIPERIKSA")
    assert p.find("Berat total").text.endswith("1200 g")
    c = decode(layouts.render(samples.complaint(), 80))[0]
    assert c.find("ADU-7Q2M-K9") and c.find("Nomor pelacakan")
    assert c.qr_payloads == ["LC1.LPS-DEMO.ADU-7Q2M-K9"]
    z = decode(layouts.render(samples.zreport(), 80))[0]
    assert z.find("Rp 2.150.000") and z.find("Total").text.endswith("71")


def test_qr_is_printer_native_with_configured_size_and_level():
    prof = PaperProfile(width_mm=80, qr_size=8, qr_ec="Q")
    data = layouts.render(samples.deposit(), prof)
    assert b"\x1d(k\x03\x001C\x08" in data and b"\x1d(k\x03\x001E2" in data  # size 8, level Q
    assert b"\x1dv0" not in data, "no raster image without a logo"
    qr = [b for b in decode(data)[0].blocks if isinstance(b, QRBlock)][0]
    assert (qr.size, qr.ec) == (8, "Q")


def test_qr_shrinks_to_fit_58mm_paper():
    long_payload = "X" * 180
    t = samples.ticket()
    t.qr_payload = long_payload
    qr = [b for b in decode(layouts.render(t, PaperProfile(58, qr_size=16)), 32)[0].blocks
          if isinstance(b, QRBlock)][0]
    assert qr.payload == long_payload and 1 <= qr.size < 16


def test_names_with_accents_print_as_plain_ascii():
    t = samples.ticket()
    t.visitor_name = "José Ñúñez – “Ama”"
    r = decode(layouts.render(t, 80))[0]
    assert r.find('Jose Nunez - "Ama"')
    assert printable("a\x00b\x1bc") == "abc"


def test_logo_from_assets_is_printed_as_raster(tmp_path):
    logo = tmp_path / "logo.png"
    Image.new("L", (400, 100), 0).save(logo)
    data = layouts.render(samples.deposit(), PaperProfile(80, logo=str(logo)))
    r = decode(data)[0]
    img = r.blocks[0]
    assert type(img).__name__ == "ImageBlock" and img.width == 288  # scaled to half the paper
    shipped = layouts.render(samples.deposit(), PaperProfile(80, logo="img/logo.png"))
    assert type(decode(shipped)[0].blocks[0]).__name__ == "ImageBlock"


def test_copy_banner_marks_reprints():
    original = layouts.render(samples.ticket(), 80)
    at = datetime(2026, 11, 29, 7, 0, tzinfo=UTC)
    copy = decode(layouts.as_copy(original, 2, at, 80))[0]
    first = copy.lines[0]
    assert first.text.strip() == "SALINAN #2" and first.spans[0].invert
    assert copy.lines[1].text == "Dicetak ulang 29/11/2026 14:00 WIB"
    assert copy.qr_payloads == [samples.TICKET_QR]
    # after the banner, the original prints exactly as before
    assert [ln.text for ln in copy.lines[2:]] == [ln.text for ln in decode(original)[0].lines]


@pytest.mark.parametrize("width", [80, 58])
def test_png_qr_decodes_to_exactly_the_ticket_payload(tmp_path, width):
    r = decode(layouts.render(samples.ticket(), width), 48 if width == 80 else 32)[0]
    png = render_png(r, tmp_path / "t.png")
    found = zxingcpp.read_barcodes(Image.open(png))
    assert [f.text for f in found] == [samples.TICKET_QR]
    assert found[0].format == zxingcpp.BarcodeFormat.QRCode


def test_money_must_be_integer_rupiah():
    d = samples.deposit()
    d.amount = 150000.0
    with pytest.raises(TypeError):
        layouts.render(d, 80)


def test_render_refuses_unknown_data():
    with pytest.raises(TypeError):
        layouts.render(object(), 80)
    with pytest.raises(ValueError):
        PaperProfile.of(72)
