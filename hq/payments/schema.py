"""HQ payment tables (SQLAlchemy Core, SQLite and PostgreSQL), migrated by ``hq.db.all_migrations``.

* ``payments``       one row per deposit/order payment, keyed by our payment reference
* ``gateway_notes``  every webhook notification received, with its outcome (idempotency and audit)
* ``ledger``         append-only entries per inmate account; a balance is the sum of its entries
* ``refunds``        settled money that could not be credited (inmate released/transferred, cap exceeded)
* ``payment_docs``   per-facility payments reference sections set by operators (merchant, rules, menu)

Money columns are BigInteger rupiah. The ledger refuses UPDATE and DELETE (triggers on both databases).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    PrimaryKeyConstraint,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Connection

from hq.schema import metadata

_ID = BigInteger().with_variant(Integer, "sqlite")

payments = Table(
    "payments", metadata,
    Column("reference", Text, primary_key=True),
    Column("kind", Text, nullable=False),  # deposit | order
    Column("facility_id", Text, nullable=False),
    Column("device_id", Text, nullable=False),
    Column("record_id", Text, nullable=False),  # deposit_id / order_id on the device
    Column("event_id", Text, nullable=False),  # the creating event's id (= the gateway order id when online)
    Column("inmate_id", Text, nullable=False),
    Column("amount", BigInteger, nullable=False),  # deposit amount / order total, fee excluded
    Column("fee", BigInteger, nullable=False, default=0),
    Column("payer_nik_masked", Text, nullable=False, default=""),
    Column("payer_name", Text, nullable=False, default=""),
    Column("items", Text, nullable=False, default="[]"),  # orders: [{item_id, name, qty, price}]
    Column("mode", Text, nullable=False),  # online | offline
    Column("status", Text, nullable=False),
    Column("charge_order_id", Text),
    Column("qris", Text, nullable=False, default=""),
    Column("expires_at", Text, nullable=False, default=""),
    Column("transaction_id", Text),
    Column("paid_amount", BigInteger),
    Column("settled_at", Text),
    Column("note", Text, nullable=False, default=""),
    Column("wib_date", Text, nullable=False),
    Column("created_at", Text, nullable=False),
    Column("updated_at", Text, nullable=False),
    UniqueConstraint("charge_order_id", name="uq_payments_charge_order"),
)
Index("ix_payments_facility_date", payments.c.facility_id, payments.c.wib_date)
Index("ix_payments_inmate", payments.c.facility_id, payments.c.inmate_id)

gateway_notes = Table(
    "gateway_notes", metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("order_id", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("transaction_id", Text, nullable=False, default=""),
    Column("gross_amount", BigInteger, nullable=False),
    Column("qris_reference", Text, nullable=False, default=""),
    Column("reference", Text),  # the payment it was matched to (NULL until matched)
    Column("outcome", Text, nullable=False),  # applied | duplicate | stale | unmatched | amount_mismatch
    Column("body", Text, nullable=False),
    Column("received_at", Text, nullable=False),
    UniqueConstraint("order_id", "status", name="uq_gateway_notes_order_status"),
)
Index("ix_gateway_notes_qris_ref", gateway_notes.c.qris_reference)

ledger = Table(
    "ledger", metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("facility_id", Text, nullable=False),
    Column("inmate_id", Text, nullable=False),
    Column("entry", Text, nullable=False),  # credit | debit | refund
    Column("amount", BigInteger, nullable=False),  # signed rupiah
    Column("reference", Text, nullable=False),
    Column("note", Text, nullable=False, default=""),
    Column("created_at", Text, nullable=False),
    Column("wib_date", Text, nullable=False),
    UniqueConstraint("reference", "entry", name="uq_ledger_reference_entry"),
)
Index("ix_ledger_account", ledger.c.facility_id, ledger.c.inmate_id)

refunds = Table(
    "refunds", metadata,
    Column("reference", Text, primary_key=True),
    Column("facility_id", Text, nullable=False),
    Column("inmate_id", Text, nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("reason", Text, nullable=False),
    Column("status", Text, nullable=False),  # requested | processed
    Column("requested_at", Text, nullable=False),
    Column("processed_at", Text),
    Column("processed_by", Text),
)

payment_docs = Table(
    "payment_docs", metadata,
    Column("facility_id", Text, nullable=False),
    Column("section", Text, nullable=False),  # merchant | deposit_rules | menu
    Column("body", Text, nullable=False),
    PrimaryKeyConstraint("facility_id", "section"),
)

TABLES = [payments, gateway_notes, ledger, refunds, payment_docs]


def _m001_payments(conn: Connection) -> None:
    metadata.create_all(conn, tables=TABLES)
    if conn.dialect.name == "sqlite":
        for op in ("UPDATE", "DELETE"):
            conn.execute(text(
                f"CREATE TRIGGER ledger_no_{op.lower()} BEFORE {op} ON ledger "
                "BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END"))
    else:
        conn.execute(text(
            "CREATE OR REPLACE FUNCTION ledger_append_only() RETURNS trigger AS $$ "
            "BEGIN RAISE EXCEPTION 'the ledger is append-only'; END; $$ LANGUAGE plpgsql"))
        conn.execute(text("CREATE TRIGGER ledger_append_only BEFORE UPDATE OR DELETE ON ledger "
                          "FOR EACH ROW EXECUTE FUNCTION ledger_append_only()"))


MIGRATIONS = [("hq.payments.001", _m001_payments)]
