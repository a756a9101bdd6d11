"""How the service writes people and money, in one place for pages, reports and messages alike."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

DASH = "\u2013"


def person_name(user: Any, default: str = "the system") -> str:
    """A user's full name, else their username; `default` when there is no user (an automatic step, or a user
    since deleted), so a page or a report never fails on a record that nobody made."""
    if user is None:
        return default
    full_name = user.get_full_name() if hasattr(user, "get_full_name") else ""
    return full_name or getattr(user, "username", "") or default


def money(value: Any) -> str:
    """Pounds as GOV.UK writes them: '£12,000' for whole pounds, '£12,000.50' with pence, '-£300' when negative,
    and an en dash when there is no value."""
    if value is None or value == "":
        return DASH
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return str(value)
    sign = "-" if amount < 0 else ""
    amount = abs(amount)
    text = f"{amount:,.0f}" if amount == amount.to_integral_value() else f"{amount:,.2f}"
    return f"{sign}£{text}"
