"""Demo payment reference data: a fictional facility merchant (static QRIS), deposit rules and a canteen menu.

Everything here is made up (the NMID and acquirer id are not real). The demo reference snapshot and the
gateway simulator use the same merchant so a QR built offline by the kiosk can be "paid" in the simulator.
"""

from __future__ import annotations

from core import qris


def demo_merchant_payload(facility_name: str = "KOPERASI LAPAS DEMO", city: str = "MALANG") -> str:
    """A static QRIS payload (point of initiation 11) for the demo facility's cooperative."""
    return qris.build({
        "00": "01",
        "01": qris.STATIC,
        "26": {"00": "ID.CO.QRIS.WWW", "01": "936009990000000001", "02": "LAPASDEMO0001", "03": "UMI"},
        "51": {"00": "ID.CO.QRIS.WWW", "02": "ID1026999000001", "03": "UMI"},
        "52": "5499",
        "53": "360",
        "58": "ID",
        "59": facility_name[:25],
        "60": city[:15],
        "61": "65111",
        "62": {"07": "LOKET01"},
    })


def demo_sections(facility_name: str = "KOPERASI LAPAS DEMO", city: str = "MALANG") -> dict:
    """The payments sections of a demo reference document (see docs/payments.md)."""
    return {
        "merchant": {"static_qris": demo_merchant_payload(facility_name, city), "name": facility_name,
                     "nmid": "ID1026999000001"},
        "deposit_rules": {
            "min": 10_000, "max": 1_000_000, "daily_cap_per_inmate": 1_000_000, "balance_cap": 2_000_000,
            "fee_flat": 0, "fee_bp": 0, "presets": [50_000, 100_000, 200_000, 300_000, 500_000],
            "payment_ttl_s": 900,
        },
        "menu": {
            "fee_flat": 0, "fee_bp": 0, "max_items_per_order": 20, "payment_ttl_s": 900,
            "items": [
                {"item_id": "nasi-ayam", "name": "Nasi Ayam Goreng", "price": 25_000, "stock": 40,
                 "daily_limit_per_inmate": 2, "category": "makanan", "available": True},
                {"item_id": "nasi-rendang", "name": "Nasi Rendang", "price": 30_000, "stock": 30,
                 "daily_limit_per_inmate": 2, "category": "makanan", "available": True},
                {"item_id": "mie-goreng", "name": "Mie Goreng", "price": 18_000, "stock": 50,
                 "daily_limit_per_inmate": 2, "category": "makanan", "available": True},
                {"item_id": "roti-isi", "name": "Roti Isi Cokelat (5)", "price": 15_000, "stock": 60,
                 "daily_limit_per_inmate": 3, "category": "makanan", "available": True},
                {"item_id": "air-mineral", "name": "Air Mineral 600 ml (6)", "price": 18_000, "stock": 80,
                 "daily_limit_per_inmate": 2, "category": "minuman", "available": True},
                {"item_id": "teh-kotak", "name": "Teh Kotak (6)", "price": 24_000, "stock": 40,
                 "daily_limit_per_inmate": 2, "category": "minuman", "available": True},
                {"item_id": "buah-pisang", "name": "Pisang (1 sisir)", "price": 20_000, "stock": 20,
                 "daily_limit_per_inmate": 1, "category": "buah", "available": True},
            ],
        },
        "payment_updates": [],
        "balances": {"date": None, "accounts": []},
        "order_status": [],
    }
