"""What the arrangement pages share: the tabbed arrangement page, service calls that report refusals, form pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from arrangements import selectors, services
from arrangements.models import (
    Arrangement,
    TermsOfReference,
)
from arrangements.permissions import (
    parties_of,
)
from arrangements.services import ArrangementError
from buddying.http import AuthenticatedHttpRequest
from matching.selectors import pool_member_ids

TABS = ("overview", "terms", "work", "inputs", "reviews", "timeline")


def _pool_members_now() -> set[int]:
    return pool_member_ids(day=timezone.localdate())


def _page(request: AuthenticatedHttpRequest, arrangement: Arrangement, tab: str, **extra: Any) -> HttpResponse:
    context = {
        "arrangement": arrangement,
        "tab": tab,
        "parties": parties_of(request.user, arrangement),
        "actions": services.allowed_actions(arrangement=arrangement, user=request.user),
        **selectors.arrangement_detail(arrangement=arrangement),
        **extra,
    }
    if context["terms"] is not None:
        context["missing"] = services.missing_signatures(context["terms"])
        context["can_sign"] = _can_sign(request, arrangement, context["terms"], context["missing"])
    return render(request, f"arrangements/detail_{tab}.html", context)


def _can_sign(
    request: AuthenticatedHttpRequest, arrangement: Arrangement, terms: TermsOfReference, missing: list
) -> bool:
    if not arrangement.is_open:
        return False
    parties = parties_of(request.user, arrangement)
    for party, trust in missing:
        if party in parties and (trust is None or trust.pk in {arrangement.supported_id, request.user.trust_id}):
            return True
    return False


def _service_call(
    request: AuthenticatedHttpRequest, arrangement: Arrangement, call: Callable[[], Any], success: str, tab: str
) -> HttpResponse:
    try:
        call()
    except ArrangementError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, success)
    return redirect("arrangements:tab", pk=arrangement.pk, tab=tab) if tab != "overview" else redirect(arrangement)


def _form_page(
    request: AuthenticatedHttpRequest,
    arrangement: Arrangement,
    form: Any,
    title: str,
    save: Callable[[], Any],
    success: str,
    tab: str,
) -> HttpResponse:
    if request.method == "POST" and form.is_valid():
        try:
            save()
        except ArrangementError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, success)
            return redirect("arrangements:tab", pk=arrangement.pk, tab=tab)
    return render(request, "arrangements/form.html", {"form": form, "arrangement": arrangement, "title": title})
