"""Arrangement forms. They validate input; arrangements.services makes the changes."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar, cast

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import HTML, Button, Field, Fieldset, Layout, Size, Submit
from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from arrangements.models import Arrangement, Input, Milestone, Review, ReviewOutcome, ReviewSubmission, TermsOfReference
from buddying.formfields import DateField, GovukFormMixin, ModelChoiceField, ModelMultipleChoiceField
from buddying.models import ExpertiseArea, Trust

OBJECTIVE_ROWS = 5


def _helper(*fields: Any, submit: str) -> FormHelper:
    helper = FormHelper()
    helper.layout = Layout(*fields, Submit("submit", submit))
    return helper


class ProposeForm(GovukFormMixin, forms.Form):
    error_names: ClassVar[dict[str, str]] = {
        "supported": "the trust to be supported",
        "title": "what the arrangement is for",
        "lead_buddy": "the lead buddy",
        "tier": "the tier of support",
        "origin": "how it came about",
    }

    supported = ModelChoiceField(
        label="Trust to be supported", queryset=Trust.objects.all(), empty_label="Choose a trust"
    )
    title = forms.CharField(
        label="What the arrangement is for",
        max_length=200,
        help_text="For example: Maternity safety and board governance",
    )
    lead_buddy = ModelChoiceField(label="Lead buddy", queryset=Trust.objects.all(), empty_label="Choose a trust")
    # Issue-specific buddies: a checkbox per expertise area, each revealing the trust that helps with it
    # (issue_buddy_<area pk>, added in __init__). cleaned_data["issue_buddies"] lists the trusts chosen and
    # cleaned_data["issue_buddy_areas"] maps each to the areas it helps with.
    issue_areas = ModelMultipleChoiceField(
        label="Issue-specific buddies (optional)",
        queryset=ExpertiseArea.objects.none(),
        required=False,
        help_text="Tick each area where another trust helps with that one area, and choose the trust.",
    )
    tier = forms.ChoiceField(choices=Arrangement.Tier.choices, widget=forms.RadioSelect, label="Tier of support")
    origin = forms.ChoiceField(choices=Arrangement.Origin.choices, widget=forms.RadioSelect, label="How it came about")
    planned_start = DateField(label="Planned start", name="the planned start date")
    planned_end = DateField(label="Planned end", name="the planned end date")
    acquisition_separation = forms.CharField(
        label="If acquisition-linked: how the buddy role is kept distinct from the acquirer role",
        widget=forms.Textarea,
        required=False,
    )

    def __init__(self, *args: Any, own_trust: Trust | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        trusts = Trust.objects.order_by("name").only("ods_code", "name")
        for name in ("supported", "lead_buddy"):
            cast(forms.ModelChoiceField, self.fields[name]).queryset = trusts
        self._add_issue_buddy_fields(list(trusts))
        layout: list[Any] = [Field.text("title")]
        self.own_trust: Trust | None
        if own_trust is not None:
            # An executive proposes buddies for their own trust only.
            del self.fields["supported"]
            self.own_trust = own_trust
            cast(forms.ChoiceField, self.fields["origin"]).choices = [
                (Arrangement.Origin.SELF_PROPOSED, Arrangement.Origin.SELF_PROPOSED.label)
            ]
            self.fields["origin"].initial = Arrangement.Origin.SELF_PROPOSED
        else:
            self.own_trust = None
            layout.insert(0, Field.select("supported"))
        layout += [
            Field.select("lead_buddy"),
            Field("issue_areas", template="arrangements/includes/_issue_buddies.html"),
            Field.radios("tier", legend_size=Size.SMALL),
            Field.radios("origin", legend_size=Size.SMALL),
            Field("planned_start"),
            Field("planned_end"),
            Field.textarea("acquisition_separation", rows=3),
        ]
        self.helper = FormHelper()
        self.helper.form_tag = False  # the page adds its own buttons: check fit, then submit
        self.helper.layout = Layout(*layout)

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        start, end = cleaned.get("planned_start"), cleaned.get("planned_end")
        if start and end and end < start:
            self.add_error("planned_end", "The planned end date must be the same as or after the planned start date")
        supported = self.own_trust or cleaned.get("supported")
        lead = cleaned.get("lead_buddy")
        if supported and lead and supported == lead:
            self.add_error("lead_buddy", "A trust cannot buddy itself")
        issue_areas: dict[Trust, list[ExpertiseArea]] = {}
        for area in cleaned.get("issue_areas") or []:
            name = f"issue_buddy_{area.pk}"
            trust = self._trusts_by_pk.get(cleaned.get(name) or "")
            if name in self.errors:
                continue
            if trust is None:
                self.add_error(name, f"Select the buddy trust for {area.name.lower()}")
            elif supported and trust == supported:
                self.add_error(name, f"A trust cannot buddy itself: choose another trust for {area.name.lower()}")
            elif lead and trust == lead:
                self.add_error(
                    name, f"{trust.name} is the lead buddy already: choose another trust for {area.name.lower()}"
                )
            else:
                issue_areas.setdefault(trust, []).append(area)
        cleaned["issue_buddies"] = list(issue_areas)
        cleaned["issue_buddy_areas"] = issue_areas
        if (
            cleaned.get("tier") == Arrangement.Tier.ACQUISITION_LINKED
            and not cleaned.get("acquisition_separation", "").strip()
        ):
            self.add_error("acquisition_separation", "Say how the buddy role is kept distinct from the acquirer role")
        return cleaned

    def _add_issue_buddy_fields(self, trusts: list[Trust]) -> None:
        # One list of trusts for every area's choice: one query, not one per area.
        self.areas = list(ExpertiseArea.objects.order_by("name"))
        cast(forms.ModelChoiceField, self.fields["issue_areas"]).queryset = ExpertiseArea.objects.order_by("name")
        self._trusts_by_pk = {str(trust.pk): trust for trust in trusts}
        choices = [("", "Choose a trust"), *((str(trust.pk), trust.name) for trust in trusts)]
        for area in self.areas:
            self.fields[f"issue_buddy_{area.pk}"] = forms.ChoiceField(
                label=f"Buddy trust for {area.name.lower()}",
                choices=choices,
                required=False,
                widget=forms.Select(attrs={"class": "govuk-select"}),
            )

    def issue_rows(self) -> list[tuple[ExpertiseArea, bool, forms.BoundField]]:
        """Each area with whether it is ticked and its trust choice, for the page's checkboxes."""
        ticked = {str(value) for value in (self["issue_areas"].value() or [])}
        rows = []
        for area in self.areas:
            name = f"issue_buddy_{area.pk}"
            if self.is_bound and self.errors.get(name):
                self.fields[name].widget.attrs["class"] = "govuk-select govuk-select--error"
            rows.append((area, str(area.pk) in ticked, self[name]))
        return rows


class DeclineForm(GovukFormMixin, forms.Form):
    reason = forms.CharField(
        label="Why is it declined?",
        widget=forms.Textarea,
        error_messages={"required": "Say why it is declined, so the trust can propose another buddy"},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper(Field.textarea("reason", rows=3), submit="Decline")


class TerminateForm(GovukFormMixin, forms.Form):
    reason = forms.ChoiceField(
        label="Why is it ending?",
        choices=Arrangement.EndReason.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select why the arrangement is ending"},
    )
    notes = forms.CharField(label="More about why", widget=forms.Textarea, required=False)
    handover = forms.CharField(
        label="Handover notes",
        widget=forms.Textarea,
        help_text="What happens to the work now, and who picks it up",
        error_messages={"required": "Enter handover notes: what happens to the work now, and who picks it up"},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            Field.radios("reason", legend_size=Size.MEDIUM),
            Field.textarea("notes", rows=3),
            Field.textarea("handover", rows=4),
            submit="End the arrangement",
        )


class TermsForm(GovukFormMixin, forms.ModelForm):
    error_names: ClassVar[dict[str, str]] = {
        "review_every_months": "how often the arrangement is reviewed, in months",
        "fee": "the fee",
        "who_pays": "who pays",
        "meeting_cadence": "how often the trusts meet",
    }

    class Meta:
        model = TermsOfReference
        fields = [
            "scope",
            "out_of_scope",
            "supported_commitments",
            "buddy_commitments",
            "governance",
            "meeting_cadence",
            "review_every_months",
            "local_discretion",
            "termination_terms",
            "fee",
            "who_pays",
        ]
        widgets = {
            "review_every_months": forms.TextInput(attrs={"inputmode": "numeric"}),
            "fee": forms.TextInput(attrs={"inputmode": "decimal"}),
            "who_pays": forms.RadioSelect,
            "meeting_cadence": forms.RadioSelect,
        }
        labels = {"fee": "Fee (£)", "review_every_months": "Review every (months)"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for row in range(1, OBJECTIVE_ROWS + 1):
            required = row == 1
            self.fields[f"objective_{row}"] = forms.CharField(
                label=f"Objective {row}",
                required=required,
                max_length=300,
                error_messages={"required": "Enter at least one objective"},
            )
            self.fields[f"output_{row}"] = forms.CharField(
                label=f"Measurable output for objective {row}", required=False, max_length=300
            )
            self.fields[f"target_{row}"] = DateField(label=f"Target date for objective {row}", required=False)
        objectives = [
            Fieldset(
                Field.text(f"objective_{row}"),
                Field.text(f"output_{row}"),
                Field(f"target_{row}"),
                legend=f"Objective {row}" + ("" if row == 1 else " (optional)"),
                legend_size=Size.SMALL,
            )
            for row in range(1, OBJECTIVE_ROWS + 1)
        ]
        self.helper = _helper(
            HTML('<h2 class="govuk-heading-m">Objectives and timescales</h2>'),
            *objectives,
            HTML('<h2 class="govuk-heading-m">Scope and commitments</h2>'),
            Field.textarea("scope", rows=3),
            Field.textarea("out_of_scope", rows=2),
            Field.textarea("supported_commitments", rows=3),
            Field.textarea("buddy_commitments", rows=3),
            HTML('<h2 class="govuk-heading-m">Governance and reviews</h2>'),
            Field.textarea("governance", rows=2),
            Field.radios("meeting_cadence", legend_size=Size.SMALL, inline=True),
            Field.text("review_every_months", field_width=2),
            Field.textarea("local_discretion", rows=2),
            Field.textarea("termination_terms", rows=2),
            HTML('<h2 class="govuk-heading-m">Fees</h2>'),
            Field.text("fee", field_width=10),
            Field.radios("who_pays", legend_size=Size.SMALL),
            submit="Save this version",
        )

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        for row in range(1, OBJECTIVE_ROWS + 1):
            description = cleaned.get(f"objective_{row}", "")
            if not description:
                continue
            if not cleaned.get(f"output_{row}"):
                self.add_error(f"output_{row}", f"Say how you will know objective {row} is met")
            if not cleaned.get(f"target_{row}"):
                self.add_error(f"target_{row}", f"Enter a target date for objective {row}")
        return cleaned

    def objectives(self) -> list[tuple[str, str, dt.date]]:
        return [
            (
                self.cleaned_data[f"objective_{row}"],
                self.cleaned_data[f"output_{row}"],
                self.cleaned_data[f"target_{row}"],
            )
            for row in range(1, OBJECTIVE_ROWS + 1)
            if self.cleaned_data.get(f"objective_{row}")
        ]

    def terms_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class WorkstreamForm(GovukFormMixin, forms.Form):
    area = ModelChoiceField(
        label="Expertise area",
        queryset=ExpertiseArea.objects.all(),
        empty_label="Choose an area",
        error_messages={"required": "Select the expertise area of the workstream"},
    )
    buddy = ModelChoiceField(
        label="Buddy trust leading it", queryset=Trust.objects.none(), required=False, empty_label="Not decided"
    )
    supported_lead = forms.CharField(
        label="Lead at the supported trust",
        max_length=200,
        error_messages={"required": "Enter who leads the workstream at the supported trust"},
    )
    buddy_lead = forms.CharField(
        label="Lead at the buddy trust",
        max_length=200,
        error_messages={"required": "Enter who leads the workstream at the buddy trust"},
    )

    def __init__(self, *args: Any, arrangement: Arrangement, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["buddy"]).queryset = Trust.objects.filter(
            buddy_roles__arrangement=arrangement
        )
        self.helper = _helper(
            Field.select("area"),
            Field.select("buddy"),
            Field.text("supported_lead"),
            Field.text("buddy_lead"),
            submit="Add workstream",
        )


class MilestoneForm(GovukFormMixin, forms.Form):
    title = forms.CharField(
        label="Milestone", max_length=200, error_messages={"required": "Enter what the milestone is"}
    )
    due_date = DateField(label="Due date", name="the due date")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper(Field.text("title"), Field("due_date"), submit="Add milestone")


class InputForm(GovukFormMixin, forms.ModelForm):
    error_names: ClassVar[dict[str, str]] = {
        "kind": "the kind of input",
        "description": "what the input was",
        "people_supported": "the number of people from the supported trust",
        "people_buddy": "the number of people from the buddy trust",
        "staff_days": "the senior staff days",
        "fee": "the fee",
        "travel_cost": "the travel cost",
        "backfill_cost": "the backfill cost",
        "consultancy_estimate": "what a consultancy would have charged",
    }

    date = DateField(label="Date", name="the date of the input")
    end_date = DateField(label="End date (secondments)", name="the end date", required=False)

    class Meta:
        model = Input
        fields = [
            "kind",
            "date",
            "end_date",
            "description",
            "people_supported",
            "people_buddy",
            "staff_days",
            "fee",
            "travel_cost",
            "backfill_cost",
            "consultancy_estimate",
        ]
        widgets = {
            "kind": forms.RadioSelect,
            **{
                name: forms.TextInput(attrs={"inputmode": "decimal"})
                for name in ("staff_days", "fee", "travel_cost", "backfill_cost", "consultancy_estimate")
            },
            **{name: forms.TextInput(attrs={"inputmode": "numeric"}) for name in ("people_supported", "people_buddy")},
        }
        labels = {"fee": "Fee (£)", "travel_cost": "Travel (£)", "backfill_cost": "Backfill (£)"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            Field.radios("kind", legend_size=Size.SMALL, inline=True),
            Field("date"),
            Field("end_date"),
            Field.text("description"),
            Field.text("people_supported", field_width=3),
            Field.text("people_buddy", field_width=3),
            Field.text("staff_days", field_width=4),
            Field.text("fee", field_width=10),
            Field.text("travel_cost", field_width=10),
            Field.text("backfill_cost", field_width=10),
            Field.text("consultancy_estimate", field_width=10),
            submit="Record input",
        )

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        start, end = cleaned.get("date"), cleaned.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", "The end date must be the same as or after the date of the input")
        return cleaned


RATING_CHOICES = [(str(n), label) for n, label in ((1, "1 - poor"), (2, "2"), (3, "3"), (4, "4"), (5, "5 - excellent"))]


# Each trust submits its own review: ReviewSubmissionForm, below.


class CallOffStartForm(GovukFormMixin, forms.Form):
    supported = ModelChoiceField(label="Trust to support", queryset=Trust.objects.none(), empty_label="Choose a trust")
    framework = ModelChoiceField(label="Framework", queryset=None, empty_label="Choose a framework")
    title = forms.CharField(label="What the support is for", max_length=200)
    tier = forms.ChoiceField(label="Tier of support", choices=Arrangement.Tier.choices, widget=forms.RadioSelect)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from matching.models import Framework

        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["supported"]).queryset = (
            Trust.objects.filter(needs__isnull=False).distinct().order_by("-improvement_status", "name")
        )
        cast(forms.ModelChoiceField, self.fields["framework"]).queryset = Framework.objects.filter(
            status=Framework.Status.LIVE
        )
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Field.select("supported"),
            Field.select("framework"),
            Field.text("title"),
            Field.radios("tier", legend_size=Size.SMALL),
        )


class RespondForm(GovukFormMixin, forms.Form):
    answer = forms.ChoiceField(
        label="Your trust's answer", choices=[("accept", "Accept"), ("decline", "Decline")], widget=forms.RadioSelect
    )
    reason = forms.CharField(label="Reason (needed if you decline)", widget=forms.Textarea, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Field.radios("answer", legend_size=Size.SMALL, inline=True),
            Field.textarea("reason", rows=3),
            Submit("submit", "Send answer"),
        )

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get("answer") == "decline" and not cleaned.get("reason", "").strip():
            self.add_error("reason", "Say why your trust declines")
        return cleaned


# Call-offs the regulator controls, and agreeing a proposal with the evidence in front ----------------------------


def _reply_by_field(*, required: bool) -> DateField:
    return DateField(
        label="Reply by" if required else "Reply by (optional)",
        name="the reply-by date",
        required=required,
        help_text="The trusts are reminded a few days before it; after it, those who have not answered show as "
        "overdue. For example, 27 3 2027",
    )


def _not_in_the_past(value: dt.date | None) -> dt.date | None:
    if value is not None and value < timezone.localdate():
        raise forms.ValidationError("The reply-by date must be today or in the future")
    return value


def _invite_field() -> ModelMultipleChoiceField:
    return ModelMultipleChoiceField(
        label="Who to invite",
        queryset=Trust.objects.none(),
        to_field_name="ods_code",
        error_messages={
            "required": "Select at least one pool member to invite",
            "invalid_choice": "Select pool members to invite from the list",
            "invalid_pk_value": "Select pool members to invite from the list",
            "invalid_list": "Select pool members to invite from the list",
        },
    )


class CallOffInviteForm(CallOffStartForm):
    """The call-off page once candidates are found: the start form's fields, who to invite and a reply-by date.
    The checkboxes are drawn by the page (each with its fit check), so the error summary links to the first."""

    invite = _invite_field()
    reply_by = _reply_by_field(required=False)

    def __init__(self, *args: Any, members: QuerySet[Trust], found_for: tuple[Trust, Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.found_for = found_for
        cast(forms.ModelChoiceField, self.fields["invite"]).queryset = members
        self.reply_by_helper = FormHelper()
        self.reply_by_helper.form_tag = False
        self.reply_by_helper.layout = Layout(Field("reply_by"))

    def clean_reply_by(self) -> dt.date | None:
        return _not_in_the_past(self.cleaned_data.get("reply_by"))

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        supported, framework = self.found_for
        if cleaned.get("supported") not in (None, supported):
            self.add_error("supported", "You changed the trust: find pool candidates again before sending invitations")
        if cleaned.get("framework") not in (None, framework):
            self.add_error(
                "framework", "You changed the framework: find pool candidates again before sending invitations"
            )
        return cleaned


class InviteMoreForm(GovukFormMixin, forms.Form):
    invite = _invite_field()

    def __init__(self, *args: Any, members: QuerySet[Trust], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["invite"]).queryset = members
        self.helper = FormHelper()
        self.helper.form_tag = False

    def specs(self) -> list[Any]:
        """Those chosen, invited as issue-specific buddies: the call-off makes one of those who say yes the lead if
        no lead does."""
        from arrangements.services import BuddySpec

        return [BuddySpec(buddy=trust, role="issue-specific") for trust in self.cleaned_data["invite"]]


class ReplyByForm(GovukFormMixin, forms.Form):
    reply_by = _reply_by_field(required=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper(Field("reply_by"), submit="Save the reply-by date")

    def clean_reply_by(self) -> dt.date | None:
        return _not_in_the_past(self.cleaned_data.get("reply_by"))


class WithdrawInvitationForm(GovukFormMixin, forms.Form):
    reason = forms.CharField(
        label="Why is the invitation withdrawn?",
        help_text="The trust is told",
        widget=forms.Textarea,
        max_length=2000,
        error_messages={"required": "Enter why the invitation is withdrawn: the trust is told"},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Field.textarea("reason", rows=3), Button.warning("submit", "Withdraw the invitation")
        )


class PhoneAnswerForm(GovukFormMixin, forms.Form):
    """An answer a trust gave by phone (or in a meeting), recorded for it by regulator staff."""

    answer = forms.ChoiceField(
        label="What did the trust answer?",
        choices=[("accept", "Accepted"), ("decline", "Declined")],
        widget=forms.RadioSelect,
        error_messages={"required": "Select whether the trust accepted or declined"},
    )
    reason = forms.CharField(
        label="Reason the trust gave (needed if it declined)", widget=forms.Textarea, required=False, max_length=2000
    )
    note = forms.CharField(
        label="Note of the call",
        help_text="Who gave the answer, their role, and when. For example: Dr A Patel, chief executive, by phone on "
        "3 March at 10am",
        widget=forms.Textarea,
        max_length=2000,
        error_messages={"required": "Enter a note of the call: who gave the answer, and when"},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            Field.radios("answer", legend_size=Size.SMALL, inline=True),
            Field.textarea("reason", rows=3),
            Field.textarea("note", rows=3),
            submit="Record the answer",
        )

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get("answer") == "decline" and not cleaned.get("reason", "").strip():
            self.add_error("reason", "Enter the reason the trust gave for declining")
        return cleaned


class CancelCallOffForm(GovukFormMixin, forms.Form):
    reason = forms.CharField(
        label="Why is the call-off cancelled?",
        help_text="Every trust asked is told, and invitations not yet answered are withdrawn",
        widget=forms.Textarea,
        max_length=2000,
        error_messages={"required": "Enter why the call-off is cancelled: every trust asked is told"},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.layout = Layout(Field.textarea("reason", rows=3), Button.warning("submit", "Cancel the call-off"))


class AgreeForm(GovukFormMixin, forms.Form):
    """Agreeing a proposal. Where a buddy has no free capacity, agreeing needs the override and a reason."""

    override = forms.BooleanField(required=False)
    override_reason = forms.CharField(
        label="Why agree although the buddy has no free capacity?",
        help_text="Recorded in the arrangement's timeline",
        widget=forms.Textarea,
        required=False,
        max_length=2000,
    )

    def __init__(self, *args: Any, full: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.full = full
        self.helper = FormHelper()
        if full:
            self.fields["override"].label = f"Agree anyway, although {' and '.join(full)} " + (
                "has no free capacity" if len(full) == 1 else "have no free capacity"
            )
            self.helper.layout = Layout(
                Field.checkbox("override"), Field.textarea("override_reason", rows=3), Submit("submit", "Agree")
            )
        else:
            del self.fields["override"], self.fields["override_reason"]
            self.helper.layout = Layout(Submit("submit", "Agree"))

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if self.full and cleaned.get("override") and not cleaned.get("override_reason", "").strip():
            self.add_error("override_reason", "Enter why you agree although the buddy has no free capacity")
        return cleaned

    @property
    def capacity_override(self) -> str:
        """The reason for agreeing a buddy with no free capacity; blank unless the override is ticked."""
        if not self.full or not self.cleaned_data.get("override"):
            return ""
        return self.cleaned_data.get("override_reason", "").strip()


# The work programme: correcting and removing (arrangements.views.programme) ---------------------------------------


class WorkstreamEditForm(WorkstreamForm):
    """Correct a workstream: the same fields as adding one, saved as changes."""

    def __init__(self, *args: Any, arrangement: Arrangement, **kwargs: Any) -> None:
        super().__init__(*args, arrangement=arrangement, **kwargs)
        layout = self.helper.layout
        layout.fields = [item for item in layout.fields if not isinstance(item, Submit)]
        layout.fields.append(Submit("submit", "Save changes"))


class MilestoneEditForm(GovukFormMixin, forms.Form):
    title = forms.CharField(
        label="Milestone", max_length=200, error_messages={"required": "Enter what the milestone is"}
    )
    due_date = DateField(label="Due date", name="the due date")
    rag = forms.ChoiceField(
        label="RAG status",
        choices=Milestone.Rag.choices,
        widget=forms.RadioSelect,
        help_text="Amber or red tells the other trusts and regulator staff",
        error_messages={
            "required": "Select the milestone's RAG status",
            "invalid_choice": "Select the milestone's RAG status from the list",
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            Field.text("title"), Field("due_date"), Field.radios("rag", legend_size=Size.SMALL), submit="Save changes"
        )


# Reviews: each trust submits its own (arrangements.views.programme) -----------------------------------------------

REVIEW_RATING_LABELS = {
    "relationship": "The relationship",
    "value": "Value for the time put in",
    "fit": "Cultural fit",
    "progress": "Progress",
}


class ReviewSubmissionForm(GovukFormMixin, forms.ModelForm):
    """One trust's review: the 2014 review's interview questions, its own four ratings and the outcome it
    recommends."""

    error_names: ClassVar[dict[str, str]] = {"outcome": "what your trust recommends"}

    held_on = DateField(label="Date of the review meeting", name="the date of the review meeting")

    class Meta:
        model = ReviewSubmission
        fields = [
            "held_on",
            "objectives_progress",
            "inputs_summary",
            "achieved",
            "serendipitous",
            "did_not_work",
            "continuing_relationships",
            "learning",
            *Review.RATINGS,
            "outcome",
        ]
        labels = {
            "objectives_progress": "Progress against the agreed objectives",
            "inputs_summary": "What each side put in",
            "achieved": "What has been achieved",
            "serendipitous": "What was achieved that was not planned (optional)",
            "did_not_work": "What did not work (optional)",
            "continuing_relationships": "Relationships that will continue (optional)",
            "learning": "Learning to share (optional)",
            "outcome": "What does your trust recommend?",
        }
        error_messages = {
            "objectives_progress": {"required": "Enter the progress against the agreed objectives"},
            "inputs_summary": {"required": "Enter what each side put in"},
            "achieved": {"required": "Enter what has been achieved"},
            "outcome": {"required": "Select what your trust recommends"},
        }
        widgets = {"outcome": forms.RadioSelect}

    def __init__(self, *args: Any, trust: Trust, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        outcome = cast(forms.ChoiceField, self.fields["outcome"])
        outcome.choices = ReviewOutcome.choices  # no blank option
        for rating, label in REVIEW_RATING_LABELS.items():
            # A model integer field has no choices of its own, so the radios need a choice field.
            self.fields[rating] = forms.TypedChoiceField(
                label=label,
                choices=RATING_CHOICES,
                coerce=int,
                widget=forms.RadioSelect,
                error_messages={
                    "required": f"Choose a rating for {label.lower()}",
                    "invalid_choice": f"Choose a rating for {label.lower()} from 1 to 5",
                },
            )
        questions = [
            "objectives_progress",
            "inputs_summary",
            "achieved",
            "serendipitous",
            "did_not_work",
            "continuing_relationships",
            "learning",
        ]
        self.helper = _helper(
            Field("held_on"),
            *(Field.textarea(name, rows=3) for name in questions),
            Fieldset(
                *(Field.radios(rating, legend_size=Size.SMALL, inline=True) for rating in Review.RATINGS),
                legend=f"{trust.name} rates the arrangement (1 poor, 5 excellent)",
                legend_size=Size.MEDIUM,
            ),
            Field.radios("outcome", legend_size=Size.MEDIUM),
            submit="Submit your trust's review",
        )

    def clean_held_on(self) -> dt.date | None:
        held_on = self.cleaned_data.get("held_on")
        if held_on is not None and held_on > timezone.localdate():
            raise forms.ValidationError("The date of the review meeting must be today or in the past")
        return held_on


class ReviewNoteForm(GovukFormMixin, forms.Form):
    note = forms.CharField(
        label="Note from the regulator",
        widget=forms.Textarea,
        max_length=5000,
        help_text="Both trusts can read it. It replaces any note you added before.",
        error_messages={"required": "Enter the note"},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper(Field.textarea("note", rows=4), submit="Save the note")
