"""The trust directory's filters, shared by the directory table and the map."""

from __future__ import annotations

from typing import Any, cast

import django_filters
from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Layout, Size, Submit
from django import forms
from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet

from buddying.models import ExpertiseArea, Region, ServiceLine, Trust, TrustExpertise, TrustQuerySet

# The type filter's value for trusts with no type recorded (`import_trusts` links to it).
TYPE_NOT_KNOWN = "not-known"
OVERSIGHT_SEGMENT_CHOICES = [
    *((n, str(n)) for n in range(1, 5)),
    (5, "5 (Recovery Support Programme)"),
]


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
            Field.checkbox("show_closed", small=True),
            Submit("apply", "Apply filters", css_class="govuk-!-margin-top-4"),
        )


class TrustFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label="Name or ODS code", method="filter_search")
    region = django_filters.MultipleChoiceFilter(choices=Region.choices, widget=forms.CheckboxSelectMultiple)
    trust_type = django_filters.MultipleChoiceFilter(
        label="Type",
        choices=[*Trust.TrustType.choices, (TYPE_NOT_KNOWN, "Not known")],
        method="filter_trust_type",
        widget=forms.CheckboxSelectMultiple,
    )
    cqc_rating = django_filters.MultipleChoiceFilter(
        label="CQC rating", choices=Trust.CqcRating.choices, widget=forms.CheckboxSelectMultiple
    )
    oversight_segment = django_filters.MultipleChoiceFilter(
        label="Oversight segment", choices=OVERSIGHT_SEGMENT_CHOICES, widget=forms.CheckboxSelectMultiple
    )
    improvement_status = django_filters.MultipleChoiceFilter(
        label="Special measures or recovery",
        choices=Trust.ImprovementStatus.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    expertise = django_filters.ModelChoiceFilter(
        label="Expertise",  # says the strength it needs, from settings, in __init__
        queryset=ExpertiseArea.objects.all(),
        method="filter_expertise",
        empty_label="Any",
    )
    service = django_filters.ModelChoiceFilter(
        label="Runs service", queryset=ServiceLine.objects.all(), field_name="services", empty_label="Any"
    )
    # Closed trusts are hidden unless this is ticked (see `qs`); the filter itself changes nothing.
    show_closed = django_filters.BooleanFilter(
        label="Show closed trusts", method="filter_nothing", widget=forms.CheckboxInput
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

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.filters["expertise"].label = f"Expertise (strength {settings.BUDDY_COVERS_AT_STRENGTH} or more)"

    def filter_nothing(self, queryset: QuerySet[Trust], name: str, value: object) -> QuerySet[Trust]:
        return queryset

    def filter_trust_type(self, queryset: QuerySet[Trust], name: str, value: list[str]) -> QuerySet[Trust]:
        # "Not known" is a blank type, so regulator staff can list the trusts whose type they must set.
        types = ["" if chosen == TYPE_NOT_KNOWN else chosen for chosen in value]
        return queryset.filter(trust_type__in=types)

    def filter_search(self, queryset: QuerySet[Trust], name: str, value: str) -> QuerySet[Trust]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(ods_code__iexact=value))

    def filter_expertise(self, queryset: QuerySet[Trust], name: str, value: ExpertiseArea | None) -> QuerySet[Trust]:
        if value is None:
            return queryset
        # EXISTS rather than a join, so a trust appears once and the count query stays cheap.
        # "Covers" means the same strength here as in matching (settings.BUDDY_COVERS_AT_STRENGTH).
        covering = TrustExpertise.objects.filter(
            trust=OuterRef("pk"), area=value, strength__gte=settings.BUDDY_COVERS_AT_STRENGTH
        )
        return queryset.filter(Exists(covering))

    @property
    def qs(self) -> TrustQuerySet:
        queryset = cast(TrustQuerySet, super().qs)  # of Trust.objects
        # Bound or not, closed trusts stay hidden unless asked for (super().qs has cleaned the form).
        if not (self.is_bound and self.form.cleaned_data.get("show_closed")):
            queryset = queryset.open()
        # A stable order under every sort, so that pagination never repeats or skips a trust.
        ordering = list(queryset.query.order_by) or ["name"]
        return queryset.order_by(*ordering, "ods_code")
