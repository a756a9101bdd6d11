"""Who can act for the trusts in an arrangement: the overview's activation block asks here.

The arrangement's tabbed page is built by arrangements.views.common; this tag adds only what the activation block
shows, from arrangements.selectors.activation_status."""

from __future__ import annotations

from django import template

from arrangements import selectors
from arrangements.models import Arrangement, TermsOfReference

register = template.Library()


@register.simple_tag(takes_context=True)
def activation_status(
    context: template.Context, arrangement: Arrangement, terms: TermsOfReference | None
) -> list[selectors.Signatory]:
    """Who must sign a proposed or agreed arrangement, who has not, and who has no registered executive to sign (with
    a link to invite one, for someone who may)."""
    return selectors.activation_status(arrangement=arrangement, terms=terms, user=context.get("user"))
