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
        programme["d"].pk,
    ]


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("executive", {"a", "d"}),  # supported in A, the buddy in D
        ("other_executive", {"b"}),
        ("buddy_executive", {"a", "c"}),
        ("regulator", {"a", "b", "c", "d"}),
    ],
)
def test_each_person_sees_only_their_scope_in_every_report(programme, persona, who, expected):
    user = programme["buddy_executive"] if who == "buddy_executive" else persona[who]
    pks = {programme[key].pk: key for key in ("a", "b", "c", "d")}
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
        ("Finance recovery", 1, "Overdue", 14),
        ("Maternity safety", 0, "Due", None),
        # Ended: no next review, so after those still running.
        ("Discharge planning", 0, "", None),  # completed: no longer due
        (INJECTION_TITLE, 0, "", None),  # ended early: no longer due
    ]
    assert rows[0]["last_review"] == dt.date(2027, 3, 2)
    assert rows[2]["next_review"] is None and rows[3]["next_review"] is None
    own = rows_of("review-compliance", executive)
    assert [row["title"] for row in own] == ["Finance recovery", "Discharge planning"]


def test_a_review_due_today_is_due_not_overdue(programme, regulator, clock):
    clock.move_to(at(2027, 6, 1, 9), tick=False)
    counts = selectors.review_compliance(reportable_arrangements(regulator), selectors.Context())
    assert (counts["due"], counts["overdue"]) == (2, 0)


def test_endings_are_counted_by_reason_and_by_who_ended_them(programme, regulator):
    table = {row[0]: row for row in selectors.endings_table(reportable_arrangements(regulator), selectors.Context())}
    # B ended early by the supported trust; D completed by its buddy (own_trust).
    assert table["Poor cultural fit"] == ("Poor cultural fit", 1, 0, 1, Decimal("50.0"), 1, 0, 0)
    assert table["Objectives met"] == ("Objectives met", 0, 1, 1, Decimal("50.0"), 0, 1, 0)
    assert all(row[3] == 0 for reason, row in table.items() if reason not in {"Poor cultural fit", "Objectives met"})
    assert len(table) == 6


def test_an_executives_endings_count_their_own_arrangements_only(programme, executive):
    table = {row[0]: row for row in selectors.endings_table(reportable_arrangements(executive), selectors.Context())}
    assert table["Objectives met"] == ("Objectives met", 0, 1, 1, Decimal("100.0"), 0, 1, 0)  # D, theirs
    assert table["Poor cultural fit"] == ("Poor cultural fit", 0, 0, 0, Decimal("0.0"), 0, 0, 0)  # B is not
    assert sum(row[3] for row in table.values()) == 1


def test_value_for_money_per_arrangement_and_in_total(programme, regulator):
    rows = rows_of("value-for-money", regulator)
    total = rows[-1]
    assert total["title"] == "Total"
    assert (total["fees"], total["travel"], total["backfill"], total["total_cost"]) == (
        Decimal("750.00"),
        Decimal("200.50"),
        Decimal("300.00"),
        Decimal("1250.50"),
    )
    assert (total["consultancy"], total["saving"], total["agreed_fee"]) == (
        Decimal("12000.00"),
        Decimal("10749.50"),
        Decimal("1500.00"),
    )
    a = next(row for row in rows if row["reference"] == programme["a"].pk)
    assert (a["saving"], a["cost_share"]) == (Decimal("7079.50"), Decimal("11.5"))
    totals = selectors.vfm_totals(reportable_arrangements(regulator))
    assert (totals["total"], totals["consultancy"], totals["agreed"]) == (
        Decimal("1250.50"),
        Decimal("12000.00"),
        Decimal("1500.00"),
    )


def test_an_executives_value_for_money_total_adds_up_their_own_arrangements_only(programme, executive):
    """A (920.50 against 8,000) and D (250 against 1,000); not B's travel (80) nor its estimate (3,000)."""
    rows = rows_of("value-for-money", executive)
    assert [row["reference"] for row in rows] == [programme["a"].pk, programme["d"].pk, None]
    total = rows[-1]
    assert total["title"] == "Total"
    assert (total["fees"], total["travel"], total["backfill"], total["total_cost"]) == (
        Decimal("750.00"),
        Decimal("120.50"),
        Decimal("300.00"),
        Decimal("1170.50"),
    )
    assert (total["consultancy"], total["saving"], total["cost_share"], total["agreed_fee"]) == (
        Decimal("9000.00"),
        Decimal("7829.50"),
        Decimal("13.0"),
        Decimal("1500.00"),
    )
    totals = selectors.vfm_totals(reportable_arrangements(executive))
    assert (totals["fees"], totals["travel"], totals["total"], totals["consultancy"]) == (
        Decimal("750.00"),
        Decimal("120.50"),
        Decimal("1170.50"),
        Decimal("9000.00"),
    )


def test_time_from_needs_recorded_to_buddy_agreed(programme, regulator):
    rows = rows_of("time-to-agreement", regulator)
    assert [(row["title"], row["needs_recorded"], row["agreed"], row["days"]) for row in rows] == [
        ("Maternity safety", dt.date(2027, 4, 10), dt.date(2027, 5, 1), 21),
        ("Finance recovery", dt.date(2026, 10, 1), dt.date(2026, 11, 12), 42),
    ]
    assert selectors.agreement_stats(reportable_arrangements(regulator)) == {
        "count": 2,
        "median": 31.5,
        "mean": 31.5,
        "shortest": 21,
        "longest": 42,
    }


def test_an_executives_time_to_agreement_is_their_own_trusts_only(programme, executive):
    # D: the fifth trust had no needs recorded; C (the fourth trust's, 21 days) is not theirs.
    assert [row["days"] for row in rows_of("time-to-agreement", executive)] == [42]
    assert selectors.agreement_stats(reportable_arrangements(executive)) == {
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
            "Other Hospitals NHS Trust",
            "RB2",
            dt.date(2027, 2, 1),
            "Recovery support",
            programme["b"].pk,
            INJECTION_TITLE,
            dt.date(2027, 1, 4),
            dt.date(2027, 2, 20),
        ),
        (
            "Own Hospitals NHS Trust",
            "RA1",
            dt.date(2027, 4, 1),
            "Recovery support",
            programme["a"].pk,
            "Finance recovery",
            dt.date(2026, 11, 12),
            None,
        ),
    ]
    summary = dict(selectors.outcomes_summary(reportable_arrangements(regulator), selectors.Context()))
    assert summary["Trusts that left special measures while buddied"] == "2"
    assert summary["Supported trusts that have been in special measures"] == "3"


def test_an_executives_outcomes_hold_their_own_trust_only(programme, executive):
    table = selectors.outcomes_table(reportable_arrangements(executive), selectors.Context())
    assert [(row[1], row[4]) for row in table] == [("RA1", programme["a"].pk)]  # not other_trust's exit during B


def summary_of(kind, user):
    definition = selectors.REPORTS[kind]
    return dict(definition.summary(reportable_arrangements(user), selectors.Context()))


@pytest.mark.parametrize(
    ("kind", "regulator_sees", "executive_sees"),
    [
        (
            "review-compliance",
            {
                "Reviews done": "1",
                "Active arrangements with the next review due": "1",  # C's
                "Active arrangements with a review overdue": "1",
            },
            {
                "Reviews done": "1",
                "Active arrangements with the next review due": "0",
                "Active arrangements with a review overdue": "1",
            },
        ),
        (
            "endings",
            {"Arrangements ended": "2", "Of which ended early": "1"},
            {"Arrangements ended": "1", "Of which ended early": "0"},  # D completed; B (early) is not theirs
        ),
        (
            "value-for-money",
            {
                "Agreed fees (latest terms)": "£1,500",
                "Costs recorded": "£1,250.50 (fees £750, travel £200.50, backfill £300)",
                "A consultancy would have charged": "£12,000",
                "Saving against the consultancy estimate": "£10,749.50",
            },
            {
                "Agreed fees (latest terms)": "£1,500",
                "Costs recorded": "£1,170.50 (fees £750, travel £120.50, backfill £300)",
                "A consultancy would have charged": "£9,000",
                "Saving against the consultancy estimate": "£7,829.50",
            },
        ),
        (
            "time-to-agreement",
            {
                "Arrangements agreed with needs recorded": "2",
                "Median days from needs recorded to buddy agreed": "31.5",
                "Mean days": "31.5",
                "Shortest and longest": "21 and 42 days",
            },
            {
                "Arrangements agreed with needs recorded": "1",
                "Median days from needs recorded to buddy agreed": "42",
                "Mean days": "42",
                "Shortest and longest": "42 and 42 days",
            },
        ),
        (
            "outcomes",
            {
                "Supported trusts that have been in special measures": "2",
                "Trusts that left special measures while buddied": "2",
            },
            {
                "Supported trusts that have been in special measures": "1",
                "Trusts that left special measures while buddied": "1",
            },
        ),
    ],
)
def test_every_summary_counts_an_executives_own_arrangements_only(
    programme, regulator, executive, kind, regulator_sees, executive_sees
):
    assert summary_of(kind, regulator) == regulator_sees
    assert summary_of(kind, executive) == executive_sees


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
