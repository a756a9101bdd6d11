"""The shared GOV.UK fields and messages: whatever is typed, one error that names the field, never a crash."""

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest
from crispy_forms_gds.helper import FormHelper
from django import forms
from django.template import Context, Template

from buddying.formatting import money, person_name
from buddying.formfields import DateField, GovukFormMixin, ModelChoiceField, ModelMultipleChoiceField
from buddying.models import ServiceLine, Trust
from buddying.tests.factories import TrustFactory, UserFactory


class ReviewDateForm(GovukFormMixin, forms.Form):
    held_on = DateField(label="Date of the review")
    ends_on = DateField(label="End date", required=False)


def _date_form(day, month, year, prefix="held_on"):
    return ReviewDateForm(data={f"{prefix}_0": day, f"{prefix}_1": month, f"{prefix}_2": year})


@pytest.mark.parametrize(
    ("day", "month", "year", "message"),
    [
        ("", "", "", "Enter date of the review"),
        ("1", "", "2027", "Date of the review must include a month"),
        ("", "", "2027", "Date of the review must include a day and month"),
        ("31", "2", "2027", "Date of the review must be a real date"),
        ("1", "13", "2027", "Date of the review must be a real date"),
        ("x", "3", "2027", "Date of the review must be a real date"),
        ("-1", "3", "2027", "Date of the review must be a real date"),
        ("99999999999999999999", "3", "2027", "Date of the review must be a real date"),
        ("1", "99999999999999999999", "2027", "Date of the review must be a real date"),
        ("1", "3", "99999999999999999999", "Date of the review must have a year of 4 numbers, for example 2027"),
        ("1", "3", "99999", "Date of the review must have a year of 4 numbers, for example 2027"),
        ("1", "3", "27", "Date of the review must have a year of 4 numbers, for example 2027"),
        ("1", "3", "0000", "Date of the review must have a year of 4 numbers, for example 2027"),
    ],
)
def test_a_date_typed_wrong_gives_one_error_naming_the_field(day, month, year, message):
    form = _date_form(day, month, year)

    assert not form.is_valid()
    assert form.errors["held_on"] == [message]


def test_a_real_date_is_a_date_and_an_optional_date_may_be_left_blank():
    form = ReviewDateForm(data={"held_on_0": "29", "held_on_1": "2", "held_on_2": "2028"})

    assert form.is_valid(), form.errors
    assert form.cleaned_data == {"held_on": dt.date(2028, 2, 29), "ends_on": None}


def test_the_error_summary_lists_a_date_error_once_and_links_to_the_box_at_fault():
    form = _date_form("12", "", "2027")
    form.helper = FormHelper()
    form.is_valid()

    html = Template("{% load crispy_forms_gds %}{% error_summary form %}").render(Context({"form": form}))

    assert html.count("Date of the review must include a month") == 1
    assert 'href="#id_held_on_1"' in html


class Everything(GovukFormMixin, forms.Form):
    name = forms.CharField(label="Trust name", max_length=5)
    sites = forms.IntegerField(label="Number of sites", min_value=1, max_value=50)
    fee = forms.DecimalField(label="Fee", max_digits=5, decimal_places=2)
    kind = forms.ChoiceField(label="Kind of input", choices=[("a", "A"), ("b", "B")], widget=forms.RadioSelect)
    own = forms.CharField(label="Own", error_messages={"required": "Say something of your own"})


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({}, "name", "Enter trust name"),
        ({}, "kind", "Select kind of input"),
        ({}, "own", "Say something of your own"),
        ({"name": "abcdefgh"}, "name", "Trust name must be 5 characters or fewer"),
        ({"sites": "two"}, "sites", "Number of sites must be a whole number"),
        ({"sites": "0"}, "sites", "Number of sites must be 1 or more"),
        ({"sites": "51"}, "sites", "Number of sites must be 50 or less"),
        ({"fee": "1.234"}, "fee", "Fee must have no more than 2 decimal places"),
        ({"fee": "lots"}, "fee", "Fee must be a number"),
        ({"kind": "c"}, "kind", "Select kind of input from the list"),
    ],
)
def test_every_generic_message_names_the_field_and_says_how_to_fix_it(data, field, message):
    form = Everything(data=data)

    assert not form.is_valid()
    assert form.errors[field] == [message]
    assert "This field is required." not in str(form.errors)


class BlankRadio(GovukFormMixin, forms.Form):
    required = forms.ChoiceField(choices=[("", "---------"), ("a", "A")], widget=forms.RadioSelect)
    optional = forms.ChoiceField(choices=[("", "---------"), ("a", "A")], widget=forms.RadioSelect, required=False)


def test_radios_have_no_blank_dashes_option():
    form = BlankRadio()

    assert list(form.fields["required"].choices) == [("a", "A")]
    assert list(form.fields["optional"].choices) == [("", "Not known"), ("a", "A")]


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["99999999999999999999", "-99999999999999999999", "12abc", "0"])
def test_a_huge_or_unknown_number_posted_as_a_choice_is_a_form_error(value):
    class Choose(GovukFormMixin, forms.Form):
        services = ModelMultipleChoiceField(label="Services", queryset=ServiceLine.objects.all())
        trust = ModelChoiceField(label="Lead buddy", queryset=Trust.objects.all())

    TrustFactory()
    form = Choose(data={"services": [value], "trust": value})

    assert not form.is_valid()
    assert form.errors["services"] == ["Select services from the list"]
    assert form.errors["trust"] == ["Select lead buddy from the list"]


def test_money_is_shown_in_pounds_with_commas_and_pence_only_when_there_are_some():
    assert money(Decimal("12000.00")) == "£12,000"
    assert money(12000.5) == "£12,000.50"
    assert money(Decimal("-300")) == "-£300"
    assert money(0) == "£0"
    assert money(None) == "\u2013"


@pytest.mark.django_db
def test_a_record_nobody_made_is_by_the_system():
    user = UserFactory(first_name="Ada", last_name="Lovelace", username="ada")

    assert person_name(user) == "Ada Lovelace"
    assert person_name(None) == "the system"
    assert Template("{% load buddying_tags %}{{ who|person }}, {{ fee|money }}").render(
        Context({"who": None, "fee": Decimal("1500")})
    ) == ("the system, £1,500")


def test_an_error_on_radios_or_checkboxes_links_to_the_first_option():
    form = Everything(data={})
    form.helper = FormHelper()
    form.is_valid()

    html = Template("{% load crispy_forms_gds %}{% error_summary form %}").render(Context({"form": form}))

    assert 'href="#id_kind_1">Select kind of input</a>' in html
    assert 'href="#id_name">Enter trust name</a>' in html


def test_every_form_uses_the_shared_date_input_and_no_multiple_select():
    """Dates go through buddying.formfields.DateField (one error naming the field, never a crash), and a choice of
    many is checkboxes, never a Ctrl-click <select multiple>: a new form that forgets fails here."""
    root = Path(__file__).resolve().parents[2]
    offenders = []
    for app in ("buddying", "matching", "arrangements", "reports"):
        for path in (root / app).rglob("*.py"):
            if "tests" in path.parts or "migrations" in path.parts or path.name == "formfields.py":
                continue
            text = path.read_text()
            if "DateInputField" in text or re.search(r"(?<!Checkbox)SelectMultiple\b", text):
                offenders.append(str(path.relative_to(root)))
    assert not offenders, f"use buddying.formfields.DateField and checkboxes in: {offenders}"
