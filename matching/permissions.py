"""Who may use matching: regulator staff and admins only. Everyone else is told the page does not exist."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse

from buddying.permissions import is_regulator_or_admin


def can_run_matching(user: Any) -> bool:
    return is_regulator_or_admin(user)


def regulator_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
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
    return bool(getattr(user, "is_trust_executive", False) and user.trust_id == invitation.trust_id)
