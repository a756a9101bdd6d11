"""Forms for matching runs: weights and limits, checked by the engine's own rules."""

from __future__ import annotations

from typing import Any, cast

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import HTML, Field, Fieldset, Layout, Size, Submit
from django import forms
from django.conf import settings
from django.utils import timezone

from buddying.formfields import DateField, GovukFormMixin, ModelChoiceField, ModelMultipleChoiceField
from buddying.models import ExpertiseArea, Region, ServiceLine, Trust
from matching.engine import TEAM_SIZE_DEFAULT, EngineInputError, MatchSettings
from matching.engine.types import CRITERIA, CRITERION_LABELS
from matching.models import CommitmentTier, Framework, PoolApplication
from matching.services import match_settings_build

DEFAULTS = MatchSettings()
WEIGHT_HINTS = {
    "cultural_fit": "Shared values and culture: the 2014 review found this matters most",
    "expertise": "How much of the trust's prioritised needs the candidate's strengths cover",
    "geography": "The travel band: not a neighbour, not so far that visits need an overnight stay",
    "capacity": "Free buddying places and senior staff days",
    "structure": "Similar size, type and teaching status: a minor factor",
}


def _number(
    label: str, initial: float, *, help_text: str = "", min_value: float = 0, max_value: float | None = None
) -> forms.FloatField:
    return forms.FloatField(
        label=label,
        initial=initial,
        min_value=min_value,
        max_value=max_value,
        help_text=help_text,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )


class MatchSettingsForm(GovukFormMixin, forms.Form):
    """Weights (any non-negative numbers; only their ratios matter) and the geography band."""

    def __init__(
        self,
        *args: Any,
        size_label: str = "Shortlist size",
        size_initial: int = 10,
        with_team_size: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        for name in CRITERIA:
            self.fields[f"weight_{name}"] = _number(
                CRITERION_LABELS[name],
                round(getattr(DEFAULTS.weights, name) * 100),
                help_text=WEIGHT_HINTS[name],
                max_value=1000,
            )
        # Not a criterion: points added for a relationship both trusts confirmed, whatever the weights' units.
        self.fields["weight_relationship"] = _number(
            "Known relationship: points added",
            settings.MATCH_RELATIONSHIP_WEIGHT,
            help_text=(
                "Added to the score (out of 100) of a candidate with a relationship both trusts confirmed: an "
                "informal arrangement, a shared network, leaders who worked together. 0 to 50"
            ),
            max_value=50,
        )
        self.fields["weight_relationship"].required = False
        geography = DEFAULTS.geography
        self.fields["min_distance_km"] = _number(
            "Nearest a buddy may be (km)",
            geography.min_distance_km,
            help_text="Nearer trusts are neighbours or competitors and are excluded",
        )
        self.fields["ideal_max_minutes"] = _number(
            "Longest ideal travel time (minutes)", geography.ideal_max_minutes, help_text="Estimated from distance"
        )
        self.fields["max_minutes"] = _number(
            "Longest travel time before visits need an overnight stay (minutes)",
            geography.max_minutes,
            help_text="Candidates further away than this are penalised",
        )
        self.fields["pool_only"] = forms.BooleanField(
            label="Only accredited members of the superbuddy framework pool", required=False
        )
        self.fields["include_receiving_support"] = forms.BooleanField(
            label=(
                "Include trusts that are receiving support themselves (special measures, recovery, oversight "
                "segment 4 or 5); they are flagged"
            ),
            required=False,
        )
        self.fields["size"] = forms.IntegerField(
            label=size_label,
            initial=size_initial,
            min_value=1,
            max_value=50,
            widget=forms.TextInput(attrs={"inputmode": "numeric"}),
        )
        size_fields = [Field.text("size", field_width=4)]
        if with_team_size:
            # The explorer's two buttons want different sizes: a shortlist of ten to read, but a team
            # of at most three buddies, each leading on the needs it covers (issue-specific buddying).
            self.fields["team_size"] = forms.IntegerField(
                label="Most buddies in a team",
                initial=TEAM_SIZE_DEFAULT,
                min_value=1,
                max_value=10,
                widget=forms.TextInput(attrs={"inputmode": "numeric"}),
            )
            size_fields.append(Field.text("team_size", field_width=4))
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Fieldset(
                HTML('<p class="govuk-body-s">Only the ratios matter: the weights are scaled to add up to 100%.</p>'),
                *(Field.text(f"weight_{name}", field_width=4) for name in CRITERIA),
                Field.text("weight_relationship", field_width=4),
                legend="Weights",
                legend_size=Size.SMALL,
            ),
            Fieldset(
                Field.text("min_distance_km", field_width=4),
                Field.text("ideal_max_minutes", field_width=4),
                Field.text("max_minutes", field_width=4),
                legend="Geography band",
                legend_size=Size.SMALL,
            ),
            Field.checkbox("pool_only", small=True),
            Field.checkbox("include_receiving_support", small=True),
            *size_fields,
        )

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if self.errors:
            return cleaned
        try:
            weights = {name: cleaned[f"weight_{name}"] for name in CRITERIA}
            if cleaned.get("weight_relationship") is not None:
                weights["relationship"] = cleaned["weight_relationship"] / 100
            cleaned["settings"] = match_settings_build(
                weights=weights,
                geography={
                    "min_distance_km": cleaned["min_distance_km"],
                    "ideal_max_minutes": cleaned["ideal_max_minutes"],
                    "max_minutes": cleaned["max_minutes"],
                },
                # A wave's framework chosen means that framework's pool only, as its hint says.
                pool_only=cleaned["pool_only"] or cleaned.get("framework") is not None,
                include_receiving_support=cleaned["include_receiving_support"],
            )
        except EngineInputError as error:
            raise forms.ValidationError(str(error)) from None
        return cleaned

    @staticmethod
    def initial_from_run(stored: dict[str, Any], *, kind: str) -> dict[str, Any]:
        """Fill the form from a recorded run's settings, to run it again with a change."""
        initial: dict[str, Any] = {f"weight_{name}": stored["weights"][name] for name in CRITERIA}
        # Runs recorded before relationships counted had none: show the default for the next run.
        if "relationship" in stored["weights"]:
            initial["weight_relationship"] = round(stored["weights"]["relationship"] * 100, 2)
        initial.update(
            {key: stored["geography"][key] for key in ("min_distance_km", "ideal_max_minutes", "max_minutes")}
        )
        initial["pool_only"] = stored["pool_only"]
        # Runs recorded before this setting existed excluded such trusts, as the default does.
        initial["include_receiving_support"] = stored.get("include_receiving_support", False)
        initial["team_size" if kind == "team" else "size"] = stored["k"]
        return initial


# The wave methods as a user reads them (run_wave.html names the method of a recorded run with these too).
WAVE_METHOD_LABELS = {
    "coverage": "Best teams: share the pool's capacity to cover as many needs as possible",
    "stable": "Mutual preferences: no trust and buddy would both rather swap (stable matching)",
    "assignment": "One buddy at a time (for comparison: ignores overlapping expertise)",
}


def _trust_choice_label(trust: Trust) -> str:
    if trust.improvement_status == Trust.ImprovementStatus.NONE:
        return trust.name
    return f"{trust.name} ({trust.get_improvement_status_display().lower()})"


class WaveForm(MatchSettingsForm):
    error_names = {**MatchSettingsForm.error_names, "framework": "a framework pool"}

    def __init__(self, *args: Any, trusts: list[Trust], **kwargs: Any) -> None:
        super().__init__(*args, size_label="Most buddies per trust", size_initial=TEAM_SIZE_DEFAULT, **kwargs)
        self.fields["trusts"] = forms.MultipleChoiceField(
            label="Trusts to allocate buddies to",
            choices=[(t.ods_code, _trust_choice_label(t)) for t in trusts],
            widget=forms.CheckboxSelectMultiple,
            help_text="Trusts with improvement needs recorded; those in special measures come first",
            error_messages={"required": "Choose at least one trust"},
        )
        self.fields["method"] = forms.ChoiceField(
            label="Allocation method",
            choices=list(WAVE_METHOD_LABELS.items()),
            initial="coverage",
            widget=forms.RadioSelect,
        )
        self.fields["framework"] = ModelChoiceField(
            label="Framework pool",
            queryset=Framework.objects.filter(status=Framework.Status.LIVE).order_by("name"),
            required=False,
            empty_label="Any live framework",
            help_text="For a pool-only wave: the members of this framework's pool only. Choosing one makes the wave "
            "pool-only.",
        )
        self.helper.layout.fields.insert(0, Field.checkboxes("trusts", legend_size=Size.MEDIUM, small=True))
        self.helper.layout.fields.insert(1, Field.radios("method", legend_size=Size.MEDIUM))
        after_pool_only = next(
            i for i, field in enumerate(self.helper.layout.fields) if "pool_only" in getattr(field, "fields", [])
        )
        self.helper.layout.fields.insert(after_pool_only + 1, Field.select("framework"))


class FrameworkForm(GovukFormMixin, forms.Form):
    name = forms.CharField(label="Name", max_length=200)
    term_start = DateField(label="Term starts", name="the date the term starts")
    term_end = DateField(label="Term ends", name="the date the term ends")
    lots = ModelMultipleChoiceField(
        label="Lots: the expertise areas the framework covers",
        queryset=ExpertiseArea.objects.all(),
        error_messages={"required": "Select at least one lot: the expertise areas the framework covers"},
    )
    error_names = {"name": "a name for the framework", "lots": "lots"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for tier, label in CommitmentTier.choices:
            self.fields[f"fee_{tier}"] = forms.DecimalField(
                label=f"{label}: annual fee (£)",
                min_value=0,
                max_digits=12,
                decimal_places=2,
                initial=0,
                widget=forms.TextInput(attrs={"inputmode": "decimal"}),
            )
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Field.text("name"),
            Field("term_start"),
            Field("term_end"),
            Field.checkboxes("lots", legend_size=Size.SMALL, small=True),
            Fieldset(
                *(Field.text(f"fee_{tier}", field_width=10) for tier, _l in CommitmentTier.choices),
                legend="Fee scale by tier of commitment",
                legend_size=Size.SMALL,
            ),
            Submit("submit", "Create framework"),
        )

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if Framework.objects.filter(name__iexact=name).exists():
            raise forms.ValidationError(f"A framework called {name} already exists: choose another name")
        return name

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        start, end = cleaned.get("term_start"), cleaned.get("term_end")
        if start and end and end < start:
            self.add_error("term_end", "The date the term ends must be the same as or after the date it starts")
        return cleaned

    def fees(self) -> dict[str, Any]:
        return {tier: self.cleaned_data[f"fee_{tier}"] for tier, _label in CommitmentTier.choices}


class PoolApplicationForm(GovukFormMixin, forms.Form):
    """A declaration to join the pool: expertise offered with evidence, capacity, travel, services, incentives."""

    trust = ModelChoiceField(label="Trust to nominate", queryset=Trust.objects.none(), empty_label="Choose a trust")
    max_concurrent_arrangements = forms.IntegerField(
        label="Most trusts you could support at once",
        min_value=1,
        max_value=20,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    senior_staff_days_per_month = forms.DecimalField(
        label="Senior staff days a month you can give",
        min_value=0,
        max_digits=5,
        decimal_places=1,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    max_travel_minutes = forms.IntegerField(
        label="Furthest travel you will accept (minutes each way)",
        min_value=15,
        max_value=600,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    incentive = forms.ChoiceField(
        label="Incentives", choices=PoolApplication.Incentive.choices, widget=forms.RadioSelect
    )
    services = ModelMultipleChoiceField(label="Services you run", queryset=ServiceLine.objects.all(), required=False)
    error_names = {
        "trust": "the trust to nominate",
        "max_concurrent_arrangements": "the most trusts you could support at once",
        "senior_staff_days_per_month": "the senior staff days a month you can give",
        "max_travel_minutes": "the furthest travel you will accept, in minutes",
        "incentive": "the incentives the trust needs",
    }

    STRENGTHS = [("", "Not offered"), *((str(n), f"{n} out of 5") for n in range(1, 6))]

    def __init__(self, *args: Any, framework: Framework, nominate: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lots = list(framework.lots.all())
        if nominate:
            cast(forms.ModelChoiceField, self.fields["trust"]).queryset = Trust.objects.exclude(
                improvement_status=Trust.ImprovementStatus.SPECIAL_MEASURES
            )
        else:
            del self.fields["trust"]
        offered = []
        for area in self.lots:
            self.fields[f"strength_{area.pk}"] = forms.TypedChoiceField(
                label="Strength", choices=self.STRENGTHS, coerce=int, empty_value=None, required=False
            )
            self.fields[f"evidence_{area.pk}"] = forms.CharField(
                label="Evidence", required=False, widget=forms.Textarea
            )
            offered.append(
                Fieldset(
                    Field.select(f"strength_{area.pk}"),
                    Field.textarea(f"evidence_{area.pk}", rows=2),
                    legend=area.name,
                    legend_size=Size.SMALL,
                )
            )
        self.helper = FormHelper()
        self.helper.layout = Layout(
            *([Field.select("trust")] if nominate else []),
            HTML('<h2 class="govuk-heading-m">Expertise offered</h2>'),
            *offered,
            HTML('<h2 class="govuk-heading-m">Capacity</h2>'),
            Field.text("max_concurrent_arrangements", field_width=3),
            Field.text("senior_staff_days_per_month", field_width=4),
            Field.text("max_travel_minutes", field_width=4),
            Field.checkboxes("services", legend_size=Size.SMALL, small=True),
            Field.radios("incentive", legend_size=Size.SMALL),
            Submit("submit", "Nominate" if nominate else "Apply to join the pool"),
        )

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        any_offered = False
        for area in self.lots:
            strength, evidence = cleaned.get(f"strength_{area.pk}"), (cleaned.get(f"evidence_{area.pk}") or "").strip()
            if strength is not None:
                any_offered = True
                if not evidence:
                    self.add_error(f"evidence_{area.pk}", f"Give evidence for your strength in {area.name.lower()}")
            elif evidence:
                self.add_error(
                    f"strength_{area.pk}", f"Choose a strength for {area.name.lower()}, or remove the evidence"
                )
        if not any_offered and not self.errors and self.lots:
            # On the first area's strength, so the error summary's link goes to a question that can fix it.
            self.add_error(
                f"strength_{self.lots[0].pk}",
                "Offer at least one area of expertise: choose its strength and give evidence",
            )
        return cleaned

    def offered(self) -> list[tuple[ExpertiseArea, int, str]]:
        return [
            (area, self.cleaned_data[f"strength_{area.pk}"], self.cleaned_data[f"evidence_{area.pk}"].strip())
            for area in self.lots
            if self.cleaned_data.get(f"strength_{area.pk}") is not None
        ]


class AccreditForm(GovukFormMixin, forms.Form):
    until = DateField(label="Accredited until", name="the date the accreditation ends")

    def __init__(self, *args: Any, framework: Framework, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.framework = framework
        self.fields["until"].help_text = (
            f"On or before {framework.term_end:%-d %B %Y}, when the term of {framework.name} ends. "
            f"For example, {framework.term_end:%-d %-m %Y}"
        )
        self.helper = FormHelper()
        self.helper.layout = Layout(Field("until"), Submit("submit", "Accredit"))

    def clean_until(self) -> Any:
        until = self.cleaned_data["until"]
        if until < timezone.localdate():
            raise forms.ValidationError("The date the accreditation ends must be today or in the future")
        if until > self.framework.term_end:
            raise forms.ValidationError(
                f"The date the accreditation ends must be on or before {self.framework.term_end:%-d %B %Y}, "
                f"when the term of {self.framework.name} ends"
            )
        return until


class ReasonForm(GovukFormMixin, forms.Form):
    reason = forms.CharField(label="Reason", widget=forms.Textarea)
    error_names = {"reason": "the reason"}

    def __init__(self, *args: Any, submit: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.layout = Layout(Field.textarea("reason", rows=3), Submit("submit", submit))


class PoolFilterForm(GovukFormMixin, forms.Form):
    region = forms.ChoiceField(label="Region", choices=[("", "All regions"), *Region.choices], required=False)
    area = ModelChoiceField(
        label="Expertise", queryset=ExpertiseArea.objects.all(), required=False, empty_label="All areas"
    )
    spare_only = forms.BooleanField(label="Only members with spare capacity", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.layout = Layout(
            Field.select("region"),
            Field.select("area"),
            Field.checkbox("spare_only", small=True),
            Submit("apply", "Apply filters"),
        )
