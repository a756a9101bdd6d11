"""Who may see and change what in the trust registry: the one place views ask.

A trust executive may read every trust's public profile, but a trust's improvement needs and
culture scores are private to that trust and to regulator staff and admins. Anything a user may
not see is reported as missing (404), so that its existence is not disclosed either.
"""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404

from buddying.models import Trust, User


def is_regulator_or_admin(user: User) -> bool:
    return user.is_authenticated and (user.is_regulator or user.is_admin_role or user.is_superuser)


def can_view_private_trust_data(user: User, trust: Trust) -> bool:
    """Improvement needs and culture scores: the trust's own executives, regulator staff and admins."""
    if is_regulator_or_admin(user):
        return True
    return user.is_authenticated and user.is_trust_executive and user.trust_id == trust.pk


def can_edit_trust(user: User, trust: Trust) -> bool:
    """Regulator staff and admins edit any trust; an executive edits only their own."""
    return can_view_private_trust_data(user, trust)


def get_trust_for_edit_or_404(user: User, ods_code: str) -> Trust:
    trust = get_object_or_404(Trust, ods_code=ods_code)
    if not can_edit_trust(user, trust):
        raise Http404("No trust matches the given query.")
    return trust


def require_regulator_or_admin(user: User) -> None:
    if not is_regulator_or_admin(user):
        raise Http404("Page not found.")
