"""The arrangement filters shared by the register, the programme reports and their exports."""

from __future__ import annotations

from typing import Any

import django_filters
from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Layout, Size, Submit
from django import forms
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import QueryDict

from arrangements.models import RUNNING_STATUSES, Arrangement, ArrangementBuddy, Workstream
from buddying.formfields import DateField
from buddying.models import ExpertiseArea, Region


class ArrangementReportFilterForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.layout = Layout(
            Field.checkboxes("status", legend_size=Size.SMALL, small=True),
            Field.checkboxes("tier", legend_size=Size.SMALL, small=True),
            Field.checkboxes("origin", legend_size=Size.SMALL, small=True),
            Field.checkboxes("region", legend_size=Size.SMALL, small=True),
            Field.select("area", label_size=Size.SMALL),
            Field("start_from", legend_size=Size.SMALL),
            Field("start_to", legend_size=Size.SMALL),
            Field("review_by", legend_size=Size.SMALL),
            Field("ended_from", legend_size=Size.SMALL),
            Submit("apply", "Apply filters", css_class="govuk-!-margin-top-4"),
        )


class GdsDateFilter(django_filters.DateFilter):
    """A date filter entered as day, month and year (the GOV.UK date input); a date typed wrong is one error that
    names the filter, never a crash."""

    field_class = DateField


class ArrangementReportFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(
        choices=Arrangement.Status.choices, widget=forms.CheckboxSelectMultiple
    )
    tier = django_filters.MultipleChoiceFilter(choices=Arrangement.Tier.choices, widget=forms.CheckboxSelectMultiple)
    origin = django_filters.MultipleChoiceFilter(
        choices=Arrangement.Origin.choices, widget=forms.CheckboxSelectMultiple
    )
    region = django_filters.MultipleChoiceFilter(
        label="Region of the supported trust",
        field_name="supported__region",
        choices=Region.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    area = django_filters.ModelChoiceFilter(
        label="Expertise area",
        queryset=ExpertiseArea.objects.all(),
        method="filter_area",
        empty_label="Any",
        to_field_name="slug",
    )
    start_from = GdsDateFilter(
        label="Planned start on or after", field_name="planned_start", lookup_expr="gte", required=False
    )
    start_to = GdsDateFilter(
        label="Planned start on or before", field_name="planned_start", lookup_expr="lte", required=False
    )
    review_by = GdsDateFilter(label="Next review due on or before", method="filter_review_by", required=False)
    # ended_at is a moment; the filter is a Europe/London day (USE_TZ converts __date to the current zone).
    ended_from = GdsDateFilter(
        label="Ended on or after", field_name="ended_at", lookup_expr="date__gte", required=False
    )

    class Meta:
        model = Arrangement
        fields: list[str] = []
        form = ArrangementReportFilterForm

    def filter_review_by(self, queryset: QuerySet[Arrangement], name: str, value: Any) -> QuerySet[Arrangement]:
        """Running arrangements (active or paused) whose next review falls due by the date: an ended one has none."""
        if value is None:
            return queryset
        return queryset.filter(status__in=RUNNING_STATUSES, next_review_due__lte=value)

    def filter_area(
        self, queryset: QuerySet[Arrangement], name: str, value: ExpertiseArea | None
    ) -> QuerySet[Arrangement]:
        """Arrangements with a workstream in the area, or a buddy named for it. EXISTS, so each appears once."""
        if value is None:
            return queryset
        workstream = Workstream.objects.filter(arrangement=OuterRef("pk"), area=value)
        buddy = ArrangementBuddy.objects.filter(arrangement=OuterRef("pk"), areas=value)
        return queryset.filter(Q(Exists(workstream)) | Q(Exists(buddy)))


# The query-string names the filter reads (a date is entered as name_0, name_1, name_2).
DATE_PARAMS = tuple(
    f"{name}_{part}" for name in ("start_from", "start_to", "review_by", "ended_from") for part in range(3)
)
FILTER_PARAMS = ("status", "tier", "origin", "region", "area", *DATE_PARAMS)


def filters_as_json(params: QueryDict) -> dict[str, list[str]]:
    """The filters a user gave, as JSON-safe lists, for the export record and for a queued export to re-apply."""
    return {name: values for name in FILTER_PARAMS if (values := [v for v in params.getlist(name) if v != ""])}


def filters_from_json(filters: dict[str, list[str]]) -> QueryDict:
    params = QueryDict(mutable=True)
    for name, values in filters.items():
        if name in FILTER_PARAMS:
            params.setlist(name, [str(value) for value in values])
    return params


def apply_filters(queryset: QuerySet[Arrangement], params: QueryDict) -> tuple[ArrangementReportFilter, bool]:
    """The filter bound to `params` (or unbound if there are none), and whether its input is valid."""
    report_filter = ArrangementReportFilter(params or None, queryset=queryset)
    return report_filter, (not report_filter.is_bound) or report_filter.is_valid()
