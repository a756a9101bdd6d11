"""Who may use matching: regulator staff and admins only. Everyone else is told the page does not exist."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase

from buddying.permissions import is_regulator_or_admin


def can_run_matching(user: Any) -> bool:
    return is_regulator_or_admin(user)


def regulator_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not can_run_matching(request.user):
            raise Http404("Page not found.")
        return view(request, *args, **kwargs)

    return wrapper


def get_application_or_404(user: Any, pk: int) -> Any:
    """A pool application: regulator staff see all; a trust executive only their own trust's."""
    from django.shortcuts import get_object_or_404

    from matching.models import PoolApplication

    application = get_object_or_404(PoolApplication.objects.select_related("trust", "framework"), pk=pk)
    if can_run_matching(user):
        return application
    if getattr(user, "is_trust_executive", False) and user.trust_id == application.trust_id:
        return application
    raise Http404("Page not found.")


def can_apply(user: Any) -> bool:
    """Executives apply for their own trust; regulator staff nominate any trust."""
    return can_run_matching(user) or (getattr(user, "is_trust_executive", False) and user.trust_id is not None)


# Soundings before procurement: regulator staff open, close and read the summary; a trust executive sees and
# answers only the soundings that asked their own trust (any other is reported missing).


def can_manage_soundings(user: Any) -> bool:
    return can_run_matching(user)


def can_answer_sounding(user: Any, response: Any) -> bool:
    """An executive of the trust asked; regulator staff read answers but never give one for a trust."""
    return bool(
        getattr(user, "is_authenticated", False)
        and getattr(user, "is_trust_executive", False)
        and user.trust_id is not None
        and user.trust_id == response.trust_id
    )


def get_sounding_response_or_404(user: Any, sounding_pk: int) -> Any:
    """The user's own trust's place in a sounding: only for an executive of a trust the sounding asked."""
    from django.shortcuts import get_object_or_404

    from matching.models import SoundingResponse

    if not getattr(user, "is_trust_executive", False) or user.trust_id is None:
        raise Http404("Page not found.")
    return get_object_or_404(
        SoundingResponse.objects.select_related("sounding__framework", "trust").prefetch_related("areas"),
        sounding_id=sounding_pk,
        trust_id=user.trust_id,
    )


def get_recruitment_invitation_or_404(user: Any, pk: int) -> Any:
    """An invitation to apply to the pool: regulator staff see all; a trust executive only their own trust's."""
    from django.shortcuts import get_object_or_404

    from matching.models import RecruitmentInvitation

    invitation = get_object_or_404(
        RecruitmentInvitation.objects.select_related("trust", "framework", "sent_by", "answered_by"), pk=pk
    )
    if can_run_matching(user) or can_answer_invitation(user, invitation):
        return invitation
    raise Http404("Page not found.")


def can_answer_invitation(user: Any, invitation: Any) -> bool:
    """Only the invited trust's executives accept or decline (regulator staff read the answer)."""
    return bool(
        getattr(user, "is_trust_executive", False)
        and user.trust_id is not None
        and user.trust_id == invitation.trust_id
    )
