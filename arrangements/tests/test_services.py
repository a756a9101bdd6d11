import datetime as dt
from decimal import Decimal

import pytest

from arrangements import services
from arrangements.models import Arrangement, ArrangementBuddy, TermsOfReference
from arrangements.services import ArrangementError, BuddySpec
from arrangements.tests.conftest import draft_terms
from buddying.models import Notification, Trust
from buddying.tests.factories import ExecutiveFactory, ImprovementNeedFactory, TrustFactory
from matching.models import BuddyCapacity

pytestmark = pytest.mark.django_db

ALL = ("regulator", "supported", "buddy", "outsider")


@pytest.fixture
def actors(regulator, executive, buddy_executive, other_executive):
    return {"regulator": regulator, "supported": executive, "buddy": buddy_executive, "outsider": other_executive}


def move_to(arrangement, status, actors):
    """Bring a fresh arrangement into `status` the legal way."""
    if status == "proposed":
        return arrangement
    if status == "declined":
        return services.arrangement_decline(arrangement=arrangement, by=actors["regulator"], reason="Not now")
    services.arrangement_agree(arrangement=arrangement, by=actors["regulator"])
    if status == "agreed":
        return Arrangement.objects.get(pk=arrangement.pk)
    terms = draft_terms(arrangement, actors["supported"])
    services.terms_sign(terms=terms, by=actors["supported"])
    services.terms_sign(terms=terms, by=actors["buddy"])
    if status == "paused":
        services.arrangement_pause(arrangement=arrangement, by=actors["regulator"])
    if status == "completed":
        services.arrangement_complete(arrangement=arrangement, by=actors["regulator"])
    if status == "terminated":
        services.arrangement_terminate(
            arrangement=arrangement, by=actors["regulator"], reason="unproductive", notes="", handover="Notes"
        )
    return Arrangement.objects.get(pk=arrangement.pk)


def act(action, arrangement, user):
    calls = {
        "agree": lambda: services.arrangement_agree(arrangement=arrangement, by=user),
        "decline": lambda: services.arrangement_decline(arrangement=arrangement, by=user, reason="Poor fit"),
        "pause": lambda: services.arrangement_pause(arrangement=arrangement, by=user),
        "resume": lambda: services.arrangement_resume(arrangement=arrangement, by=user),
        "complete": lambda: services.arrangement_complete(arrangement=arrangement, by=user),
        "terminate": lambda: services.arrangement_terminate(
            arrangement=arrangement,
            by=user,
            reason="poor-cultural-fit",
            notes="Values differ",
            handover="Hand over to the ICS",
        ),
    }
    return calls[action]()


# (action, from status) -> who may do it; everyone else, and every other status, is refused.
ALLOWED = {
    ("agree", "proposed"): {"regulator"},
    ("decline", "proposed"): {"regulator", "supported", "buddy"},
    ("pause", "active"): {"regulator", "supported", "buddy"},
    ("resume", "paused"): {"regulator", "supported", "buddy"},
    ("complete", "active"): {"regulator", "supported", "buddy"},
    ("complete", "paused"): {"regulator", "supported", "buddy"},
    ("terminate", "agreed"): {"regulator", "supported", "buddy"},
    ("terminate", "active"): {"regulator", "supported", "buddy"},
    ("terminate", "paused"): {"regulator", "supported", "buddy"},
}
TARGET = {
    "agree": "agreed",
    "decline": "declined",
    "pause": "paused",
    "resume": "active",
    "complete": "completed",
    "terminate": "terminated",
}
STATUSES = ("proposed", "agreed", "active", "paused", "completed", "declined", "terminated")
CASES = [(action, status, who) for action in TARGET for status in STATUSES for who in ALL]


@pytest.mark.parametrize(("action", "status", "who"), CASES, ids=[f"{a}-from-{s}-by-{w}" for a, s, w in CASES])
def test_every_transition_is_allowed_or_refused_per_role(arrangement, actors, action, status, who):
    arrangement = move_to(arrangement, status, actors)
    if who in ALLOWED.get((action, status), set()):
        result = act(action, arrangement, actors[who])
        assert result.status == TARGET[action]
        latest = result.events.first()
        assert latest.actor == actors[who]
    else:
        with pytest.raises(ArrangementError):
            act(action, arrangement, actors[who])
        assert Arrangement.objects.get(pk=arrangement.pk).status == status


def test_a_refusal_says_why_in_plain_words(arrangement, actors):
    with pytest.raises(ArrangementError, match="This arrangement is proposed, so it cannot be paused"):
        services.arrangement_pause(arrangement=arrangement, by=actors["regulator"])
    with pytest.raises(ArrangementError, match="only regulator staff can"):
        services.arrangement_agree(arrangement=arrangement, by=actors["supported"])


def test_it_becomes_active_only_when_both_trusts_have_signed(arrangement, actors):
    services.arrangement_agree(arrangement=arrangement, by=actors["regulator"])
    terms = draft_terms(arrangement, actors["supported"])
    services.terms_sign(terms=terms, by=actors["supported"])
    assert Arrangement.objects.get(pk=arrangement.pk).status == "agreed"
    services.terms_sign(terms=terms, by=actors["buddy"])
    arrangement.refresh_from_db()
    assert arrangement.status == "active"
    assert arrangement.next_review_due == dt.date(2027, 3, 1)  # 3 months after the planned start
    assert [e.title for e in arrangement.events.all()][:2] == [
        "Arrangement active",
        "Terms of reference version 1 signed for Buddy Hospitals NHS Foundation Trust",
    ]


def test_signed_after_the_planned_start_the_first_review_counts_from_the_signing(
    arrangement, actors, before_the_planned_start
):
    services.arrangement_agree(arrangement=arrangement, by=actors["regulator"])
    terms = draft_terms(arrangement, actors["supported"])
    services.terms_sign(terms=terms, by=actors["supported"])
    before_the_planned_start.move_to(dt.datetime(2026, 12, 14, 10, tzinfo=dt.UTC))
    services.terms_sign(terms=terms, by=actors["buddy"])
    arrangement.refresh_from_db()
    assert (arrangement.status, arrangement.next_review_due) == ("active", dt.date(2027, 3, 14))


def test_a_trust_in_special_measures_needs_the_regulator_to_sign_too(arrangement, actors, own_trust):
    own_trust.improvement_status = Trust.ImprovementStatus.SPECIAL_MEASURES
    own_trust.improvement_status_since = dt.date(2025, 1, 1)
    own_trust.save()
    services.arrangement_agree(arrangement=arrangement, by=actors["regulator"])
    terms = draft_terms(arrangement, actors["supported"])
    services.terms_sign(terms=terms, by=actors["supported"])
    services.terms_sign(terms=terms, by=actors["buddy"])
    assert Arrangement.objects.get(pk=arrangement.pk).status == "agreed"
    services.terms_sign(terms=terms, by=actors["regulator"])
    assert Arrangement.objects.get(pk=arrangement.pk).status == "active"


def test_a_new_version_of_the_terms_must_be_signed_again(arrangement, actors):
    services.arrangement_agree(arrangement=arrangement, by=actors["regulator"])
    first = draft_terms(arrangement, actors["supported"])
    services.terms_sign(terms=first, by=actors["supported"])
    second = draft_terms(arrangement, actors["buddy"], scope="Narrower scope")
    assert second.version == 2
    with pytest.raises(ArrangementError, match="Only the latest version"):
        services.terms_sign(terms=first, by=actors["buddy"])
    services.terms_sign(terms=second, by=actors["buddy"])
    assert Arrangement.objects.get(pk=arrangement.pk).status == "agreed"


def test_signing_twice_or_as_an_outsider_is_refused(arrangement, actors):
    terms = draft_terms(arrangement, actors["supported"])
    services.terms_sign(terms=terms, by=actors["supported"])
    with pytest.raises(ArrangementError, match="already signed for your side"):
        services.terms_sign(terms=terms, by=actors["supported"])
    with pytest.raises(ArrangementError, match="cannot sign"):
        services.terms_sign(terms=terms, by=actors["outsider"])


def test_acquisition_linked_needs_the_roles_kept_distinct_before_agreement(own_trust, buddy_trust, actors):
    arrangement = services.arrangement_propose(
        supported=own_trust,
        buddies=[BuddySpec(buddy=buddy_trust)],
        title="Acquisition route",
        origin="regulator-suggested",
        tier="acquisition-linked",
        planned_start=dt.date(2027, 1, 1),
        planned_end=dt.date(2029, 1, 1),
        by=actors["regulator"],
    )
    with pytest.raises(ArrangementError, match="state how the buddy role is kept distinct"):
        services.arrangement_agree(arrangement=arrangement, by=actors["regulator"])
    arrangement.acquisition_separation = "Separate teams; the buddy board members take no part in the acquisition case."
    arrangement.save()
    assert services.arrangement_agree(arrangement=arrangement, by=actors["regulator"]).status == "agreed"


def test_ending_needs_a_reason_and_handover_notes(arrangement, actors):
    arrangement = move_to(arrangement, "active", actors)
    with pytest.raises(ArrangementError, match="Choose why"):
        services.arrangement_terminate(
            arrangement=arrangement, by=actors["supported"], reason="", notes="", handover="x"
        )
    with pytest.raises(ArrangementError, match="handover notes"):
        services.arrangement_terminate(
            arrangement=arrangement, by=actors["supported"], reason="unproductive", notes="", handover=" "
        )
    ended = services.arrangement_terminate(
        arrangement=arrangement,
        by=actors["supported"],
        reason="poor-cultural-fit",
        notes="Values differ",
        handover="To the ICB",
    )
    assert (ended.status, ended.end_reason, ended.ended_by_party) == ("terminated", "poor-cultural-fit", "supported")


def test_buddy_capacity_follows_the_arrangement(arrangement, actors, buddy_trust):
    services.arrangement_agree(arrangement=arrangement, by=actors["regulator"])
    capacity = BuddyCapacity.objects.get(trust=buddy_trust)
    assert (capacity.active_arrangements, capacity.staff_days_committed) == (1, Decimal(2))
    services.arrangement_terminate(
        arrangement=arrangement, by=actors["buddy"], reason="capacity", notes="", handover="Notes"
    )
    capacity.refresh_from_db()
    assert (capacity.active_arrangements, capacity.staff_days_committed) == (0, Decimal(0))


def test_one_open_arrangement_per_pair(arrangement, actors, own_trust, buddy_trust):
    with pytest.raises(ArrangementError, match="already has an open arrangement"):
        services.arrangement_propose(
            supported=own_trust,
            buddies=[BuddySpec(buddy=buddy_trust)],
            title="Again",
            origin="self-proposed",
            tier="light-touch",
            planned_start=dt.date(2027, 1, 1),
            planned_end=dt.date(2027, 6, 1),
            by=actors["supported"],
        )
    services.arrangement_decline(arrangement=arrangement, by=actors["buddy"], reason="No capacity")
    again = services.arrangement_propose(
        supported=own_trust,
        buddies=[BuddySpec(buddy=buddy_trust)],
        title="Again",
        origin="self-proposed",
        tier="light-touch",
        planned_start=dt.date(2027, 1, 1),
        planned_end=dt.date(2027, 6, 1),
        by=actors["supported"],
    )
    assert again.status == "proposed"


def test_proposals_are_refused_when_they_make_no_sense(own_trust, buddy_trust, actors):
    def propose(**changes):
        values = {
            "supported": own_trust,
            "buddies": [BuddySpec(buddy=buddy_trust)],
            "title": "T",
            "origin": "self-proposed",
            "tier": "light-touch",
            "planned_start": dt.date(2027, 1, 1),
            "planned_end": dt.date(2027, 6, 1),
            "by": actors["supported"],
        }
        values.update(changes)
        return services.arrangement_propose(**values)

    with pytest.raises(ArrangementError, match="cannot buddy itself"):
        propose(buddies=[BuddySpec(buddy=own_trust)])
    with pytest.raises(ArrangementError, match="on or after the planned start"):
        propose(planned_end=dt.date(2026, 1, 1))
    with pytest.raises(ArrangementError, match="at least one buddy"):
        propose(buddies=[])
    assert not Arrangement.objects.exists()


def test_several_buddies_each_cover_an_area(own_trust, buddy_trust, actors, finance):
    second = TrustFactory(ods_code="RD4")
    arrangement = services.arrangement_propose(
        supported=own_trust,
        buddies=[BuddySpec(buddy=buddy_trust), BuddySpec(buddy=second, role="issue-specific", areas=(finance,))],
        title="Issue-specific buddying",
        origin="regulator-suggested",
        tier="intensive",
        planned_start=dt.date(2027, 1, 1),
        planned_end=dt.date(2028, 1, 1),
        by=actors["regulator"],
    )
    roles = {
        entry.buddy.ods_code: (entry.role, [a.slug for a in entry.areas.all()]) for entry in arrangement.buddies.all()
    }
    assert roles == {"RC3": ("lead", []), "RD4": ("issue-specific", ["finance"])}


def test_time_from_needs_recorded_is_kept(own_trust, buddy_trust, actors, finance):
    need = ImprovementNeedFactory(trust=own_trust, area=finance)
    arrangement = services.arrangement_propose(
        supported=own_trust,
        buddies=[BuddySpec(buddy=buddy_trust)],
        title="T",
        origin="self-proposed",
        tier="light-touch",
        planned_start=dt.date(2027, 1, 1),
        planned_end=dt.date(2027, 6, 1),
        by=actors["supported"],
    )
    assert arrangement.needs_recorded_at == need.recorded_at


def test_notifications_go_to_the_other_parties_not_the_actor(arrangement, actors):
    services.arrangement_agree(arrangement=arrangement, by=actors["regulator"])
    recipients = set(
        Notification.objects.filter(subject__startswith="Arrangement agreed").values_list(
            "recipient__username", flat=True
        )
    )
    assert recipients == {"executive", "buddy-executive"}


def test_the_history_records_field_changes_with_who(arrangement, actors):
    services.arrangement_agree(arrangement=arrangement, by=actors["regulator"])
    latest = arrangement.history.latest("history_date")
    assert latest.status == "agreed"
    assert latest.history_change_reason == "agreed by regulator"


def test_a_milestone_rag_change_is_kept_field_by_field_with_who(active_arrangement, actors, finance):
    workstream = services.workstream_add(
        arrangement=active_arrangement,
        by=actors["supported"],
        area=finance,
        supported_lead="Director of finance",
        buddy_lead="Deputy director of finance",
        buddy=None,
    )
    milestone = services.milestone_add(
        workstream=workstream, by=actors["supported"], title="Board approves the plan", due_date=dt.date(2027, 2, 1)
    )
    services.milestone_update(milestone=milestone, by=actors["buddy"], rag="amber")
    trail = list(milestone.history.order_by("history_date").values_list("rag", "history_user__username"))
    assert trail[-1] == ("amber", "buddy-executive")
    assert len(trail) == 2  # created, then changed


def test_a_bulk_update_cannot_slip_past_the_audit_trail(active_arrangement):
    before = active_arrangement.history.count()
    Arrangement.objects.filter(pk=active_arrangement.pk).update(next_review_due=dt.date(2027, 5, 1))
    assert active_arrangement.history.count() == before + 1
    latest = active_arrangement.history.latest("history_date")
    assert (latest.next_review_due, latest.history_change_reason) == (dt.date(2027, 5, 1), "Bulk update")
    # Filtering on the field being changed still records every row that changed.
    terms = TermsOfReference.objects.get(arrangement=active_arrangement)
    TermsOfReference.objects.filter(pk=terms.pk, review_every_months=3).update(review_every_months=6)
    assert terms.history.latest("history_date").review_every_months == 6


def test_an_outsider_cannot_add_to_the_work_programme(active_arrangement, actors, finance):
    with pytest.raises(ArrangementError):
        services.workstream_add(
            arrangement=active_arrangement,
            by=actors["outsider"],
            area=finance,
            supported_lead="A",
            buddy_lead="B",
            buddy=None,
        )


def test_other_executives_of_a_trust_are_told_too(arrangement, own_trust, actors):
    ExecutiveFactory(username="second-exec", trust=own_trust)
    services.arrangement_agree(arrangement=arrangement, by=actors["regulator"])
    assert Notification.objects.filter(recipient__username="second-exec").exists()


def test_the_pair_copy_is_kept_in_step(arrangement, actors):
    services.arrangement_decline(arrangement=arrangement, by=actors["regulator"], reason="No")
    assert not ArrangementBuddy.objects.filter(arrangement=arrangement, is_open=True).exists()
