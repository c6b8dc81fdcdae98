"""What a visitor has entered in a payment flow so far (wiped by idle reset, cancel and finish)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class PaymentForm:
    kind: str = ""  # deposit | order
    inmate: Any = None  # kiosk.payments.records.Inmate
    reg_no: str = ""
    nik: str = ""
    name: str = ""
    amount: int = 0  # deposit: integer rupiah
    cart: dict[str, int] = field(default_factory=dict)  # order: item_id -> quantity
    quote: Any = None  # DepositQuote | PricedCart shown on the confirmation screen
    record: Any = None  # the Deposit | Order once written

    def clear(self) -> None:
        self.__init__()

    @property
    def reference(self) -> str:
        return getattr(self.record, "reference", "") if self.record is not None else ""
