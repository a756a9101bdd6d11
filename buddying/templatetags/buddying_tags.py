from django import template
from django.http import QueryDict
from django.utils.html import format_html

from buddying import formatting

register = template.Library()


@register.filter
def without_param(query: str, name: str) -> str:
    """A URL query string with one parameter removed: '?a=1&b=2'|without_param:'b' -> 'a=1'."""
    params = QueryDict(query, mutable=True)
    params.pop(name, None)
    return params.urlencode()


@register.simple_tag(takes_context=True)
def sort_header(context: template.Context, field: str, label: str) -> str:
    """A table header that sorts by `field`; a second click reverses it. aria-sort tells screen readers."""
    current = context["current_sort"]
    base = context["query_without_sort"]
    if current == field:
        state, next_sort = "ascending", f"-{field}"
    elif current == f"-{field}":
        state, next_sort = "descending", field
    else:
        state, next_sort = "none", field
    query = f"{base}&sort={next_sort}" if base else f"sort={next_sort}"
    return format_html(
        '<th scope="col" class="govuk-table__header" aria-sort="{}"><a class="govuk-link" href="?{}">{}</a></th>',
        state,
        query,
        label,
    )


@register.filter
def percent(value: float | None, places: int = 1) -> str:
    """0.1234 -> '12.3%'; None -> an en dash."""
    if value is None:
        return "\u2013"
    return f"{float(value) * 100:.{int(places)}f}%"


@register.filter
def money(value: object) -> str:
    """12000 -> '£12,000'; 12000.5 -> '£12,000.50'; None -> an en dash (buddying.formatting.money)."""
    return formatting.money(value)


@register.filter
def person(user: object, default: str = "the system") -> str:
    """A user's name for a byline; 'the system' (or `default`) when no user made it. Never fails on None."""
    return formatting.person_name(user, default)
