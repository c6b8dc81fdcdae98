"""Device tables for payments: deposits, canteen orders, and the payments sections of reference data.

Money columns are INTEGER rupiah with CHECK constraints (``typeof(x) = 'integer'``), so a float cannot be
stored even by a bug. Every business row keeps the ``event_id`` of the event that created it.
"""

from __future__ import annotations

from sqlite_utils.migrations import Migrations

migrations = Migrations("payments")

DEPOSIT_STATUSES = ("created", "awaiting_payment", "settled", "expired", "failed", "credited",
                    "refund_requested", "refunded")
ORDER_STATUSES = ("created", "awaiting_payment", "expired", "failed", "paid", "prepared", "delivered",
                  "cancelled", "refund_requested", "refunded")


def _in(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


@migrations()
def m001_payments(db):
    db.execute(
        f"""
        CREATE TABLE deposits (
            deposit_id TEXT PRIMARY KEY,
            event_id TEXT NOT NULL,
            reference TEXT NOT NULL UNIQUE,
            facility_id TEXT NOT NULL,
            inmate_id TEXT NOT NULL,
            inmate_reg_no TEXT NOT NULL,
            inmate_name TEXT NOT NULL,
            amount INTEGER NOT NULL CHECK (typeof(amount) = 'integer' AND amount > 0),
            fee INTEGER NOT NULL CHECK (typeof(fee) = 'integer' AND fee >= 0),
            depositor_nik TEXT NOT NULL,
            depositor_name TEXT NOT NULL,
            mode TEXT NOT NULL CHECK (mode IN ('online', 'offline')),
            qris TEXT NOT NULL DEFAULT '',
            expires_at TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL CHECK (status IN {_in(DEPOSIT_STATUSES)}),
            status_at TEXT NOT NULL,
            hq_known INTEGER NOT NULL DEFAULT 0,
            settled_at TEXT,
            wib_date TEXT NOT NULL,
            created_at TEXT NOT NULL,
            verify_qr TEXT NOT NULL
        )
        """
    )
    db.execute("CREATE INDEX deposits_inmate_day ON deposits(inmate_id, wib_date)")
    db.execute(
        f"""
        CREATE TABLE orders (
            order_id TEXT PRIMARY KEY,
            event_id TEXT NOT NULL,
            reference TEXT NOT NULL UNIQUE,
            facility_id TEXT NOT NULL,
            inmate_id TEXT NOT NULL,
            inmate_reg_no TEXT NOT NULL,
            inmate_name TEXT NOT NULL,
            total INTEGER NOT NULL CHECK (typeof(total) = 'integer' AND total > 0),
            fee INTEGER NOT NULL CHECK (typeof(fee) = 'integer' AND fee >= 0),
            buyer_nik TEXT NOT NULL,
            buyer_name TEXT NOT NULL,
            mode TEXT NOT NULL CHECK (mode IN ('online', 'offline')),
            qris TEXT NOT NULL DEFAULT '',
            expires_at TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL CHECK (status IN {_in(ORDER_STATUSES)}),
            status_at TEXT NOT NULL,
            hq_known INTEGER NOT NULL DEFAULT 0,
            settled_at TEXT,
            wib_date TEXT NOT NULL,
            created_at TEXT NOT NULL,
            verify_qr TEXT NOT NULL
        )
        """
    )
    db.execute("CREATE INDEX orders_inmate_day ON orders(inmate_id, wib_date)")
    db.execute(
        """
        CREATE TABLE order_items (
            order_id TEXT NOT NULL REFERENCES orders(order_id),
            item_id TEXT NOT NULL,
            name TEXT NOT NULL,
            qty INTEGER NOT NULL CHECK (typeof(qty) = 'integer' AND qty > 0),
            price INTEGER NOT NULL CHECK (typeof(price) = 'integer' AND price >= 0),
            PRIMARY KEY (order_id, item_id)
        )
        """
    )
    # Payments sections of the reference document, one JSON body per section (merchant, deposit_rules, menu,
    # balances); payment_updates and order_status are applied into the records above and kept here too.
    db.execute(
        """
        CREATE TABLE payment_reference (
            section TEXT PRIMARY KEY,
            body TEXT NOT NULL,
            version INTEGER NOT NULL
        )
        """
    )
    # HQ's word on payments by reference (section payment_updates, replaced wholesale on each load).
    db.execute(
        """
        CREATE TABLE payment_updates (
            reference TEXT PRIMARY KEY,
            kind TEXT NOT NULL CHECK (kind IN ('deposit', 'order')),
            status TEXT NOT NULL,
            amount INTEGER NOT NULL CHECK (typeof(amount) = 'integer'),
            at TEXT NOT NULL
        )
        """
    )
    db.execute(
        """
        CREATE TABLE payment_balances (
            inmate_id TEXT PRIMARY KEY,
            balance INTEGER NOT NULL CHECK (typeof(balance) = 'integer'),
            pending INTEGER NOT NULL DEFAULT 0 CHECK (typeof(pending) = 'integer'),
            deposited_today INTEGER NOT NULL DEFAULT 0 CHECK (typeof(deposited_today) = 'integer'),
            items_today TEXT NOT NULL DEFAULT '{}',
            as_of_date TEXT
        )
        """
    )
