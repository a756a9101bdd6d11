"""Forms for the trust registry. They validate; services write."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, cast

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import HTML, Field, Fieldset, Layout, Size, Submit
from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm, PasswordResetForm, SetPasswordForm
from django.core.validators import MinValueValidator

from buddying.formfields import DateField, GovukFormMixin, ModelChoiceField, ModelMultipleChoiceField
from buddying.models import (
    CULTURE_DIMENSIONS,
    CultureProfile,
    ExpertiseArea,
    ImprovementNeed,
    ServiceLine,
    SignupInvitation,
    Trust,
    TrustRelationship,
    User,
)
from buddying.postcodes import UnknownPostcode, locate_postcode
from buddying.validators import normalise_postcode

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

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


class TrustProfileForm(GovukFormMixin, forms.ModelForm):
    error_names: ClassVar[dict[str, str]] = {
        "name": "the trust name",
        "postcode": "the postcode of the main site",
        "number_of_sites": "the number of sites",
        "trust_type": "the type of trust",
        "cqc_rating": "the CQC rating",
        "improvement_status": "whether the trust is in special measures or recovery",
        "travel_adjustment_minutes": "the extra travel minutes",
    }
    # Constraints the fields below already check, named here so that a value slipping past them is still
    # reported on its field, never as "Constraint ... is violated".
    constraint_errors: ClassVar[dict[str, tuple[str, str]]] = {
        "trust_has_a_site": ("number_of_sites", "Number of sites must be 1 or more"),
        "trust_travel_adjustment_at_most_600": (
            "travel_adjustment_minutes",
            "Extra travel minutes must be 600 or less",
        ),
        "trust_oversight_segment_1_to_5": ("oversight_segment", "Select an oversight segment from 1 to 5"),
        "trust_improvement_status_has_start_date": (
            "improvement_status_since",
            "Enter the date the trust entered this status",
        ),
    }

    improvement_status_since = DateField(
        label="Status since", name="the date the status started", required=False, help_text="For example, 17 7 2013"
    )
    improvement_status_review_due = DateField(
        label="Status review due", name="the date the status is reviewed", required=False
    )
    services = ModelMultipleChoiceField(
        queryset=ServiceLine.objects.all(),
        required=False,
        label="Services the trust runs",
        help_text="Matching gives a buddy no credit for a need in a service it does not run.",
    )
    closed_on = DateField(
        label="Closed on",
        name="the date the trust closed",
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
        # The database holds at least one site (trust_has_a_site): say so before it has to.
        cast(forms.IntegerField, self.fields["number_of_sites"]).min_value = 1
        self.fields["number_of_sites"].validators.append(MinValueValidator(1))
        if can_edit_regulated_fields:
            # Left empty means no extra time, as for almost every trust.
            self.fields["travel_adjustment_minutes"].required = False
            for name, blank_label in (("region", "Not recorded"), ("trust_type", "Not known")):
                field = cast(forms.ChoiceField, self.fields[name])
                field.choices = [("", blank_label), *cast("list[tuple[Any, Any]]", field.choices)[1:]]
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
        super().clean()
        cleaned = self.cleaned_data
        status = cleaned.get("improvement_status")
        if status and status != Trust.ImprovementStatus.NONE and not cleaned.get("improvement_status_since"):
            self.add_error("improvement_status_since", "Enter the date the trust entered this status")
        since, review_due = cleaned.get("improvement_status_since"), cleaned.get("improvement_status_review_due")
        if since and review_due and review_due < since:
            self.add_error(
                "improvement_status_review_due",
                "The date the status is reviewed must be the same as or after the date the status started",
            )
        return cleaned

    def profile_fields(self) -> dict[str, Any]:
        return {name: value for name, value in self.cleaned_data.items() if name != "services"}


class CultureProfileForm(GovukFormMixin, forms.ModelForm):
    constraint_errors: ClassVar[dict[str, tuple[str, str]]] = {
        f"culture_{field}_0_to_10": (field, f"{label} must be a number from 0 to 10")
        for field, label in CULTURE_DIMENSIONS
    }

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


class _PerAreaForm(GovukFormMixin, forms.Form):
    """One row per expertise area: a level (blank means 'not listed') and a note."""

    level_attribute = ""  # the model fields a row edits: its level and its note
    note_attribute = ""
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
        super().clean()
        cleaned = self.cleaned_data
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


# People: inviting someone, signing up from an invitation, changing and resetting a password.
# (Appended here; buddying.views imports them.)

_EMAIL_FORMAT = "Enter an email address in the correct format, like name@example.nhs.uk"
_ROLE_LABELS: dict[str, str] = {
    User.Role.TRUST_EXECUTIVE: "Trust executive",
    User.Role.REGULATOR: "Regulator staff",
    User.Role.ADMIN: "Admin",
}


def _name_field(label: str, whose: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=150,
        error_messages={
            "required": f"Enter {whose} {label.lower()}",
            "max_length": f"{label} must be 150 characters or fewer",
        },
    )


class InviteForm(forms.Form):
    """Invite someone by email. Regulator staff and admins choose the role and, for an executive, the trust;
    an executive's invitation is always for a colleague at their own trust (`fixed_trust`), so the form has
    no role or trust to post."""

    first_name = _name_field("First name", "their")
    last_name = _name_field("Last name", "their")
    email = forms.EmailField(
        label="Email address",
        max_length=150,
        help_text="We'll email them a sign-up link. Their email address will also be their username.",
        error_messages={
            "required": "Enter their email address",
            "invalid": _EMAIL_FORMAT,
            "max_length": "Email address must be 150 characters or fewer",
        },
    )
    role = forms.ChoiceField(
        label="What will they do?",
        widget=forms.RadioSelect,
        error_messages={
            "required": "Select what they will do",
            "invalid_choice": "Select what they will do from the list",
        },
    )
    trust = forms.ModelChoiceField(
        label="Trust",
        queryset=Trust.objects.none(),
        to_field_name="ods_code",
        required=False,
        empty_label="Choose a trust",
        help_text="For a trust executive only: the trust they act for.",
        error_messages={"invalid_choice": "Select a trust from the list"},
    )

    def __init__(self, *args: Any, roles: list[str], fixed_trust: Trust | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fixed_trust = fixed_trust
        self.helper = FormHelper()
        names = [
            Field.text("first_name", field_width=20, autocomplete="off", spellcheck="false"),
            Field.text("last_name", field_width=20, autocomplete="off", spellcheck="false"),
            Field.text("email", field_width=30, autocomplete="off", spellcheck="false"),
        ]
        if fixed_trust is not None:
            del self.fields["role"], self.fields["trust"]
            self.helper.layout = Layout(*names, Submit("submit", "Send invitation"))
            return
        cast(forms.ChoiceField, self.fields["role"]).choices = [(role, _ROLE_LABELS[role]) for role in roles]
        self.fields["role"].initial = roles[0]
        cast(forms.ModelChoiceField, self.fields["trust"]).queryset = (
            Trust.objects.open().only("ods_code", "name").order_by("name")
        )
        # The trust follows the role rather than being revealed under "Trust executive": GOV.UK Frontend marks a
        # radio that reveals content aria-expanded, which ARIA does not allow on a radio (axe-core refuses it).
        self.helper.layout = Layout(
            *names,
            Field.radios("role", legend_size=Size.SMALL),
            Field.select("trust"),
            Submit("submit", "Send invitation"),
        )

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError("Someone already has an account with this email address: enter another")
        if SignupInvitation.objects.open().filter(email__iexact=email).exists():
            raise forms.ValidationError(
                "This person already has an invitation waiting: send it again from the People page"
            )
        return email

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if self.fixed_trust is not None:
            cleaned["role"], cleaned["trust"] = User.Role.TRUST_EXECUTIVE, self.fixed_trust
        elif cleaned.get("role") == User.Role.TRUST_EXECUTIVE:
            if cleaned.get("trust") is None and "trust" not in self.errors:
                self.add_error("trust", "Select the trust they are an executive of")
        else:
            cleaned["trust"] = None  # only executives belong to a trust
        return cleaned


def _minimum_password_length() -> int:
    for validator in password_validation.get_default_password_validators():
        if isinstance(validator, password_validation.MinimumLengthValidator):
            return validator.min_length
    return 8


class _NewPasswordMixin:
    """GOV.UK labels, hint and messages for choosing a password with Django's validators; a validator's
    complaint goes on the password itself, one at a time, saying how to fix it."""

    fields: dict[str, forms.Field]
    cleaned_data: dict[str, Any]
    user: User

    error_messages: dict[str, StrOrPromise] = {
        "password_mismatch": "Passwords do not match: enter the same password in both boxes"
    }

    def _set_up_new_password(self, *, label: str, confirm_label: str, required: str) -> list[Any]:
        length = _minimum_password_length()
        first, second = self.fields["new_password1"], self.fields["new_password2"]
        first.label, second.label = label, confirm_label
        first.help_text = (
            f"Use {length} characters or more. Avoid common passwords, passwords of only numbers and anything like "
            "your name or email address."
        )
        second.help_text = ""
        first.error_messages["required"] = required
        second.error_messages["required"] = "Enter the password again to confirm it"
        self._messages_by_code = {
            "password_too_short": f"Password must be {length} characters or more",
            "password_entirely_numeric": "Password must include letters or symbols, not only numbers",
            "password_too_common": "Password is too common: choose one that is harder to guess",
            "password_too_similar": "Password must not be like your name or email address",
        }
        return [
            Field.text("new_password1", field_width=20, autocomplete="new-password"),
            Field.text("new_password2", field_width=20, autocomplete="new-password"),
        ]

    def clean(self) -> dict[str, Any]:
        self.validate_passwords("new_password1", "new_password2")  # type: ignore[attr-defined]
        password = self.cleaned_data.get("new_password1")
        if password and "new_password1" not in getattr(self, "_errors", {}):
            try:
                password_validation.validate_password(password, self.user)
            except forms.ValidationError as error:
                # One message, the one most worth fixing first (the order of _messages_by_code).
                order = list(self._messages_by_code)
                first = min(error.error_list, key=lambda e: order.index(e.code) if e.code in order else len(order))
                message = self._messages_by_code.get(first.code or "", first.messages[0])
                self.add_error("new_password1", message)  # type: ignore[attr-defined]
        return self.cleaned_data


class SignupForm(_NewPasswordMixin, SetPasswordForm):
    """The invitee chooses their password; the account itself is made by services.signup_invitation_accept."""

    def __init__(self, *args: Any, invitation: SignupInvitation, **kwargs: Any) -> None:
        # An unsaved user, so that the validators can compare the password with the invitee's name and email.
        invitee = User(
            username=invitation.email,
            email=invitation.email,
            first_name=invitation.first_name,
            last_name=invitation.last_name,
        )
        super().__init__(invitee, *args, **kwargs)
        self.helper = FormHelper()
        self.helper.layout = Layout(
            *self._set_up_new_password(
                label="Create a password", confirm_label="Confirm your password", required="Enter a password"
            ),
            Submit("submit", "Create account"),
        )


class AccountPasswordChangeForm(_NewPasswordMixin, PasswordChangeForm):
    error_messages: dict[str, StrOrPromise] = {
        **_NewPasswordMixin.error_messages,
        "password_incorrect": "Your current password is not right: enter the password you sign in with",
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["old_password"].label = "Current password"
        self.fields["old_password"].error_messages["required"] = "Enter your current password"
        self.fields["old_password"].widget.attrs.pop("autofocus", None)
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Field.text("old_password", field_width=20, autocomplete="current-password"),
            *self._set_up_new_password(
                label="New password", confirm_label="Confirm new password", required="Enter a new password"
            ),
            Submit("submit", "Change password"),
        )


class AccountSetPasswordForm(_NewPasswordMixin, SetPasswordForm):
    """The last step of a password reset: choose a new password."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.layout = Layout(
            *self._set_up_new_password(
                label="New password", confirm_label="Confirm new password", required="Enter a new password"
            ),
            Submit("submit", "Change password"),
        )


class AccountPasswordResetForm(PasswordResetForm):
    """Ask for a reset link by email. Saving enqueues the email (services.password_reset_request); the page
    that follows is the same whether or not an account has that address."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        email = self.fields["email"]
        email.label = "Email address"
        email.help_text = "The email address of your account."
        email.error_messages.update({"required": "Enter your email address", "invalid": _EMAIL_FORMAT})
        email.widget.attrs.pop("autofocus", None)
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Field.text("email", field_width=30, autocomplete="email", spellcheck="false"),
            Submit("submit", "Send reset link"),
        )

    def save(self, *args: Any, **kwargs: Any) -> None:
        from buddying.services import password_reset_request

        password_reset_request(email=self.cleaned_data["email"])


class RelationshipForm(GovukFormMixin, forms.Form):
    """Record a relationship of one trust (fixed by the page) with another."""

    other = ModelChoiceField(
        label="Which trust is the relationship with?",
        queryset=Trust.objects.none(),
        to_field_name="ods_code",
        empty_label="Choose a trust",
        error_messages={"required": "Choose the trust the relationship is with"},
    )
    kind = forms.ChoiceField(
        label="What kind of relationship is it?",
        choices=TrustRelationship.Kind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select what kind of relationship it is"},
    )
    description = forms.CharField(
        label="Describe it (optional)",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example: which network, or which roles worked together and when.",
    )
    started_on = DateField(label="When it started (optional)", name="the date it started", required=False)
    ended_on = DateField(label="When it ended (optional)", name="the date it ended", required=False)

    def __init__(self, *args: Any, trust: Trust, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.trust = trust
        cast(forms.ModelChoiceField, self.fields["other"]).queryset = (
            Trust.objects.open().exclude(pk=trust.pk).only("ods_code", "name")
        )
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Field.select("other"),
            Field.radios("kind", legend_size=Size.SMALL),
            Field.textarea("description"),
            Field("started_on"),
            Field("ended_on"),
            Submit("submit", "Record relationship"),
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        started, ended = cleaned.get("started_on"), cleaned.get("ended_on")
        if started and ended and ended < started:
            self.add_error("ended_on", "The date it ended must be the same as or after the date it started")
        return cleaned


class RelationshipRemoveForm(GovukFormMixin, forms.Form):
    reason = forms.CharField(
        label="Why is the relationship removed?",
        help_text="For example: recorded in error, or the network has closed. The other trust is told.",
        widget=forms.Textarea,
    )
    error_names = {"reason": "why the relationship is removed"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.layout = Layout(Field.textarea("reason", rows=3), Submit("submit", "Remove the relationship"))
