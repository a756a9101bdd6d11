"""Forms for pool readiness runs and recruitment invitations."""

from __future__ import annotations

from typing import Any

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Layout, Submit
from django import forms

from buddying.formfields import GovukFormMixin
from matching.engine.readiness import DRAWS_DEFAULT
from matching.services.readiness import MAX_DRAWS


class ReadinessForm(GovukFormMixin, forms.Form):
    draws = forms.IntegerField(
        label="Scenarios per wave size",
        initial=DRAWS_DEFAULT,
        min_value=2,
        max_value=MAX_DRAWS,
        help_text="More scenarios give a smaller standard error and take longer",
    )
    seed = forms.IntegerField(
        label="Seed (optional)",
        required=False,
        min_value=0,
        max_value=2**32 - 1,
        help_text="The same seed repeats a run's scenarios exactly. Leave blank for a new one.",
    )
    error_names = {"draws": "the number of scenarios", "seed": "the seed"}

    def __init__(self, *args: Any, action: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_action = action
        self.helper.layout = Layout(
            Field.text("draws", field_width=4),
            Field.text("seed", field_width=10),
            Submit("submit", "Simulate readiness"),
        )


class InvitationForm(GovukFormMixin, forms.Form):
    why = forms.CharField(label="Why the trust is invited", widget=forms.Textarea)
    error_names = {"why": "why the trust is invited"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.layout = Layout(Field.textarea("why", rows=4), Submit("submit", "Send the invitation"))
