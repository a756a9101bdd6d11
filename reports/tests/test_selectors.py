"""Report contents on a known programme (reports/tests/conftest.py), for regulator staff and for executives."""

import datetime as dt
from decimal import Decimal

import pytest

from matching import services as pool_services
from reports import selectors
from reports.permissions import reportable_arrangements
from reports.tests.conftest import INJECTION_TITLE, TODAY, WELSH_NAME, at

pytestmark = pytest.mark.django_db


def rows_of(kind, user, **filters):
    definition = selectors.REPORTS[kind]
    queryset = reportable_arrangements(user).filter(**filters)
    return [
        dict(zip(definition.keys, row, strict=True))
        for row in selectors.report_rows(definition, queryset, selectors.Context())
    ]


def test_the_clock_is_where_the_programme_says(programme):
    assert selectors.Context().today == TODAY


def test_the_register_holds_every_column_of_an_arrangement(programme, regulator):
    rows = {row["reference"]: row for row in rows_of("register", regulator)}
    a = rows[programme["a"].pk]
    assert a == {
        "reference": programme["a"].pk,
        "title": "Finance recovery",
        "supported": "Own Hospitals NHS Trust",
        "supported_ods": "RA1",
        "region": "London",
        "buddies": "Buddy Hospitals NHS Foundation Trust",
        "buddy_ods": "RC3",
        "tier": "Intensive work programme",
        "origin": "Suggested by the regulator",
        "status": "Active",
        "planned_start": dt.date(2026, 12, 1),
        "planned_end": dt.date(2027, 11, 30),
        "started": dt.date(2026, 11, 12),
        "ended": None,
        "duration_days": 215,
        "next_review": dt.date(2027, 6, 1),
        "rag": "Red",  # worst of amber and red; the complete milestone does not count
        "agreed_fee": Decimal("1500.00"),  # the latest version of the terms, not the first
        "fees": Decimal("500.00"),
        "travel": Decimal("120.50"),
        "backfill": Decimal("300.00"),
        "total_cost": Decimal("920.50"),
        "consultancy": Decimal("8000.00"),
        "people_supported": 8,
        "people_buddy": 7,
        "end_reason": "",
    }
    b = rows[programme["b"].pk]
    assert (b["title"], b["buddies"], b["status"], b["end_reason"]) == (
        INJECTION_TITLE,
        WELSH_NAME,
        "Ended early",
        "Poor cultural fit",
    )
    assert (b["started"], b["ended"], b["duration_days"], b["rag"]) == (
        dt.date(2027, 1, 4),
        dt.date(2027, 2, 20),
        47,
        "",
    )


def test_the_register_lists_the_newest_first(programme, regulator):
    assert [row["reference"] for row in rows_of("register", regulator)] == [
        programme["c"].pk,
        programme["b"].pk,
        programme["a"].pk,
    ]


@pytest.mark.parametrize(
    ("who", "expected"),
    [("executive", {"a"}), ("other_executive", {"b"}), ("buddy_executive", {"a", "c"}), ("regulator", {"a", "b", "c"})],
)
def test_each_person_sees_only_their_scope_in_every_report(programme, persona, who, expected):
    user = programme["buddy_executive"] if who == "buddy_executive" else persona[who]
    pks = {programme[key].pk: key for key in ("a", "b", "c")}
    for kind in ("register", "review-compliance", "value-for-money"):
        seen = {pks[row["reference"]] for row in rows_of(kind, user) if row["reference"] is not None}
        assert seen == expected, kind


def test_review_compliance_counts_done_due_and_overdue(programme, regulator, executive):
    context = selectors.Context()
    assert selectors.review_compliance(reportable_arrangements(regulator), context) == {
        "done": 1,
        "due": 1,
        "overdue": 1,
    }
    assert selectors.review_compliance(reportable_arrangements(executive), context) == {
        "done": 1,
        "due": 0,
        "overdue": 1,
    }
    rows = rows_of("review-compliance", regulator)
    assert [(row["title"], row["reviews_done"], row["compliance"], row["days_overdue"]) for row in rows] == [
        (INJECTION_TITLE, 0, "", None),  # ended: no longer due
        ("Finance recovery", 1, "Overdue", 14),
        ("Maternity safety", 0, "Due", None),
    ]
    assert rows[1]["last_review"] == dt.date(2027, 3, 2)


def test_a_review_due_today_is_due_not_overdue(programme, regulator, clock):
    clock.move_to(at(2027, 6, 1, 9), tick=False)
    counts = selectors.review_compliance(reportable_arrangements(regulator), selectors.Context())
    assert (counts["due"], counts["overdue"]) == (2, 0)


def test_endings_are_counted_by_reason_and_by_who_ended_them(programme, regulator):
    table = {row[0]: row for row in selectors.endings_table(reportable_arrangements(regulator), selectors.Context())}
    assert table["Poor cultural fit"] == ("Poor cultural fit", 1, 0, 1, Decimal("100.0"), 1, 0, 0)
    assert table["Objectives met"][3] == 0
    assert len(table) == 6


def test_value_for_money_per_arrangement_and_in_total(programme, regulator):
    rows = rows_of("value-for-money", regulator)
    total = rows[-1]
    assert total["title"] == "Total"
    assert (total["fees"], total["travel"], total["backfill"], total["total_cost"]) == (
        Decimal("500.00"),
        Decimal("200.50"),
        Decimal("300.00"),
        Decimal("1000.50"),
    )
    assert (total["consultancy"], total["saving"], total["agreed_fee"]) == (
        Decimal("11000.00"),
        Decimal("9999.50"),
        Decimal("1500.00"),
    )
    a = next(row for row in rows if row["reference"] == programme["a"].pk)
    assert (a["saving"], a["cost_share"]) == (Decimal("7079.50"), Decimal("11.5"))
    totals = selectors.vfm_totals(reportable_arrangements(regulator))
    assert (totals["total"], totals["consultancy"], totals["agreed"]) == (
        Decimal("1000.50"),
        Decimal("11000.00"),
        Decimal("1500.00"),
    )


def test_time_from_needs_recorded_to_buddy_agreed(programme, regulator):
    rows = rows_of("time-to-agreement", regulator)
    assert [(row["title"], row["needs_recorded"], row["agreed"], row["days"]) for row in rows] == [
        ("Finance recovery", dt.date(2026, 10, 1), dt.date(2026, 11, 12), 42)
    ]
    assert selectors.agreement_stats(reportable_arrangements(regulator)) == {
        "count": 1,
        "median": 42,
        "mean": 42.0,
        "shortest": 42,
        "longest": 42,
    }


def test_outcomes_count_a_trust_that_left_special_measures_while_buddied_only(programme, regulator, clock):
    # The fourth trust was in special measures but left before its arrangement started: not counted.
    fourth = programme["fourth_trust"]
    clock.move_to(at(2027, 3, 1), tick=False)
    fourth.improvement_status, fourth.improvement_status_since = "special-measures", dt.date(2027, 3, 1)
    fourth.save()
    clock.move_to(at(2027, 4, 15), tick=False)
    fourth.improvement_status, fourth.improvement_status_since = "none", None
    fourth.save()
    clock.move_to(at(2027, 6, 15, 12), tick=False)

    table = selectors.outcomes_table(reportable_arrangements(regulator), selectors.Context())
    assert table == [
        (
            "Own Hospitals NHS Trust",
            "RA1",
            dt.date(2027, 4, 1),
            "Recovery support",
            programme["a"].pk,
            "Finance recovery",
            dt.date(2026, 11, 12),
            None,
        )
    ]
    summary = dict(selectors.outcomes_summary(reportable_arrangements(regulator), selectors.Context()))
    assert summary["Trusts that left special measures while buddied"] == "1"
    assert summary["Supported trusts that have been in special measures"] == "2"


def test_pool_coverage_counts_strong_members_with_room_against_need(programme, regulator):
    finance = programme["finance"]
    framework = pool_services.framework_create(
        by=regulator,
        name="Superbuddy",
        term_start=dt.date(2026, 1, 1),
        term_end=dt.date(2029, 12, 31),
        lots=[finance],
        fees={},
    )
    framework = pool_services.framework_advance(framework=framework, by=regulator)
    for trust, strength in (
        (programme["buddy_trust"], 5),
        (programme["welsh_trust"], 3),
        (programme["fourth_trust"], 2),
    ):
        application = pool_services.pool_application_submit(
            framework=framework,
            trust=trust,
            by=regulator,
            route="nominated",
            max_concurrent_arrangements=2,
            senior_staff_days_per_month=Decimal(8),
            max_travel_minutes=180,
            incentive="no-fee",
            services=[],
            offered=[(finance, strength, "Evidence")],
        )
        pool_services.pool_application_accredit(application=application, by=regulator, until=dt.date(2028, 1, 1))
    while framework.status != "live":
        framework = pool_services.framework_advance(framework=framework, by=regulator)

    table = {row[0]: row for row in selectors.pool_table(reportable_arrangements(regulator), selectors.Context())}
    # Buddy Hospitals is strong but has both places taken (A and C); the Welsh trust (3) has both free;
    # the fourth trust offers only 2. One trust (own_trust) needs finance.
    assert table["Finance"] == ("Finance", 2, 1, 2, 1, 0)
