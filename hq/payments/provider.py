"""The payment-provider seam: what headquarters needs from a QRIS payment gateway.

Only HQ talks to a gateway, and only HQ holds its secrets (server key); a kiosk never does. An adapter
implements :class:`PaymentProvider`:

* ``create_charge(amount, order_id, expiry)`` -> :class:`Charge` (the QR string to show and its expiry)
* ``status(order_id)``  -> :class:`ChargeStatus` (asks the gateway: the authority on a payment)
* ``cancel(order_id)``  -> :class:`ChargeStatus`
* ``verify_notification(body)`` -> :class:`Notification` (a webhook body whose signature checked out)

Errors (one tree, modelled on httpx's ``_exceptions.py``)::

    ProviderError                 base; .code is stable, .retryable says whether trying again may help
    ├── ProviderUnavailable       network error, timeout, 5xx             (retryable)
    ├── ProviderRejected          the gateway refused the request (4xx)   (not retryable)
    │   ├── DuplicateOrder        the order id was already used
    │   └── UnknownOrder          no such order at the gateway
    ├── ProviderAuthError         the server key was refused              (not retryable)
    └── NotificationError         a webhook body that must not be believed
        └── SignatureError        its signature_key does not match (forged or corrupted)

Statuses follow the gateway's words: ``pending`` -> ``settlement`` | ``expire`` | ``cancel`` | ``deny``.
Amounts are integer rupiah everywhere on our side of the seam.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from core.errors import RejectedError, RetryableError, ServerError

PENDING, SETTLEMENT, EXPIRE, CANCEL, DENY = "pending", "settlement", "expire", "cancel", "deny"
STATUSES = (PENDING, SETTLEMENT, EXPIRE, CANCEL, DENY)
FINAL_STATUSES = frozenset({SETTLEMENT, EXPIRE, CANCEL, DENY})


class ProviderError(ServerError):
    """Base of all provider errors."""

    code = "provider_error"
    retryable = False

    def __init__(self, message: str, *, status_code: str | None = None):
        super().__init__(message)
        self.status_code = status_code


class ProviderUnavailable(ProviderError, RetryableError):
    code = "provider_unavailable"
    retryable = True


class ProviderRejected(ProviderError, RejectedError):
    code = "provider_rejected"


class DuplicateOrder(ProviderRejected):
    code = "duplicate_order"


class UnknownOrder(ProviderRejected):
    code = "unknown_order"


class ProviderAuthError(ProviderError, RejectedError):
    code = "provider_auth"


class NotificationError(ProviderError, RejectedError):
    code = "bad_notification"


class SignatureError(NotificationError):
    code = "bad_signature"


@dataclass(frozen=True)
class Charge:
    """A charge the gateway created: show ``qr_string`` until ``expires_at`` (UTC)."""

    order_id: str
    amount: int
    qr_string: str
    expires_at: datetime
    transaction_id: str
    status: str = PENDING


@dataclass(frozen=True)
class ChargeStatus:
    order_id: str
    status: str
    amount: int
    transaction_id: str = ""
    settled_at: datetime | None = None
    status_code: str = ""


@dataclass(frozen=True)
class Notification:
    """A verified webhook notification. ``qris_reference`` is tag 62/05 of the paid QR when the payment came
    from a QR the gateway did not create (a kiosk's offline QRIS), which HQ reconciles by reference."""

    order_id: str
    status: str
    status_code: str
    amount: int
    transaction_id: str
    transaction_time: datetime | None = None
    settled_at: datetime | None = None
    qris_reference: str = ""
    qris_terminal: str = ""
    raw: dict = field(default_factory=dict, compare=False, repr=False)


def check_transition(old: str | None, new: str) -> bool:
    """True when moving a charge from ``old`` to ``new`` is allowed (same status = idempotent no-op allowed).

    Final statuses never change, so a replayed ``pending`` after ``settlement`` cannot undo a payment.
    """
    if new not in STATUSES:
        return False
    if old is None or old == new:
        return True
    return old == PENDING and new in FINAL_STATUSES


class PaymentProvider(abc.ABC):
    """A QRIS payment gateway as HQ sees it (see the module docstring)."""

    name = "provider"

    @abc.abstractmethod
    def create_charge(self, amount: int, order_id: str, expiry: timedelta) -> Charge:
        """Create a QRIS charge of ``amount`` rupiah for ``order_id`` (our event id), valid for ``expiry``."""

    @abc.abstractmethod
    def status(self, order_id: str) -> ChargeStatus:
        """The gateway's current status of ``order_id``."""

    @abc.abstractmethod
    def cancel(self, order_id: str) -> ChargeStatus:
        """Cancel a pending charge."""

    @abc.abstractmethod
    def verify_notification(self, body: dict) -> Notification:
        """Check a webhook body's signature and read it; raises :class:`NotificationError`."""
