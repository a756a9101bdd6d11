"""Labels, legends and hints built from data show it as text (templates/gds: crispy-forms-gds marks them safe)."""

import pytest
from crispy_forms.helper import FormHelper
from crispy_forms.utils import render_crispy_form
from crispy_forms_gds.layout import Field, Fieldset, Layout
from django import forms
from django.urls import reverse
from django.utils.safestring import mark_safe

from buddying.tests.factories import ExpertiseAreaFactory

MARKUP = "<img src=x onerror=window.__xss=1>"
AS_TEXT = "&lt;img src=x onerror=window.__xss=1&gt;"

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url_name", ["trust-expertise-edit", "trust-needs-edit"])
def test_an_expertise_area_named_with_markup_is_text_on_the_trusts_forms(client, executive, url_name):
    ExpertiseAreaFactory(name=f"Finance {MARKUP}")
    client.force_login(executive)

    page = client.get(reverse(url_name, args=[executive.trust.ods_code])).content.decode()

    assert f"Finance {AS_TEXT}" in page
    assert MARKUP not in page


class _Form(forms.Form):
    name = forms.CharField(label=f"Name {MARKUP}", help_text=f"Hint {MARKUP}")
    kind = forms.ChoiceField(label=MARKUP, choices=[("a", MARKUP)], widget=forms.RadioSelect)
    tick = forms.MultipleChoiceField(label=MARKUP, choices=[("a", "A")], widget=forms.CheckboxSelectMultiple)
    styled = forms.CharField(label=mark_safe('Styled <span class="govuk-visually-hidden">label</span>'))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Fieldset(Field.text("name"), Field.radios("kind"), legend=f"Legend {MARKUP}"),
            Field.checkboxes("tick"),
            Field.text("styled"),
        )


def test_every_label_legend_and_hint_is_escaped_unless_the_form_marks_it_safe():
    html = render_crispy_form(_Form())

    assert MARKUP not in html
    for text in (f"Name {AS_TEXT}", f"Hint {AS_TEXT}", f"Legend {AS_TEXT}"):
        assert text in html
    assert html.count(AS_TEXT) >= 6
    assert 'Styled <span class="govuk-visually-hidden">label</span>' in html
    assert "crispy-forms-gds" not in html  # the templates' notes stay notes
