"""Form fields and error messages in the GOV.UK style, shared by every app's forms.

- `DateField`: the GOV.UK date input (day, month, year boxes). Whatever is typed, it answers with one error
  that names the field ("Date of the review meeting must be a real date"), never a crash: a 20-digit year is
  a wrong date, not an OverflowError.
- `ModelChoiceField`, `ModelMultipleChoiceField`: refuse an identifier the database could not even compare
  (a 20-digit number overflows SQLite's integers) with the field's own "select from the list" error.
- `GovukFormMixin` (or `govuk_error_messages(form)`): Django's generic messages ("This field is required.",
  "Enter a whole number.", "Ensure this value is greater than or equal to 1.") become messages that name the
  field and say how to fix it ("Enter the trust name", "Number of sites must be a whole number"). A model
  constraint the form did not check becomes an error on the field it concerns (`constraint_errors`).

GOV.UK guidance: https://design-system.service.gov.uk/components/error-message/ and .../date-input/.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any, ClassVar, cast

from crispy_forms_gds.fields import DateInputField
from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import connection
from django.utils.functional import Promise

DIGITS = re.compile(r"[0-9]+")
PARTS = ("day", "month", "year")


def lower_first(text: str | Promise) -> str:
    """'Planned start' -> 'planned start'; an acronym keeps its capitals ('ODS code' stays)."""
    text = str(text).strip()
    if len(text) > 1 and text[1].isupper():
        return text
    return text[:1].lower() + text[1:]


def upper_first(text: str) -> str:
    text = str(text).strip()
    return text[:1].upper() + text[1:]


class DateField(DateInputField):
    """A GOV.UK date input whose errors name the field: 'Enter the planned start', 'Planned start must include a
    month', 'Planned start must be a real date', 'Planned start must have a year of 4 numbers'.

    `name` is how a message names the field when its label reads badly in a sentence (it defaults to the label).
    Only the first box at fault is marked, so the error summary lists the error once and links to that box.
    """

    def __init__(self, *, label: str, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(label=label, **kwargs)
        self.error_name = name or label

    def _fail(self, message: str, *, code: str, part: int | None = None) -> ValidationError:
        if part is not None:
            self.fields[part].widget.errors = [message]
        return ValidationError(message, code=code)

    def clean(self, value: Any) -> dt.date | None:
        for field in self.fields:
            field.widget.errors = []
        if self.disabled and not isinstance(value, list | tuple):
            value = self.widget.decompress(value)
        if isinstance(value, dt.date):
            return value
        if value is None:
            value = []
        if not isinstance(value, list | tuple):
            raise self._fail(f"{upper_first(self.error_name)} must be a real date", code="invalid")
        parts = [("" if part is None else str(part)).strip() for part in [*value, None, None, None][:3]]
        label = upper_first(self.error_name)
        if not any(parts):
            if self.required:
                raise self._fail(f"Enter {lower_first(self.error_name)}", code="required")
            return None
        missing = [index for index, part in enumerate(parts) if not part]
        if missing:
            what = " and ".join(PARTS[index] for index in missing)
            raise self._fail(f"{label} must include a {what}", code="incomplete", part=missing[0])
        not_numbers = [index for index, part in enumerate(parts) if not DIGITS.fullmatch(part)]
        if not_numbers:
            raise self._fail(f"{label} must be a real date", code="invalid", part=not_numbers[0])
        day, month, year = (int(part) for part in parts)
        if len(parts[2].lstrip("0")) != 4:
            raise self._fail(f"{label} must have a year of 4 numbers, for example 2027", code="invalid_year", part=2)
        if not 1 <= month <= 12:
            raise self._fail(f"{label} must be a real date", code="invalid", part=1)
        try:
            # The year has 4 digits and the month is 1 to 12: only the day can be wrong now (31 June, 30 February).
            out = dt.date(year, month, day)
        except (ValueError, OverflowError):
            raise self._fail(f"{label} must be a real date", code="invalid", part=0) from None
        self.validate(out)
        self.run_validators(out)
        return out

    def compress(self, data_list: Any) -> dt.date | None:
        # clean() does the work; compress is kept for Django's API (a disabled field's initial value).
        day, month, year = data_list
        if day and month and year:
            try:
                return dt.date(int(year), int(month), int(day))
            except (ValueError, OverflowError, TypeError):
                raise ValidationError(f"{upper_first(self.error_name)} must be a real date", code="invalid") from None
        return None


def _key_field(queryset: Any, to_field_name: str | None) -> Any:
    meta = queryset.model._meta
    return meta.get_field(to_field_name) if to_field_name else meta.pk


def _fits_the_key(queryset: Any, to_field_name: str | None, value: Any) -> bool:
    """False for a value the database cannot compare with the key at all (a 20-digit number against an integer
    primary key overflows SQLite); such a value is simply not one of the choices."""
    field = _key_field(queryset, to_field_name)
    internal = field.get_internal_type()
    if internal not in {
        "AutoField",
        "BigAutoField",
        "SmallAutoField",
        "IntegerField",
        "BigIntegerField",
        "SmallIntegerField",
        "PositiveIntegerField",
        "PositiveBigIntegerField",
        "PositiveSmallIntegerField",
    }:
        return True
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return True  # Django's own check refuses it with invalid_pk_value
    low, high = connection.ops.integer_field_range(internal)
    return (low is None or number >= low) and (high is None or number <= high)


class ModelChoiceField(forms.ModelChoiceField):
    """A model choice that answers 'select from the list' for any value that is not a choice, however big."""

    def to_python(self, value: Any) -> Any:
        if value not in self.empty_values and not _fits_the_key(self.queryset, self.to_field_name, value):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice", params={"value": value})
        return super().to_python(value)


class ModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Checkboxes of model choices that refuse any value that is not a choice, however big, with a form error."""

    widget = forms.CheckboxSelectMultiple

    def _check_values(self, value: Iterable[Any]) -> Any:
        if not isinstance(value, str):
            for pk in value:
                if not _fits_the_key(self.queryset, self.to_field_name, pk):
                    raise ValidationError(
                        self.error_messages["invalid_choice"], code="invalid_choice", params={"value": pk}
                    )
        return super()._check_values(value)  # type: ignore[misc]  # private in Django, so not in django-stubs


def _from_the_list(name: str) -> str:
    return f"Select {name} from the list"  # noqa: S608 - a sentence for a person, not SQL


# The messages every field type gets unless the form gave its own. {name} is the label in a sentence,
# {Name} the same at the start of one; Django fills %(limit_value)s and the like.
def _messages_for(field: forms.Field, name: str) -> dict[str, str]:
    Name = upper_first(name)
    from_the_list = _from_the_list(name)
    widget = field.widget
    choosing = isinstance(field, forms.ChoiceField | forms.ModelChoiceField | forms.ModelMultipleChoiceField) or (
        isinstance(widget, forms.RadioSelect | forms.CheckboxSelectMultiple | forms.Select)
    )
    messages: dict[str, str] = {}
    if isinstance(field, forms.BooleanField):
        messages["required"] = f"Select {name}"
    elif isinstance(field, forms.MultipleChoiceField | forms.ModelMultipleChoiceField):
        messages["required"] = f"Select {name}"
        messages["invalid_choice"] = from_the_list
        messages["invalid_pk_value"] = from_the_list
        messages["invalid_list"] = from_the_list
    elif choosing:
        messages["required"] = f"Select {name}"
        messages["invalid_choice"] = from_the_list
    else:
        messages["required"] = f"Enter {name}"
    if isinstance(field, forms.IntegerField) and not isinstance(field, forms.FloatField | forms.DecimalField):
        messages["invalid"] = f"{Name} must be a whole number"
    elif isinstance(field, forms.FloatField | forms.DecimalField):
        messages["invalid"] = f"{Name} must be a number"
    elif isinstance(field, forms.EmailField):
        messages["invalid"] = f"Enter {name} in the correct format, like name@example.nhs.uk"
    if isinstance(field, forms.IntegerField | forms.FloatField | forms.DecimalField):
        messages["min_value"] = f"{Name} must be %(limit_value)s or more"
        messages["max_value"] = f"{Name} must be %(limit_value)s or less"
        messages["step_size"] = f"{Name} must be a multiple of %(limit_value)s"
    if isinstance(field, forms.DecimalField):
        messages["max_digits"] = f"{Name} must be smaller: no more than %(max)s digits"
        messages["max_decimal_places"] = f"{Name} must have no more than %(max)s decimal places"
        messages["max_whole_digits"] = f"{Name} must be smaller: no more than %(max)s digits before the point"
    if isinstance(field, forms.CharField):
        messages["max_length"] = f"{Name} must be %(limit_value)s characters or fewer"
        messages["min_length"] = f"{Name} must be %(limit_value)s characters or more"
        messages["null_characters_not_allowed"] = f"{Name} must not contain null characters"
    messages["unique"] = f"{Name} is already in use: choose another"
    return messages


def _default_messages(field: forms.Field) -> dict[str, Any]:
    """The messages Django itself gives this kind of field, to tell them from a form's own."""
    defaults: dict[str, Any] = {}
    for cls in reversed(type(field).__mro__):
        defaults.update(getattr(cls, "default_error_messages", {}))
    return defaults


def govuk_error_messages(form: forms.BaseForm, names: dict[str, str] | None = None) -> None:
    """Give every field of `form` messages that name it, keeping any message the form set itself.

    `names` maps a field to how a message names it when the label reads badly in a sentence
    ({"lots": "at least one lot"} gives "Select at least one lot")."""
    names = names or {}
    for field_name, field in form.fields.items():
        if isinstance(field, DateInputField):
            continue  # DateField names itself
        name = names.get(field_name) or lower_first(field.label or field_name.replace("_", " "))
        defaults = _default_messages(field)
        for code, message in _messages_for(field, name).items():
            current = field.error_messages.get(code)
            if current is None or current == defaults.get(code) or code == "unique":
                field.error_messages[code] = message


BLANK_LABEL = "---------"


def _no_blank_radio(form: forms.BaseForm) -> None:
    """A required choice shown as radios has no blank '---------' option (GOV.UK radios never have one); an
    optional one says what leaving it means."""
    for field in form.fields.values():
        if not isinstance(field.widget, forms.RadioSelect) or not isinstance(field, forms.ChoiceField):
            continue
        if isinstance(field, forms.ModelChoiceField):
            if field.required:
                field.empty_label = None
            continue
        choices = list(cast("Iterable[tuple[Any, Any]]", field.choices))  # the setter has normalised them
        if not any(value == "" and label == BLANK_LABEL for value, label in choices):
            continue
        if field.required:
            field.choices = [(value, label) for value, label in choices if value != ""]
        else:
            field.choices = [(value, "Not known" if value == "" else label) for value, label in choices]


class GovukFormMixin:
    """Messages that name the field (govuk_error_messages) for a Form or ModelForm, and model constraints the form
    did not check reported on the field they concern: `constraint_errors = {"trust_has_a_site": ("number_of_sites",
    "Number of sites must be 1 or more")}`."""

    error_names: ClassVar[dict[str, str]] = {}
    constraint_errors: ClassVar[dict[str, tuple[str, str]]] = {}

    def full_clean(self) -> None:
        # Here rather than in __init__, so fields a form adds after its own super().__init__() are included.
        govuk_error_messages(self, self.error_names)  # type: ignore[arg-type]
        _no_blank_radio(self)  # type: ignore[arg-type]
        super().full_clean()  # type: ignore[misc]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _no_blank_radio(self)  # type: ignore[arg-type]

    def _update_errors(self, errors: ValidationError) -> None:
        # Called by ModelForm._post_clean with what the model's full_clean and validate_constraints found.
        if hasattr(errors, "error_dict"):
            kept: list[ValidationError] = []
            for error in errors.error_dict.pop(NON_FIELD_ERRORS, []):
                constraint = (error.params or {}).get("name") if isinstance(error.params, dict) else None
                if constraint in self.constraint_errors:
                    field, message = self.constraint_errors[constraint]
                    errors.error_dict.setdefault(field, []).append(ValidationError(message, code="constraint"))
                else:
                    kept.append(error)
            if kept:
                errors.error_dict[NON_FIELD_ERRORS] = kept
        super()._update_errors(errors)  # type: ignore[misc]
