"""Payment record states on the device and which moves are allowed.

Deposit: ``created -> awaiting_payment -> settled | expired | failed``, then ``settled -> credited`` or, when
the inmate can no longer be credited (released, transferred), ``settled -> refund_requested -> refunded``.

Order: ``created -> awaiting_payment -> paid | expired | failed``, then ``paid -> prepared -> delivered``;
``paid``/``prepared`` may be ``cancelled`` (then refunded).

HQ is the authority on payment: an update from HQ may jump several steps at once (the kiosk was offline
while the payer paid and HQ credited) and may turn a locally ``expired``/``failed`` record into ``settled``
(a late payment of an offline QR still reached the merchant account). The kiosk itself only moves
``created -> awaiting_payment`` and ``awaiting_payment -> expired`` (its countdown ran out).
"""

from __future__ import annotations

DEPOSIT_NEXT: dict[str, set[str]] = {
    "created": {"awaiting_payment", "settled", "expired", "failed"},
    "awaiting_payment": {"settled", "expired", "failed"},
    "expired": {"settled"},
    "failed": {"settled"},
    "settled": {"credited", "refund_requested"},
    "credited": set(),
    "refund_requested": {"refunded"},
    "refunded": set(),
}

ORDER_NEXT: dict[str, set[str]] = {
    "created": {"awaiting_payment", "paid", "expired", "failed"},
    "awaiting_payment": {"paid", "expired", "failed"},
    "expired": {"paid"},
    "failed": {"paid"},
    "paid": {"prepared", "cancelled", "refund_requested"},
    "prepared": {"delivered", "cancelled"},
    "delivered": set(),
    "cancelled": {"refund_requested", "refunded"},
    "refund_requested": {"refunded"},
    "refunded": set(),
}

GRAPHS = {"deposit": DEPOSIT_NEXT, "order": ORDER_NEXT}
# Statuses in which money has reached the merchant account (a receipt may say LUNAS).
PAID = {"deposit": frozenset({"settled", "credited", "refund_requested", "refunded"}),
        "order": frozenset({"paid", "prepared", "delivered", "cancelled", "refund_requested", "refunded"})}
# Statuses that still count against caps (not dead payments).
LIVE = {"deposit": frozenset({"created", "awaiting_payment", "settled", "credited"}),
        "order": frozenset({"created", "awaiting_payment", "paid", "prepared", "delivered"})}


def reachable(kind: str, old: str, new: str) -> bool:
    """True when ``new`` can follow ``old`` in one or more allowed steps (not when equal)."""
    graph = GRAPHS[kind]
    if new not in graph:
        return False
    seen, todo = set(), [old]
    while todo:
        for nxt in graph.get(todo.pop(), ()):
            if nxt == new:
                return True
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return False


def normalise(kind: str, status: str) -> str:
    """HQ and the gateway say ``settled``/``settlement`` for a paid order; orders call it ``paid``."""
    if kind == "order" and status in ("settled", "settlement"):
        return "paid"
    if kind == "deposit" and status == "settlement":
        return "settled"
    return status
