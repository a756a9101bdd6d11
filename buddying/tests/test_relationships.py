"""Known relationships between trusts: entered by one trust's executive, confirmed by the other's, or recorded by
regulator staff; only confirmed ones count in matching and are shown to everyone."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from buddying import services
from buddying.models import Notification, TrustRelationship
from buddying.tests.factories import ExecutiveFactory, TrustFactory
from buddying.worklist import worklist_for
from matching.selectors import supported_trusts

pytestmark = pytest.mark.django_db

WORKED_TOGETHER = TrustRelationship.Kind.LEADERS_WORKED_TOGETHER
ANON, REG, EXEC, OTHER, ADMIN = "anonymous", "regulator", "executive", "other_executive", "admin"


def enter(executive, other_trust, kind=WORKED_TOGETHER, **fields):
    return services.relationship_create(by=executive, trust=executive.trust, other=other_trust, kind=kind, **fields)


# Services


def test_an_executive_enters_one_for_their_trust_and_it_waits_for_the_other_trust(executive, other_executive):
    colleague = ExecutiveFactory(trust=other_executive.trust)
    relationship = enter(executive, other_executive.trust, description="Trained together in 2009")
    assert relationship.status == TrustRelationship.Status.PENDING
    assert relationship.entered_for == executive.trust
    assert relationship.answering_trust == other_executive.trust
    # Stored as an unordered pair, lower id first.
    assert relationship.trust_a_id < relationship.trust_b_id
    told = Notification.objects.filter(subject__contains="recorded a relationship with your trust")
    assert {n.recipient for n in told} == {other_executive, colleague}
    assert executive not in {n.recipient for n in Notification.objects.all()}
    assert relationship.history.first().history_change_reason.startswith("Entered by executive")


def test_an_executive_cannot_enter_one_for_another_trust(executive, other_trust):
    third = TrustFactory()
    with pytest.raises(PermissionDenied):
        services.relationship_create(by=executive, trust=other_trust, other=third, kind=WORKED_TOGETHER)
    assert not TrustRelationship.objects.exists()


def test_regulator_staff_record_confirmed_relationships_and_nobody_is_asked(regulator, own_trust, other_trust):
    relationship = services.relationship_create(
        by=regulator, trust=own_trust, other=other_trust, kind=TrustRelationship.Kind.SHARED_NETWORK
    )
    assert relationship.is_confirmed
    assert relationship.entered_for is None and relationship.answered_by == regulator
    assert not Notification.objects.exists()


def test_the_other_trusts_executive_confirms_and_the_entering_trust_is_told(executive, other_executive):
    relationship = enter(executive, other_executive.trust)
    confirmed = services.relationship_confirm(relationship=relationship, by=other_executive)
    assert confirmed.is_confirmed and confirmed.answered_by == other_executive and confirmed.answered_at
    assert Notification.objects.filter(recipient=executive, subject__contains="confirmed your relationship").exists()
    assert [h.history_change_reason for h in confirmed.history.all()][:1] == ["Confirmed by other-executive"]
    with pytest.raises(services.RelationshipNotPending):
        services.relationship_decline(relationship=relationship, by=other_executive)


def test_the_entering_side_cannot_confirm_its_own_entry(executive, other_executive):
    relationship = enter(executive, other_executive.trust)
    with pytest.raises(PermissionDenied):
        services.relationship_confirm(relationship=relationship, by=executive)


def test_a_declined_relationship_never_counts_and_may_be_entered_again(executive, other_executive):
    relationship = enter(executive, other_executive.trust)
    services.relationship_decline(relationship=relationship, by=other_executive)
    relationship.refresh_from_db()
    assert relationship.status == TrustRelationship.Status.DECLINED
    again = enter(executive, other_executive.trust)
    assert again.is_pending


def test_the_same_kind_twice_for_a_pair_is_refused_on_the_kind_field_either_way_round(executive, other_executive):
    enter(executive, other_executive.trust)
    with pytest.raises(ValidationError) as refused:
        enter(other_executive, executive.trust)
    assert "already have this kind of relationship recorded and is waiting" in refused.value.message_dict["kind"][0]
    # Another kind for the same pair is fine.
    enter(other_executive, executive.trust, kind=TrustRelationship.Kind.SHARED_NETWORK)


def test_a_trust_cannot_have_a_relationship_with_itself(executive):
    with pytest.raises(ValidationError) as refused:
        enter(executive, executive.trust)
    assert "other" in refused.value.message_dict


def test_the_database_refuses_a_pair_out_of_order_or_a_duplicate(own_trust, other_trust):
    low, high = TrustRelationship.pair(own_trust, other_trust)
    TrustRelationship.objects.create(trust_a=low, trust_b=high, kind=WORKED_TOGETHER)
    with pytest.raises(IntegrityError), transaction.atomic():
        TrustRelationship.objects.create(trust_a=high, trust_b=low, kind=WORKED_TOGETHER)
    with pytest.raises(IntegrityError), transaction.atomic():
        TrustRelationship.objects.create(trust_a=low, trust_b=high, kind=WORKED_TOGETHER)


def test_it_reads_well(own_trust, other_trust):
    low, high = TrustRelationship.pair(own_trust, other_trust)
    relationship = TrustRelationship.objects.create(trust_a=low, trust_b=high, kind=WORKED_TOGETHER)
    assert str(relationship) == f"{low.name} and {high.name}: chief executives or chairs have worked together"
    assert relationship.get_absolute_url() == f"/trusts/{low.ods_code}/#relationships"


def test_only_confirmed_relationships_reach_matching(executive, other_executive, regulator):
    pending = enter(executive, other_executive.trust)
    (supported,) = supported_trusts([executive.trust.ods_code])
    assert supported.relationships == ()
    services.relationship_confirm(relationship=pending, by=other_executive)
    (supported,) = supported_trusts([executive.trust.ods_code])
    assert supported.relationships == (
        (other_executive.trust.ods_code, "Chief executives or chairs have worked together (confirmed by both trusts)"),
    )


def test_the_worklist_asks_the_other_trusts_executive_to_confirm(executive, other_executive):
    enter(executive, other_executive.trust)
    items = {item.title: item for item in worklist_for(other_executive)}
    assert items["Relationships to confirm"].count == 1
    assert items["Relationships to confirm"].url == f"/trusts/{other_executive.trust.ods_code}/#relationships"
    assert "Relationships to confirm" not in {item.title for item in worklist_for(executive)}


# Pages


def trust_page(client, user, trust):
    if user is not None:
        client.force_login(user)
    return client.get(reverse("trust-detail", kwargs={"ods_code": trust.ods_code}))


@pytest.mark.parametrize(("who", "status"), [(ANON, 302), (REG, 200), (EXEC, 200), (OTHER, 404), (ADMIN, 200)])
def test_who_may_open_the_form_to_record_a_relationship_for_a_trust(client, persona, own_trust, who, status):
    user = persona[who]
    if user is not None:
        client.force_login(user)
    response = client.get(reverse("trust-relationship-new", kwargs={"ods_code": own_trust.ods_code}))
    assert response.status_code == status


def test_an_executive_records_one_from_their_trust_page(client, executive, other_trust):
    client.force_login(executive)
    response = client.post(
        reverse("trust-relationship-new", kwargs={"ods_code": executive.trust.ods_code}),
        {"other": other_trust.ods_code, "kind": WORKED_TOGETHER, "description": "<b>Trained</b> together"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == f"/trusts/{executive.trust.ods_code}/#relationships"
    page = response.content.decode()
    assert f"Waiting for {other_trust.name} to confirm" in page
    assert "&lt;b&gt;Trained&lt;/b&gt; together" in page


def test_bad_input_is_a_form_error_naming_the_field(client, executive, other_trust):
    client.force_login(executive)
    url = reverse("trust-relationship-new", kwargs={"ods_code": executive.trust.ods_code})
    response = client.post(url, {"kind": WORKED_TOGETHER})
    assert "Choose the trust the relationship is with" in response.content.decode()
    enter(executive, other_trust)
    response = client.post(url, {"other": other_trust.ods_code, "kind": WORKED_TOGETHER})
    assert response.status_code == 200
    assert "already have this kind of relationship recorded" in response.content.decode()
    response = client.post(
        url,
        {
            "other": other_trust.ods_code,
            "kind": TrustRelationship.Kind.LEARNING,
            "started_on_0": "1",
            "started_on_1": "5",
            "started_on_2": "2024",
            "ended_on_0": "1",
            "ended_on_1": "5",
            "ended_on_2": "2020",
        },
    )
    assert "The date it ended must be the same as or after the date it started" in response.content.decode()


def test_pending_relationships_are_shown_only_to_the_two_trusts_and_regulator_staff(
    client, executive, other_executive, regulator
):
    enter(executive, other_executive.trust)
    outsider = ExecutiveFactory()
    assert "Waiting for" in trust_page(client, regulator, executive.trust).content.decode()
    assert "Waiting for" in trust_page(client, other_executive, other_executive.trust).content.decode()
    page = trust_page(client, outsider, executive.trust).content.decode()
    assert "Waiting for" not in page and other_executive.trust.name not in page
    assert "No relationships recorded." in page


def test_the_other_trusts_executive_confirms_from_their_page_and_everyone_then_sees_it(
    client, executive, other_executive
):
    relationship = enter(executive, other_executive.trust)
    page = trust_page(client, other_executive, other_executive.trust).content.decode()
    assert f'Confirm<span class="govuk-visually-hidden"> relationship with {executive.trust.name}' in page
    response = client.post(reverse("relationship-confirm", kwargs={"pk": relationship.pk}), follow=True)
    assert f"Relationship with {executive.trust.name} confirmed" in response.content.decode()
    client.logout()
    page = trust_page(client, ExecutiveFactory(), executive.trust).content.decode()
    assert other_executive.trust.name in page and "Confirmed" in page


@pytest.mark.parametrize("action", ["relationship-confirm", "relationship-decline"])
@pytest.mark.parametrize(("who", "status"), [(EXEC, 404), ("outsider", 404), (REG, 302), (ADMIN, 302)])
def test_only_the_other_trusts_executive_or_regulator_staff_may_answer_it(
    client, persona, executive, other_trust, action, who, status
):
    relationship = enter(executive, other_trust)
    user = ExecutiveFactory() if who == "outsider" else persona[who]
    client.force_login(user)
    response = client.post(reverse(action, kwargs={"pk": relationship.pk}))
    assert response.status_code == status
    relationship.refresh_from_db()
    assert relationship.is_pending == (status == 404)


def test_regulator_staff_may_confirm_for_a_trust_with_no_executive_and_both_trusts_are_told(
    executive, other_trust, regulator
):
    colleague = ExecutiveFactory(trust=executive.trust)
    relationship = enter(executive, other_trust)
    confirmed = services.relationship_confirm(relationship=relationship, by=regulator)
    assert confirmed.confirmation == "confirmed by regulator staff"
    told = Notification.objects.filter(subject__startswith="Regulator staff confirmed a relationship")
    assert {n.recipient for n in told} == {executive, colleague}
    (supported,) = supported_trusts([executive.trust.ods_code])
    assert supported.relationships == (
        (other_trust.ods_code, "Chief executives or chairs have worked together (confirmed by regulator staff)"),
    )


def test_answering_twice_says_it_was_already_answered(client, executive, other_executive):
    relationship = enter(executive, other_executive.trust)
    client.force_login(other_executive)
    client.post(reverse("relationship-decline", kwargs={"pk": relationship.pk}))
    # Once declined it is no longer theirs to answer: missing, like any relationship they cannot answer.
    assert client.post(reverse("relationship-confirm", kwargs={"pk": relationship.pk})).status_code == 404


def test_the_trust_page_runs_the_same_queries_whatever_the_number_of_relationships(client, regulator, own_trust):
    client.force_login(regulator)

    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            assert trust_page(client, None, own_trust).status_code == 200
        return len(queries)

    services.relationship_create(
        by=regulator, trust=own_trust, other=TrustFactory(), kind=TrustRelationship.Kind.SHARED_NETWORK
    )
    one = count_queries()
    for _ in range(4):
        services.relationship_create(by=regulator, trust=own_trust, other=TrustFactory(), kind=WORKED_TOGETHER)
        enter(ExecutiveFactory(), own_trust)
    assert count_queries() == one


# Removing one recorded in error or no longer true


def test_either_trusts_executive_removes_one_with_a_reason_and_matching_stops_counting_it(
    client, executive, other_executive
):
    relationship = services.relationship_create(
        by=executive, trust=executive.trust, other=other_executive.trust, kind=WORKED_TOGETHER
    )
    services.relationship_confirm(relationship=relationship, by=other_executive)
    client.force_login(executive)
    page = trust_page(client, executive, executive.trust).content.decode()
    remove_url = reverse("relationship-remove", kwargs={"pk": relationship.pk})
    assert remove_url in page

    blank = client.post(remove_url, {"reason": "  "})
    assert "Enter why the relationship is removed" in blank.content.decode()
    assert TrustRelationship.objects.filter(pk=relationship.pk).exists()

    response = client.post(remove_url, {"reason": "Recorded in error: a different chair"})
    assert response.url.endswith("#relationships")
    assert not TrustRelationship.objects.filter(pk=relationship.pk).exists()
    removal = TrustRelationship.history.filter(id=relationship.pk).order_by("-history_date").first()
    assert removal.history_type == "-"
    assert removal.history_change_reason == "Removed by executive: Recorded in error: a different chair"
    assert removal.history_user == executive
    (supported,) = supported_trusts([executive.trust.ods_code])
    assert supported.relationships == ()
    told = Notification.objects.filter(subject__contains="was removed")
    assert {n.recipient for n in told} == {other_executive}


@pytest.mark.parametrize(("who", "status"), [(REG, 302), (OTHER, 302), ("outsider", 404)])
def test_only_the_two_trusts_or_regulator_staff_may_remove_one(client, persona, executive, other_trust, who, status):
    relationship = enter(executive, other_trust)
    user = ExecutiveFactory() if who == "outsider" else persona[who]
    client.force_login(user)
    url = reverse("relationship-remove", kwargs={"pk": relationship.pk})
    assert client.get(url).status_code == (404 if status == 404 else 200)
    assert client.post(url, {"reason": "Not true"}).status_code == status
    assert TrustRelationship.objects.filter(pk=relationship.pk).exists() == (status == 404)
