"""Trust registry pages. Each view: fetch, check permission (buddying.permissions), call a service, redirect."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from buddying import permissions, selectors, services
from buddying.filters import TrustFilter
from buddying.forms import CultureProfileForm, ExpertiseForm, ImprovementNeedsForm, SignInForm, TrustProfileForm
from buddying.models import CultureProfile, Trust

PAGE_SIZES = (25, 50, 100)


class SignInView(auth_views.LoginView):
    form_class = SignInForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True


def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    if user.is_trust_executive:
        return redirect(user.trust)
    return render(request, "buddying/home.html", {"summary": selectors.registry_summary()})


def _page_size(request: HttpRequest) -> int:
    try:
        size = int(request.GET.get("per_page", PAGE_SIZES[0]))
    except ValueError:
        return PAGE_SIZES[0]
    return size if size in PAGE_SIZES else PAGE_SIZES[0]


def _query_without(request: HttpRequest, *names: str) -> str:
    params = request.GET.copy()
    for name in names:
        params.pop(name, None)
    return params.urlencode()


def trust_directory(request: HttpRequest) -> HttpResponse:
    trust_filter = TrustFilter(request.GET or None, queryset=Trust.objects.for_directory())
    trusts: QuerySet[Trust] = trust_filter.qs
    page = Paginator(trusts, _page_size(request)).get_page(request.GET.get("page"))
    return render(
        request,
        "buddying/trust_directory.html",
        {
            "filter": trust_filter,
            "page": page,
            "page_size": page.paginator.per_page,
            "page_sizes": PAGE_SIZES,
            "current_sort": request.GET.get("sort", "name"),
            "query_without_page": _query_without(request, "page"),
            "query_without_sort": _query_without(request, "page", "sort"),
            "query_for_map": _query_without(request, "page", "per_page", "sort"),
            "sortable_columns": TrustFilter.SORTABLE_COLUMNS,
        },
    )


def trust_map(request: HttpRequest) -> HttpResponse:
    trust_filter = TrustFilter(request.GET or None, queryset=Trust.objects.all())
    markers = selectors.map_markers(trust_filter.qs.order_by())
    return render(
        request,
        "buddying/trust_map.html",
        {
            "filter": trust_filter,
            "markers": markers,
            "legend": [(label, selectors.STATUS_COLOURS[value]) for value, label in Trust.ImprovementStatus.choices],
            "query_for_directory": _query_without(request, "page"),
        },
    )


def trust_detail(request: HttpRequest, ods_code: str) -> HttpResponse:
    try:
        summary = Trust.objects.only("pk").get(ods_code=ods_code)
    except Trust.DoesNotExist:
        raise Http404("No trust matches the given query.") from None
    include_private = permissions.can_view_private_trust_data(request.user, summary)
    trust = selectors.trust_for_profile(ods_code=ods_code, include_private=include_private)
    culture = getattr(trust, "culture", None) if include_private else None
    can_edit = permissions.can_edit_trust(request.user, trust)
    return render(
        request,
        "buddying/trust_detail.html",
        {
            "trust": trust,
            "include_private": include_private,
            "can_edit": can_edit,
            "can_edit_regulated": permissions.is_regulator_or_admin(request.user),
            # Only people who can fill the gaps see them; the culture profile is private to them.
            "completeness": selectors.trust_profile_completeness(trust) if can_edit and include_private else None,
            "culture": culture,
            "culture_scores": culture.scores() if culture else [],
            "marker": selectors.map_markers(Trust.objects.filter(pk=trust.pk)),
        },
    )


@require_http_methods(["GET", "POST"])
def trust_edit(request: HttpRequest, ods_code: str) -> HttpResponse:
    trust = permissions.get_trust_for_edit_or_404(request.user, ods_code)
    regulated = permissions.is_regulator_or_admin(request.user)
    form = TrustProfileForm(request.POST or None, instance=trust, can_edit_regulated_fields=regulated)
    if request.method == "POST" and form.is_valid():
        services.trust_update_profile(
            trust=trust, by=request.user, fields=form.profile_fields(), services=form.cleaned_data["services"]
        )
        messages.success(request, "Profile saved")
        return redirect(trust)
    return render(request, "buddying/trust_form.html", {"trust": trust, "form": form, "title": "Edit profile"})


@require_http_methods(["GET", "POST"])
def trust_culture_edit(request: HttpRequest, ods_code: str) -> HttpResponse:
    trust = permissions.get_trust_for_edit_or_404(request.user, ods_code)
    instance = CultureProfile.objects.filter(trust=trust).first()
    form = CultureProfileForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        services.culture_profile_save(trust=trust, by=request.user, fields=form.cleaned_data)
        messages.success(request, "Culture profile saved")
        return redirect(trust)
    return render(request, "buddying/trust_form.html", {"trust": trust, "form": form, "title": "Culture profile"})


def _per_area_edit(
    request: HttpRequest, ods_code: str, *, form_class: type, related: str, save: Any, title: str, saved: str
) -> HttpResponse:
    trust = permissions.get_trust_for_edit_or_404(request.user, ods_code)
    current = {
        entry.area_id: (getattr(entry, form_class.level_attribute), getattr(entry, form_class.note_attribute))
        for entry in getattr(trust, related).all()
    }
    form = form_class(request.POST or None, areas=selectors.expertise_areas(), initial_entries=current)
    if request.method == "POST" and form.is_valid():
        save(trust=trust, by=request.user, entries=form.entries())
        messages.success(request, saved)
        return redirect(trust)
    return render(request, "buddying/trust_form.html", {"trust": trust, "form": form, "title": title})


@require_http_methods(["GET", "POST"])
def trust_expertise_edit(request: HttpRequest, ods_code: str) -> HttpResponse:
    return _per_area_edit(
        request,
        ods_code,
        form_class=ExpertiseForm,
        related="expertise",
        save=services.trust_set_expertise,
        title="Expertise",
        saved="Expertise saved",
    )


@require_http_methods(["GET", "POST"])
def trust_needs_edit(request: HttpRequest, ods_code: str) -> HttpResponse:
    return _per_area_edit(
        request,
        ods_code,
        form_class=ImprovementNeedsForm,
        related="needs",
        save=services.trust_set_needs,
        title="Improvement needs",
        saved="Improvement needs saved",
    )
