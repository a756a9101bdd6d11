import datetime as dt
from typing import Any

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils.dateformat import format as format_date

from buddying.formatting import money

register = template.Library()

DASH = "\u2013"


@register.filter
def cell(value: Any, kind: str) -> str:
    """A report value as a page shows it: money with £ and commas, dates as '1 Mar 2027', none as a dash."""
    if value is None or value == "":
        return DASH
    if kind == "money":
        return money(value)
    if kind == "date" and isinstance(value, dt.date):
        return format_date(value, "j M Y")
    if kind == "int":
        return intcomma(value)
    if kind == "number":
        return f"{value}"
    return str(value)


@register.filter
def get(row: dict[str, Any], key: str) -> Any:
    return row.get(key)


@register.filter
def numeric(kind: str) -> bool:
    return kind in {"money", "int", "number"}
