"""Who may see and change an arrangement: the one place arrangements views and services ask.

Regulator staff and admins see every arrangement. A trust executive sees only arrangements their
trust is part of (as the supported trust or a buddy); anything else is reported as missing (404).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from arrangements.models import Arrangement, ArrangementQuerySet, CallOff, Review, ReviewSubmission
from buddying.models import Trust, User
from buddying.permissions import is_regulator_or_admin

REGULATOR, SUPPORTED, BUDDY = "regulator", "supported", "buddy"


def parties_of(user: User, arrangement: Arrangement) -> set[str]:
    """The sides this user acts for in the arrangement: regulator, supported, buddy (or none)."""
    if not user.is_authenticated:
        return set()
    if is_regulator_or_admin(user):
        return {REGULATOR}
    if not user.is_trust_executive:
        return set()
    parties = set()
    if arrangement.supported_id == user.trust_id:
        parties.add(SUPPORTED)
    if any(entry.buddy_id == user.trust_id for entry in arrangement.buddies.all()):
        parties.add(BUDDY)
    return parties


def visible_arrangements(user: User, queryset: ArrangementQuerySet | None = None) -> ArrangementQuerySet:
    queryset = queryset if queryset is not None else Arrangement.objects.all()
    if is_regulator_or_admin(user):
        return queryset
    if user.is_authenticated and user.is_trust_executive and user.trust_id:
        return queryset.involving(user.trust_id)
    return queryset.none()


def get_arrangement_or_404(user: User, pk: int) -> Arrangement:
    arrangement = get_object_or_404(
        Arrangement.objects.select_related("supported").prefetch_related("buddies__buddy"), pk=pk
    )
    if not parties_of(user, arrangement):
        raise Http404("No arrangement matches the given query.")
    return arrangement


def can_propose(user: User) -> bool:
    return user.is_authenticated and (is_regulator_or_admin(user) or user.is_trust_executive)


def get_call_off_or_404(user: User, pk: int) -> CallOff:
    """A call-off: regulator staff, the challenged trust's executives and the invited trusts' executives."""
    call_off = get_object_or_404(CallOff.objects.select_related("supported", "framework", "arrangement"), pk=pk)
    if is_regulator_or_admin(user):
        return call_off
    if (
        user.is_authenticated
        and user.is_trust_executive
        and user.trust_id is not None
        and (call_off.supported_id == user.trust_id or call_off.invitations.filter(trust_id=user.trust_id).exists())
    ):
        return call_off
    raise Http404("No call-off matches the given query.")


def visible_call_offs(user: User) -> QuerySet[CallOff]:
    calls = CallOff.objects.select_related("supported", "framework").prefetch_related("invitations__trust")
    if is_regulator_or_admin(user):
        return calls
    if user.is_authenticated and user.is_trust_executive and user.trust_id:
        return calls.filter(Q(supported_id=user.trust_id) | Q(invitations__trust_id=user.trust_id)).distinct()
    return calls.none()


def can_manage_call_offs(user: User) -> bool:
    """Regulator staff (and admins) start call-offs, invite, withdraw, chase, set reply-by dates, record answers
    given by phone, cancel and go ahead."""
    return is_regulator_or_admin(user)


def get_call_off_to_manage_or_404(user: User, pk: int) -> CallOff:
    """A call-off regulator staff manage; to anyone else (the trusts asked included) the page is missing."""
    if not can_manage_call_offs(user):
        raise Http404("No call-off matches the given query.")
    return get_object_or_404(CallOff.objects.select_related("supported", "framework", "arrangement"), pk=pk)


def get_arrangement_to_agree_or_404(user: User, pk: int) -> Arrangement:
    """The agree page of a proposal: regulator staff only (the parties see the arrangement, not this page)."""
    arrangement = get_arrangement_or_404(user, pk)
    if REGULATOR not in parties_of(user, arrangement):
        raise Http404("Page not found.")
    return arrangement


def get_call_off_party_or_404(call_off: CallOff, ods_code: str, *, invited_only: bool = False) -> Trust:
    """A trust asked in this call-off (the supported trust, unless `invited_only`, or an invited one); else 404."""
    if not invited_only and ods_code == call_off.supported.ods_code:
        return call_off.supported
    invitation = call_off.invitations.select_related("trust").filter(trust__ods_code=ods_code).first()
    if invitation is None:
        raise Http404("No such trust in this call-off.")
    return invitation.trust


def get_own_review_submission_or_404(user: User, arrangement: Arrangement, pk: int) -> ReviewSubmission:
    """A review submission of the user's own trust in this arrangement. Another trust's submission (the other side's
    included) and, to regulator staff, every submission is missing: each trust changes only its own."""
    submission = get_object_or_404(
        ReviewSubmission.objects.select_related("review", "trust"), pk=pk, review__arrangement=arrangement
    )
    if not (user.is_authenticated and user.is_trust_executive and submission.trust_id == user.trust_id):
        raise Http404("No review submission matches the given query.")
    return submission


def get_review_to_note_or_404(user: User, arrangement: Arrangement, pk: int) -> Review:
    """A review of this arrangement that regulator staff may add a note to; to anyone else it is missing."""
    if REGULATOR not in parties_of(user, arrangement):
        raise Http404("Page not found.")
    return get_object_or_404(Review, pk=pk, arrangement=arrangement)
