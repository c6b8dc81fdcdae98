"""Sample data for every layout: ``lapas printer test``, the golden-byte tests and the benchmark.

Fixed values (no clock, no randomness) so the same sample always renders to the same bytes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from core.receipts import (
    ComplaintReceiptData,
    DepositReceiptData,
    OrderLine,
    OrderReceiptData,
    ParcelItem,
    ParcelLabelData,
    TicketData,
    ZReportData,
)

FACILITY = "Lapas Kelas IIA Demo"
AT = datetime(2026, 11, 29, 6, 5, tzinfo=UTC)  # 13:05 WIB
# Shaped like a signed ticket (docs/visits.md): version, facility, ids, date, session, signature.
TICKET_QR = ("LT1.LPS-DEMO.0193a1f2-7c4e-7b21-9d3a-5e8f00c1d2e3.20261129.P.inm-0001.2.20261129T0830"
             ".Zk3pQm8vR2xYb1NhT0VwdUlqWXpHc2lBbkJ3dE5vQ2ZrUmRMZVhtVmJ1WQ")
DEPOSIT_QR = "LD1.LPS-DEMO.DEP-20261129-0007.150000.8f2a9c1e0b7d4a63"


def ticket(provisional: bool = False) -> TicketData:
    return TicketData(
        facility_name=FACILITY, facility_address="Jl. Pemasyarakatan No. 1, Malang",
        queue_no="P-017", visit_date=date(2026, 11, 29), session_label="Pagi 08:30-11:30",
        visitor_name="Siti Rahayu", nik_masked="3524014512900003", inmate_name="Budi Santoso",
        inmate_reg_no="BI.1234/2025", qr_payload=TICKET_QR, issued_at=AT,
        visit_id="0193a1f2-7c4e-7b21-9d3a-5e8f00c1d2e3",
        followers=["Andi Pratama (anak)", "Dewi Lestari (saudara)"], provisional=provisional,
    )


def deposit(settled: bool = False) -> DepositReceiptData:
    return DepositReceiptData(
        facility_name=FACILITY, reference="DEP-20261129-0007", amount=150_000, inmate_name="Budi Santoso",
        inmate_reg_no="BI.1234/2025", depositor_name="Siti Rahayu", created_at=AT, settled=settled,
        verify_qr=DEPOSIT_QR, settled_at=AT if settled else None,
    )


def order() -> OrderReceiptData:
    return OrderReceiptData(
        facility_name=FACILITY, order_no="ORD-20261129-0012", inmate_name="Budi Santoso",
        inmate_reg_no="BI.1234/2025", buyer_name="Siti Rahayu", created_at=AT, settled=True,
        items=[OrderLine("Nasi ayam goreng", 2, 18_000), OrderLine("Teh manis", 2, 5_000),
               OrderLine("Pisang goreng", 1, 10_000)],
        verify_qr="LO1.LPS-DEMO.ORD-20261129-0012.56000", pickup_note="Diantar ke blok A sebelum 15:00 WIB",
    )


def parcel() -> ParcelLabelData:
    return ParcelLabelData(
        facility_name=FACILITY, parcel_no="PKT-0042", inmate_name="Budi Santoso", inmate_reg_no="BI.1234/2025",
        inmate_block="A / A-12", sender_name="Siti Rahayu", received_at=AT,
        items=[ParcelItem("Rendang (kotak kertas)", 1, 800), ParcelItem("Roti tawar", 2, 400)],
        qr_payload="LP1.LPS-DEMO.PKT-0042",
    )


def complaint() -> ComplaintReceiptData:
    return ComplaintReceiptData(
        facility_name=FACILITY, tracking_no="ADU-7Q2M-K9", category="Layanan kunjungan", submitted_at=AT,
        summary="Antrean sesi pagi dibuka terlambat 40 menit dan tidak ada pengumuman bagi pengunjung.",
        contact_masked="0812****7788", track_qr="LC1.LPS-DEMO.ADU-7Q2M-K9",
    )


def zreport() -> ZReportData:
    return ZReportData(
        facility_name=FACILITY, device_id="kiosk-01", business_date=date(2026, 11, 29), generated_at=AT,
        visits_by_session={"Pagi": 41, "Siang": 30}, visits_provisional=3, deposits_count=12,
        deposits_total=2_150_000, deposits_pending_count=2, deposits_pending_total=300_000, orders_count=9,
        orders_total=412_000, parcels_count=17, complaints_count=1, prints_count=95, reprints_count=2,
        outbox_pending=0,
    )


def all_samples() -> dict[str, object]:
    """kind -> sample data, in the order ``lapas printer test`` prints them."""
    return {"ticket": ticket(), "deposit": deposit(), "order": order(), "parcel": parcel(),
            "complaint": complaint(), "zreport": zreport()}
