"""Forms for the trust registry. They validate; services write."""

from __future__ import annotations

from typing import Any

from crispy_forms_gds.fields import DateInputField
from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import HTML, Field, Fieldset, Layout, Size, Submit
from django import forms
from django.contrib.auth.forms import AuthenticationForm

from buddying.models import CULTURE_DIMENSIONS, CultureProfile, ExpertiseArea, ImprovementNeed, ServiceLine, Trust
from buddying.postcodes import UnknownPostcode, locate_postcode
from buddying.validators import normalise_postcode

# Facts the regulator determines (ratings, oversight, status, closure, travel); a trust executive
# cannot change them: they are not on an executive's form, so posting them changes nothing.
REGULATOR_ONLY_FIELDS = (
    "trust_type",
    "is_foundation_trust",
    "region",
    "ics",
    "cqc_rating",
    "oversight_segment",
    "improvement_status",
    "improvement_status_since",
    "improvement_status_review_due",
    "closed_on",
    "travel_adjustment_minutes",
)


class SignInForm(AuthenticationForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "Username"
        self.helper = FormHelper()
        self.helper.form_tag = False  # the template has the <form>, its CSRF token and the `next` field
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            Field.text("username", field_width=20, autocomplete="username", spellcheck="false"),
            Field.text("password", field_width=20, autocomplete="current-password"),
            Submit("submit", "Sign in"),
        )


class TrustProfileForm(forms.ModelForm):
    improvement_status_since = DateInputField(label="Status since", required=False, help_text="For example, 17 7 2013")
    improvement_status_review_due = DateInputField(label="Status review due", required=False)
    services = forms.ModelMultipleChoiceField(
        queryset=ServiceLine.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Services the trust runs",
        help_text="Matching gives a buddy no credit for a need in a service it does not run.",
    )
    closed_on = DateInputField(
        label="Closed on",
        required=False,
        help_text=(
            "The day the trust closed or will close, for example on a merger. A closed trust is hidden from the "
            "directory and is never suggested as a buddy. For example, 31 3 2025"
        ),
    )
    oversight_segment = forms.TypedChoiceField(
        label="Oversight segment",
        choices=[("", "Not segmented"), *((n, str(n)) for n in range(1, 5)), (5, "5 (Recovery Support Programme)")],
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
        help_text=Trust._meta.get_field("oversight_segment").help_text,
    )

    class Meta:
        model = Trust
        fields = [
            "name",
            "trust_type",
            "is_foundation_trust",
            "is_teaching",
            "region",
            "ics",
            "postcode",
            "number_of_sites",
            "cqc_rating",
            "oversight_segment",
            "improvement_status",
            "improvement_status_since",
            "improvement_status_review_due",
            "travel_adjustment_minutes",
            "closed_on",
            "services",
        ]
        labels = {"name": "Trust name", "postcode": "Postcode of the main site"}
        # GOV.UK asks for text inputs with inputmode rather than type=number (which browsers alter on scroll).
        widgets = {
            "number_of_sites": forms.TextInput(attrs={"inputmode": "numeric"}),
            "travel_adjustment_minutes": forms.TextInput(attrs={"inputmode": "numeric"}),
            "improvement_status": forms.RadioSelect,
        }

    def __init__(self, *args: Any, can_edit_regulated_fields: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if can_edit_regulated_fields:
            # Left empty means no extra time, as for almost every trust.
            self.fields["travel_adjustment_minutes"].required = False
            self.fields["region"].choices = [("", "Not recorded"), *self.fields["region"].choices[1:]]
            self.fields["trust_type"].choices = [("", "Not known"), *self.fields["trust_type"].choices[1:]]
        else:
            for name in REGULATOR_ONLY_FIELDS:
                del self.fields[name]
        self.helper = FormHelper()
        self.helper.layout = Layout(*self._layout_fields(), Submit("submit", "Save profile"))

    def _layout_fields(self) -> list[Any]:
        present = set(self.fields)
        items: list[Any] = [
            Field.text("name"),
            Field.text("postcode", field_width=10, autocomplete="postal-code"),
            Field.text("number_of_sites", field_width=4, inputmode="numeric"),
            Field.checkbox("is_teaching"),
        ]
        if "trust_type" in present:
            items += [
                Field.select("trust_type"),
                Field.checkbox("is_foundation_trust"),
                Field.select("region"),
                Field.select("ics"),
                Field.select("cqc_rating"),
                Field.radios("oversight_segment", legend_size=Size.SMALL, inline=True),
                Field.radios("improvement_status", legend_size=Size.MEDIUM),
                Field("improvement_status_since"),
                Field("improvement_status_review_due"),
                Field.text("travel_adjustment_minutes", field_width=4, inputmode="numeric"),
                Field("closed_on"),
            ]
        items.append(Field.checkboxes("services", legend_size=Size.MEDIUM, small=True))
        return items

    def clean_postcode(self) -> str:
        raw = self.cleaned_data["postcode"]
        if not raw:
            return ""
        postcode = normalise_postcode(raw)
        try:
            locate_postcode(postcode)
        except UnknownPostcode:
            raise forms.ValidationError(
                f"We could not find the postcode {postcode}. Check it and enter it again", code="unknown_postcode"
            ) from None
        return postcode

    def clean_travel_adjustment_minutes(self) -> int:
        return self.cleaned_data["travel_adjustment_minutes"] or 0

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        status = cleaned.get("improvement_status")
        if status and status != Trust.ImprovementStatus.NONE and not cleaned.get("improvement_status_since"):
            self.add_error("improvement_status_since", "Enter the date the trust entered this status")
        since, review_due = cleaned.get("improvement_status_since"), cleaned.get("improvement_status_review_due")
        if since and review_due and review_due < since:
            self.add_error("improvement_status_review_due", "The review date must be on or after the status date")
        return cleaned

    def profile_fields(self) -> dict[str, Any]:
        return {name: value for name, value in self.cleaned_data.items() if name != "services"}


class CultureProfileForm(forms.ModelForm):
    class Meta:
        model = CultureProfile
        fields = ["survey_year", *(field for field, _label in CULTURE_DIMENSIONS), "values_statement"]
        labels = {"values_statement": "Your trust's values, in a few sentences"}
        widgets = {
            "survey_year": forms.TextInput(attrs={"inputmode": "numeric"}),
            **{field: forms.TextInput(attrs={"inputmode": "decimal"}) for field, _label in CULTURE_DIMENSIONS},
        }
        help_texts = {
            "survey_year": "The NHS Staff Survey year the scores come from",
            # crispy-forms-gds needs a hint on a character-counted textarea (it fails without one).
            "values_statement": "What your trust stands for and how it works with others",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Field.text("survey_year", field_width=4, inputmode="numeric"),
            Fieldset(
                HTML('<p class="govuk-body">Theme scores from 0 to 10, as the NHS Staff Survey reports them.</p>'),
                *(Field.text(field, field_width=4) for field, _label in CULTURE_DIMENSIONS),
                legend="People Promise theme scores",
                legend_size=Size.MEDIUM,
            ),
            Field.textarea("values_statement", rows=4, max_characters=2000),
            Submit("submit", "Save culture profile"),
        )


class _PerAreaForm(forms.Form):
    """One row per expertise area: a level (blank means 'not listed') and a note."""

    level_label = ""
    level_choices: list[tuple[str, str]] = []
    note_label = ""
    submit_label = ""

    def __init__(
        self, *args: Any, areas: list[ExpertiseArea], initial_entries: dict[int, tuple[int, str]], **kwargs: Any
    ):
        super().__init__(*args, **kwargs)
        self.areas = areas
        layout: list[Any] = []
        for area in areas:
            level, note = initial_entries.get(area.pk, ("", ""))
            self.fields[f"level_{area.pk}"] = forms.TypedChoiceField(
                label=self.level_label,
                choices=self.level_choices,
                coerce=int,
                empty_value=None,
                required=False,
                initial=level,
            )
            self.fields[f"note_{area.pk}"] = forms.CharField(
                label=self.note_label, required=False, widget=forms.Textarea, initial=note, max_length=2000
            )
            layout.append(
                Fieldset(
                    Field.select(f"level_{area.pk}"),
                    Field.textarea(f"note_{area.pk}", rows=2),
                    legend=area.name,
                    legend_size=Size.SMALL,
                )
            )
        self.helper = FormHelper()
        self.helper.layout = Layout(*layout, Submit("submit", self.submit_label))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        for area in self.areas:
            if cleaned.get(f"note_{area.pk}") and cleaned.get(f"level_{area.pk}") is None:
                self.add_error(f"level_{area.pk}", f"Choose a level for {area.name}, or remove the note")
        return cleaned

    def entries(self) -> list[tuple[ExpertiseArea, int, str]]:
        return [
            (area, self.cleaned_data[f"level_{area.pk}"], self.cleaned_data[f"note_{area.pk}"].strip())
            for area in self.areas
            if self.cleaned_data.get(f"level_{area.pk}") is not None
        ]


class ExpertiseForm(_PerAreaForm):
    level_attribute, note_attribute = "strength", "evidence"
    level_label = "Strength"
    level_choices = [
        ("", "Not an area of expertise"),
        ("1", "1 - some experience"),
        ("2", "2 - good practice"),
        ("3", "3 - strong, with results to show"),
        ("4", "4 - a recognised regional leader"),
        ("5", "5 - a recognised national leader"),
    ]
    note_label = "Evidence"
    submit_label = "Save expertise"


class ImprovementNeedsForm(_PerAreaForm):
    level_attribute, note_attribute = "priority", "notes"
    level_label = "Priority"
    level_choices = [
        ("", "Not a need"),
        *((str(value), label) for value, label in reversed(ImprovementNeed.Priority.choices)),
    ]
    note_label = "What the trust needs help with"
    submit_label = "Save improvement needs"
