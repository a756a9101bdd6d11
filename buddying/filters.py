"""The trust directory's filters, shared by the directory table and the map."""

from __future__ import annotations

from typing import Any

import django_filters
from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Layout, Size, Submit
from django import forms
from django.db.models import Exists, OuterRef, Q, QuerySet

from buddying.models import ExpertiseArea, Region, ServiceLine, Trust, TrustExpertise


class TrustFilterForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.layout = Layout(
            Field.text("q", label_size=Size.SMALL),
            Field.checkboxes("region", legend_size=Size.SMALL, small=True),
            Field.checkboxes("trust_type", legend_size=Size.SMALL, small=True),
            Field.checkboxes("cqc_rating", legend_size=Size.SMALL, small=True),
            Field.checkboxes("oversight_segment", legend_size=Size.SMALL, small=True),
            Field.checkboxes("improvement_status", legend_size=Size.SMALL, small=True),
            Field.select("expertise", label_size=Size.SMALL),
            Field.select("service", label_size=Size.SMALL),
            Submit("apply", "Apply filters", css_class="govuk-!-margin-top-4"),
        )


class TrustFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label="Name or ODS code", method="filter_search")
    region = django_filters.MultipleChoiceFilter(choices=Region.choices, widget=forms.CheckboxSelectMultiple)
    trust_type = django_filters.MultipleChoiceFilter(
        label="Type", choices=Trust.TrustType.choices, widget=forms.CheckboxSelectMultiple
    )
    cqc_rating = django_filters.MultipleChoiceFilter(
        label="CQC rating", choices=Trust.CqcRating.choices, widget=forms.CheckboxSelectMultiple
    )
    oversight_segment = django_filters.MultipleChoiceFilter(
        label="Oversight segment", choices=[(n, str(n)) for n in range(1, 5)], widget=forms.CheckboxSelectMultiple
    )
    improvement_status = django_filters.MultipleChoiceFilter(
        label="Special measures or recovery",
        choices=Trust.ImprovementStatus.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    expertise = django_filters.ModelChoiceFilter(
        label="Expertise (strength 3 or more)",
        queryset=ExpertiseArea.objects.all(),
        method="filter_expertise",
        empty_label="Any",
    )
    service = django_filters.ModelChoiceFilter(
        label="Runs service", queryset=ServiceLine.objects.all(), field_name="services", empty_label="Any"
    )
    sort = django_filters.OrderingFilter(
        label="Sort by",
        fields=(
            ("name", "name"),
            ("ods_code", "ods_code"),
            ("region", "region"),
            ("trust_type", "trust_type"),
            ("cqc_rating", "cqc_rating"),
            ("oversight_segment", "oversight_segment"),
            ("improvement_status", "improvement_status"),
        ),
        field_labels={
            "name": "Name",
            "ods_code": "ODS code",
            "region": "Region",
            "trust_type": "Type",
            "cqc_rating": "CQC rating",
            "oversight_segment": "Oversight segment",
            "improvement_status": "Status",
        },
        empty_label="Name",
    )

    # Columns the directory table can sort by, in URL form (the `sort` parameter's values).
    SORTABLE_COLUMNS = (
        "name",
        "ods_code",
        "region",
        "trust_type",
        "cqc_rating",
        "oversight_segment",
        "improvement_status",
    )

    class Meta:
        model = Trust
        fields: list[str] = []
        form = TrustFilterForm

    def filter_search(self, queryset: QuerySet[Trust], name: str, value: str) -> QuerySet[Trust]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(ods_code__iexact=value))

    def filter_expertise(self, queryset: QuerySet[Trust], name: str, value: ExpertiseArea | None) -> QuerySet[Trust]:
        if value is None:
            return queryset
        # EXISTS rather than a join, so a trust appears once and the count query stays cheap.
        return queryset.filter(Exists(TrustExpertise.objects.filter(trust=OuterRef("pk"), area=value, strength__gte=3)))

    @property
    def qs(self) -> QuerySet[Trust]:
        queryset = super().qs
        # A stable order under every sort, so that pagination never repeats or skips a trust.
        ordering = list(queryset.query.order_by) or ["name"]
        return queryset.order_by(*ordering, "ods_code")
