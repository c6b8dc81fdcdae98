"""Money is integer rupiah, everywhere. These helpers refuse anything else."""

from __future__ import annotations

from core.errors import DataError


class MoneyError(DataError, TypeError):
    """A money value that is not a whole number of rupiah."""


def rupiah(value: object) -> int:
    """Return ``value`` as int rupiah; floats, bools and non-integral strings are refused."""
    if isinstance(value, bool) or isinstance(value, float):
        raise MoneyError(f"money must be integer rupiah, got {type(value).__name__} {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    raise MoneyError(f"money must be integer rupiah, got {value!r}")


def format_rupiah(amount: int) -> str:
    """``Rp 150.000`` (Indonesian thousands separator is the dot)."""
    amount = rupiah(amount)
    sign = "-" if amount < 0 else ""
    return f"{sign}Rp {abs(amount):,}".replace(",", ".")
