"""Reads of the trust registry that are more than a one-line queryset."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Count, Prefetch, Q, QuerySet
from django.urls import reverse

from buddying import permissions
from buddying.models import (
    ExpertiseArea,
    ImprovementNeed,
    SignupInvitation,
    Trust,
    TrustExpertise,
    TrustQuerySet,
    TrustRelationship,
    User,
)
from buddying.worklist import WorkItem

STATUS_COLOURS: dict[str, str] = {
    # Marker colours on the map, from the GOV.UK colour palette; the legend names each one.
    Trust.ImprovementStatus.SPECIAL_MEASURES: "#d4351c",
    Trust.ImprovementStatus.RECOVERY: "#f47738",
    Trust.ImprovementStatus.NONE: "#1d70b8",
}


def trust_for_profile(*, ods_code: str, include_private: bool) -> Trust:
    """One trust with everything its profile page shows, in a fixed number of queries."""
    prefetches: list[Any] = [
        "services",
        Prefetch("expertise", queryset=TrustExpertise.objects.select_related("area")),
    ]
    if include_private:
        prefetches.append(Prefetch("needs", queryset=ImprovementNeed.objects.select_related("area")))
    queryset = Trust.objects.select_related("ics").prefetch_related(*prefetches)
    if include_private:
        queryset = queryset.select_related("culture")
    return queryset.get(ods_code=ods_code)


def map_markers(trusts: TrustQuerySet) -> list[dict[str, Any]]:
    """Plain data for the map's markers: one query, located trusts only."""
    rows = trusts.located().values_list("ods_code", "name", "latitude", "longitude", "improvement_status")
    labels = dict(Trust.ImprovementStatus.choices)
    return [
        {
            "ods_code": ods_code,
            "name": name,
            "lat": latitude,
            "lng": longitude,
            "status": labels[status],
            "colour": STATUS_COLOURS[status],
            "url": Trust(ods_code=ods_code).get_absolute_url(),
        }
        for ods_code, name, latitude, longitude, status in rows
    ]


def registry_summary() -> dict[str, int]:
    """Counts of open trusts for the home page, in one query (the directory's default count too)."""
    return Trust.objects.open().aggregate(
        trusts=Count("pk"),
        type_not_known=Count("pk", filter=Q(trust_type="")),
        special_measures=Count("pk", filter=Q(improvement_status=Trust.ImprovementStatus.SPECIAL_MEASURES)),
        recovery=Count("pk", filter=Q(improvement_status=Trust.ImprovementStatus.RECOVERY)),
    )


def expertise_areas() -> list[ExpertiseArea]:
    return list(ExpertiseArea.objects.select_related("requires_service"))


@dataclass(frozen=True)
class ProfileGap:
    """Something matching needs that a trust's profile does not record, and where to record it."""

    label: str
    fix: str
    url: str
    # Only regulator staff can record it (an executive is told to ask them).
    regulator_only: bool = False


@dataclass(frozen=True)
class ProfileCompleteness:
    gaps: list[ProfileGap]
    checked: int

    @property
    def complete(self) -> int:
        return self.checked - len(self.gaps)


def _has_culture_profile(trust: Trust) -> bool:
    try:
        trust.culture  # noqa: B018 (uses the row select_related fetched, if it did)
    except ObjectDoesNotExist:
        return False
    return True


def trust_profile_completeness(trust: Trust) -> ProfileCompleteness:
    """What matching needs from a trust's profile and which of it is missing.

    Five things: a location (geography), a type (structure), expertise (what it can offer), a staff
    survey profile (cultural fit) and a region. A CQC rating of "not yet rated" is a fact, not a gap.
    Uses `trust.expertise` and `trust.culture` as loaded (trust_for_profile loads both for people
    who can edit), so the trust page runs no extra queries.
    """
    edit_url = reverse("trust-edit", kwargs={"ods_code": trust.ods_code})
    checks = [
        (
            trust.has_location,
            ProfileGap("location", "Enter the postcode of the trust's main site", edit_url),
        ),
        (
            bool(trust.trust_type),
            ProfileGap("type", "Choose the trust's type", edit_url, regulator_only=True),
        ),
        (
            bool(trust.expertise.all()),
            ProfileGap(
                "expertise",
                "Record the areas the trust is strong in, with evidence",
                reverse("trust-expertise-edit", kwargs={"ods_code": trust.ods_code}),
            ),
        ),
        (
            _has_culture_profile(trust),
            ProfileGap(
                "staff survey profile",
                "Enter the trust's NHS Staff Survey theme scores",
                reverse("trust-culture-edit", kwargs={"ods_code": trust.ods_code}),
            ),
        ),
        (
            bool(trust.region),
            ProfileGap("region", "Choose the trust's NHS England region", edit_url, regulator_only=True),
        ),
    ]
    return ProfileCompleteness(gaps=[gap for present, gap in checks if not present], checked=len(checks))


def trust_profile_gaps(trust: Trust) -> list[str]:
    """Names of what matching needs but the trust's profile lacks, e.g. ["type", "staff survey profile"]."""
    return [gap.label for gap in trust_profile_completeness(trust).gaps]


# People: the People page's lists, scoped by buddying.permissions.


def people_visible_to(user: User) -> QuerySet[User]:
    """Accounts `user` sees on the People page, by name: everyone for regulator staff and admins, an
    executive's own trust's colleagues otherwise. One query per page (the trust is joined)."""
    queryset = User.objects.select_related("trust").order_by("last_name", "first_name", "username")
    if permissions.is_regulator_or_admin(user):
        return queryset
    if permissions.can_see_people(user) and user.trust_id is not None:
        return queryset.filter(role=User.Role.TRUST_EXECUTIVE, trust_id=user.trust_id)
    return queryset.none()


def open_invitations_visible_to(user: User) -> QuerySet[SignupInvitation]:
    """Invitations not yet used nor cancelled (waiting or expired) that `user` may send again or cancel."""
    queryset = SignupInvitation.objects.open().select_related("trust", "created_by").order_by("-sent_at", "-pk")
    roles = permissions.invitable_roles(user)
    if permissions.is_regulator_or_admin(user):
        return queryset.filter(role__in=roles)
    if roles and user.trust_id is not None:
        return queryset.filter(role=User.Role.TRUST_EXECUTIVE, trust_id=user.trust_id)
    return queryset.none()


def signup_invitation_for_token(token: str) -> SignupInvitation | None:
    """The invitation whose link carries `token`, in any state; None for a token nobody issued."""
    return (
        SignupInvitation.objects.select_related("trust", "created_by", "created_by__trust")
        .filter(token_hash=SignupInvitation.hash_token(token))
        .first()
    )


# Known relationships between trusts.


@dataclass(frozen=True)
class RelationshipRow:
    """One relationship as a trust's page shows it: seen from that trust, with what the viewer may do."""

    relationship: TrustRelationship
    other: Trust
    can_answer: bool
    can_remove: bool
    # Pending: whose confirmation it waits for (the other trust, or this one).
    waiting_for: Trust | None


def trust_relationships(*, trust: Trust, user: User) -> list[RelationshipRow]:
    """The relationships a trust's page lists, in one query: confirmed ones to everyone; pending and declined ones
    only to the trust's own executives, regulator staff and admins."""
    queryset = TrustRelationship.objects.involving(trust).select_related(
        "trust_a", "trust_b", "entered_for", "entered_by", "answered_by"
    )
    if not permissions.can_see_unconfirmed_relationships_of(user, trust):
        queryset = queryset.confirmed()
    # Waiting for an answer first, then confirmed, then declined; newest first within each.
    order: dict[str, int] = {TrustRelationship.Status.PENDING: 0, TrustRelationship.Status.CONFIRMED: 1}
    relationships = sorted(queryset.order_by("-entered_at", "-pk"), key=lambda r: order.get(r.status, 2))
    rows = []
    for relationship in relationships:
        rows.append(
            RelationshipRow(
                relationship=relationship,
                other=relationship.other_than(trust.pk),
                can_answer=permissions.can_answer_relationship(user, relationship),
                can_remove=permissions.can_remove_relationship(user, relationship),
                waiting_for=relationship.answering_trust if relationship.is_pending else None,
            )
        )
    return rows


def relationships_to_answer(user: User) -> QuerySet[TrustRelationship]:
    """Pending relationships the other trust entered with this executive's trust: theirs to confirm or decline."""
    if not (user.is_authenticated and user.is_trust_executive and user.trust_id):
        return TrustRelationship.objects.none()
    return TrustRelationship.objects.to_answer_by(user.trust_id)


def relationships_of(trust_ids: set[int]) -> list[tuple[Trust, Trust, TrustRelationship]]:
    """Confirmed relationships with at least one trust in `trust_ids` (the pool page's members), as (the trust in
    `trust_ids`, the other trust, the relationship), by name. One query however many members."""
    relationships = (
        TrustRelationship.objects.confirmed()
        .filter(Q(trust_a_id__in=trust_ids) | Q(trust_b_id__in=trust_ids))
        .select_related("trust_a", "trust_b")
    )
    rows = []
    for relationship in relationships:
        for member in (relationship.trust_a, relationship.trust_b):
            if member.pk in trust_ids:
                rows.append((member, relationship.other_than(member.pk), relationship))
    return sorted(rows, key=lambda row: (row[0].name, row[1].name, row[2].kind))


def worklist(user: User) -> list[WorkItem]:
    """Registry work waiting for this person (buddying.worklist asks every app): relationships to confirm."""
    count = relationships_to_answer(user).count()
    if not count or user.trust is None:
        return []
    return [
        WorkItem(
            title="Relationships to confirm",
            count=count,
            url=reverse("trust-detail", kwargs={"ods_code": user.trust.ods_code}) + "#relationships",
            detail="Another trust recorded a relationship with yours: confirm or decline it",
        )
    ]
