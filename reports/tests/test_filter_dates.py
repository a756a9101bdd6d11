"""A report's date filters answer a date typed wrong with one error naming the filter, never a crash."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("parts", "message"),
    [
        (("1", "1", "99999999999999999999"), "Planned start on or after must have a year of 4 numbers"),
        (("99999999999999999999", "1", "2027"), "Planned start on or after must be a real date"),
        (("31", "2", "2027"), "Planned start on or after must be a real date"),
        (("1", "", "2027"), "Planned start on or after must include a month"),
    ],
)
def test_a_register_date_filter_typed_wrong_is_an_error_not_a_crash(client, regulator, parts, message):
    client.force_login(regulator)
    query = dict(zip(("start_from_0", "start_from_1", "start_from_2"), parts, strict=True))

    page = client.get(reverse("reports:register"), query)
    download = client.get(reverse("reports:export", kwargs={"kind": "register"}), {**query, "format": "csv"})

    assert page.status_code == 200
    assert message in page.content.decode()
    assert download.status_code == 302  # back to the page, which says what is wrong
