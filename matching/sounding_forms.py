"""Forms for soundings before procurement: opening one (regulator staff) and answering one (a trust executive)."""

from __future__ import annotations

from typing import Any, cast

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import HTML, Field, Layout, Size, Submit
from django import forms
from django.utils.html import format_html

from buddying.formatting import money
from buddying.formfields import DateField, GovukFormMixin, ModelMultipleChoiceField
from buddying.models import Trust
from matching.models import CommitmentTier, Framework, SoundingIncentive, SoundingResponse, SoundingWillingness
from matching.services.soundings import sounding_answer_problems, strong_trusts


class SoundingForm(GovukFormMixin, forms.Form):
    """Which trusts to ask (every open strong trust, or those chosen), about which tier, and by when."""

    ALL_STRONG, SELECTED = "all-strong", "selected"

    title = forms.CharField(label="Title", max_length=200)
    message = forms.CharField(
        label="What you would like trusts to know (optional)", widget=forms.Textarea, required=False
    )
    tier = forms.ChoiceField(label="Tier of support you are sounding out", widget=forms.RadioSelect)
    audience = forms.ChoiceField(label="Which trusts to ask", widget=forms.RadioSelect)
    trusts = ModelMultipleChoiceField(
        label="Trusts to ask",
        queryset=Trust.objects.none(),
        required=False,
        help_text="Only if you chose to ask the trusts you select",
    )
    reply_by = DateField(label="Reply by (optional)", name="the date to reply by", required=False)
    error_names = {
        "title": "a title for the sounding",
        "tier": "the tier of support",
        "audience": "which trusts to ask",
    }

    def __init__(self, *args: Any, framework: Framework, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.strong = strong_trusts()
        fees = {fee.tier: fee.annual_fee for fee in framework.fees.all()}
        # The tiers the framework's fee scale prices, so a fee asked can be set against the scale.
        cast(forms.ChoiceField, self.fields["tier"]).choices = [
            (tier, f"{label} (fee scale: {money(fees[tier])} a year for each trust supported)")
            for tier, label in CommitmentTier.choices
            if tier in fees
        ] or list(CommitmentTier.choices)
        self.fields["tier"].initial = (
            CommitmentTier.SUPERBUDDY if not fees or CommitmentTier.SUPERBUDDY in fees else next(iter(fees))
        )
        cast(forms.ChoiceField, self.fields["audience"]).choices = [
            (
                self.ALL_STRONG,
                f"All open strong trusts ({len(self.strong)}): rated good or outstanding, not in need "
                "of support themselves",
            ),
            (self.SELECTED, "Only the trusts I select"),
        ]
        self.fields["audience"].initial = self.ALL_STRONG
        cast(forms.ModelMultipleChoiceField, self.fields["trusts"]).queryset = (
            Trust.objects.open().exclude(improvement_status=Trust.ImprovementStatus.SPECIAL_MEASURES).order_by("name")
        )
        self.fields["title"].initial = f"Would you join {framework.name}?"
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Field.text("title"),
            Field.textarea("message", rows=3),
            Field.radios("tier", legend_size=Size.SMALL),
            Field.radios("audience", legend_size=Size.SMALL),
            Field.checkboxes("trusts", legend_size=Size.SMALL, small=True),
            Field("reply_by"),
            Submit("submit", "Open the sounding"),
        )

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get("audience") == self.SELECTED and not cleaned.get("trusts") and "trusts" not in self.errors:
            self.add_error("trusts", "Select at least one trust to ask")
        return cleaned

    def chosen_trusts(self) -> list[Trust]:
        if self.cleaned_data["audience"] == self.ALL_STRONG:
            return list(self.strong)
        return list(self.cleaned_data["trusts"])


class SoundingAnswerForm(GovukFormMixin, forms.Form):
    """A trust's answer: would it join, how many trusts it could support at once, the expertise it would offer and
    the incentive it would need (with the fee, if a fee). The rules are the service's (sounding_answer_problems)."""

    willingness = forms.ChoiceField(
        label="Would your trust join the framework?", choices=SoundingWillingness.choices, widget=forms.RadioSelect
    )
    max_concurrent_arrangements = forms.IntegerField(
        label="Most trusts you could support at once",
        help_text="Count every tier of support together, as your declared buddy capacity does",
        min_value=1,
        max_value=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    areas = ModelMultipleChoiceField(
        label="Areas of expertise you would offer",
        queryset=Framework.objects.none(),
        required=False,
        help_text="Select all that apply",
    )
    incentive = forms.ChoiceField(
        label="Incentive your trust would need",
        choices=SoundingIncentive.choices,
        widget=forms.RadioSelect,
        required=False,
    )
    fee_amount = forms.DecimalField(
        label="Annual fee you would need for each trust you support (£)",
        help_text="Only if you need a fee",
        min_value=0,
        max_digits=12,
        decimal_places=2,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    reason = forms.CharField(
        label="Your reasons",
        help_text="Why you would or would not join, and why you need that incentive. Needed if you answer no",
        widget=forms.Textarea,
        required=False,
    )
    error_names = {
        "willingness": "whether your trust would join the framework",
        "max_concurrent_arrangements": "the most trusts you could support at once",
        "areas": "the areas of expertise you would offer",
        "incentive": "the incentive your trust would need",
        "fee_amount": "the annual fee",
    }

    def __init__(self, *args: Any, response: SoundingResponse, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lots = list(response.sounding.framework.lots.all())
        cast(forms.ModelMultipleChoiceField, self.fields["areas"]).queryset = response.sounding.framework.lots.all()
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Field.radios("willingness", legend_size=Size.MEDIUM, inline=True),
            HTML(format_html('<h2 class="govuk-heading-m">{}</h2>', "If yes or maybe")),
            Field.text("max_concurrent_arrangements", field_width=3),
            Field.checkboxes("areas", legend_size=Size.SMALL, small=True),
            Field.radios("incentive", legend_size=Size.SMALL),
            Field.text("fee_amount", field_width=10),
            Field.textarea("reason", rows=4),
            Submit("submit", "Send your answer" if not response.is_answered else "Change your answer"),
        )

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if self.errors:
            return cleaned
        for field, message in sounding_answer_problems(
            willingness=cleaned.get("willingness", ""),
            max_concurrent_arrangements=cleaned.get("max_concurrent_arrangements"),
            areas=list(cleaned.get("areas") or []),
            lots=self.lots,
            incentive=cleaned.get("incentive", ""),
            fee_amount=cleaned.get("fee_amount"),
            reason=cleaned.get("reason", ""),
        ):
            self.add_error(field, message)
        return cleaned

    @staticmethod
    def initial_from(response: SoundingResponse) -> dict[str, Any]:
        if not response.is_answered:
            return {}
        return {
            "willingness": response.willingness,
            "max_concurrent_arrangements": response.max_concurrent_arrangements,
            "areas": list(response.areas.all()),
            "incentive": response.incentive,
            "fee_amount": response.fee_amount,
            "reason": response.reason,
        }
