"""The project's one exception tree. Every error our code raises derives from :class:`LapasError`, so a caller
can catch "anything of ours" without catching a programming error, and each branch says what a caller can do.

::

    LapasError
    ├── ConfigurationError        a setting or a secret is wrong or missing; fix it and start again
    │     ConfigError (lapas.toml), PinError (maintenance PIN), AlreadyRunning (a second sync daemon)
    ├── DataError                 data from a file, the wire or a scan does not follow its format
    │     ReferenceDataError, PaymentReferenceError, QrisError (QrisFormatError, QrisLengthError,
    │     QrisCrcError, QrisMissingTagError, QrisValueError), MoneyError, TicketFormatError, IdentityError, NeedMore (an ESC/POS stream cut mid-command)
    ├── StorageError              the device's or HQ's database cannot do what was asked
    │     StoreError, SchemaTooNew, MigrationsMissing, HQDatabaseError
    ├── RetryableError            try again later, nothing was lost (sync: network, HQ busy or unreachable)
    │     SyncError ── Unreachable ── BatchOutOfOrder; ProviderUnavailable (payment gateway)
    ├── RejectedError             the other side refused for a reason code; retrying the same will not help
    │     Refused (HQ refused the request), ReferenceRefused (the device refused HQ's reference data),
    │     AuthError (a request's signature), EnrolmentError, ProviderRejected, ProviderAuthError,
    │     NotificationError, SignatureError
    ├── RefusalError              a rule of the facility said no, with a reason code a visitor or guard reads
    │     Refusal (visits, gate), PaymentRefusal (deposits, orders), OperatorError (an operator's command),
    │     PaymentConflict, UnknownFacility
    ├── HardwareFault             a printer or scanner problem a technician can see
    │     PrinterError, SimError (a device simulator did not start)
    └── ServerError               HQ's own answers and internal states
          APIError (a JSON error answer), PreviousBatchMissing (a batch overtook the one it follows),
          ProjectionCrashed, ProviderError
"""

from __future__ import annotations


class LapasError(Exception):
    """The root of every error lapas-kiosk raises (the tree is in this module's docstring)."""


class ConfigurationError(LapasError):
    """A setting, secret or process arrangement is wrong; fix it and start again."""


class DataError(LapasError):
    """Data from a file, the wire or a scan does not follow its format."""


class StorageError(LapasError):
    """A database cannot do what was asked."""


class RetryableError(LapasError):
    """Try again later; nothing was lost."""


class RejectedError(LapasError):
    """The other side refused, with a reason code; sending the same again will not help."""


class RefusalError(LapasError):
    """A rule said no, with a reason code people read."""


class HardwareFault(LapasError):
    """A printer or scanner problem."""


class ServerError(LapasError):
    """HQ's own error answers and internal states."""


BASES = (ConfigurationError, DataError, StorageError, RetryableError, RejectedError, RefusalError, HardwareFault,
         ServerError)
