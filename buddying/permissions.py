"""Who may see and change what in the trust registry: the one place views ask.

A trust executive may read every trust's public profile, but a trust's improvement needs and
culture scores are private to that trust and to regulator staff and admins. Anything a user may
not see is reported as missing (404), so that its existence is not disclosed either.
"""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404

from buddying.models import SignupInvitation, Trust, TrustRelationship, User


def is_regulator_or_admin(user: User) -> bool:
    return user.is_authenticated and (user.is_regulator or user.is_admin_role or user.is_superuser)


def can_view_private_trust_data(user: User, trust: Trust) -> bool:
    """Improvement needs and culture scores: the trust's own executives, regulator staff and admins."""
    if is_regulator_or_admin(user):
        return True
    return user.is_authenticated and user.is_trust_executive and user.trust_id == trust.pk


def can_edit_trust(user: User, trust: Trust) -> bool:
    """Regulator staff and admins edit any trust; an executive edits only their own."""
    return can_view_private_trust_data(user, trust)


def get_trust_for_edit_or_404(user: User, ods_code: str) -> Trust:
    trust = get_object_or_404(Trust, ods_code=ods_code)
    if not can_edit_trust(user, trust):
        raise Http404("No trust matches the given query.")
    return trust


def require_regulator_or_admin(user: User) -> None:
    if not is_regulator_or_admin(user):
        raise Http404("Page not found.")


# People: who may invite whom, and whose colleagues and invitations a user sees.


def is_admin(user: User) -> bool:
    return user.is_authenticated and (user.is_admin_role or user.is_superuser)


def invitable_roles(user: User) -> list[str]:
    """Roles `user` may invite: admins anyone; regulator staff executives and regulator staff;
    an executive only colleagues (executives of their own trust)."""
    if is_admin(user):
        return [User.Role.TRUST_EXECUTIVE, User.Role.REGULATOR, User.Role.ADMIN]
    if user.is_authenticated and user.is_regulator:
        return [User.Role.TRUST_EXECUTIVE, User.Role.REGULATOR]
    if user.is_authenticated and user.is_trust_executive and user.trust_id is not None:
        return [User.Role.TRUST_EXECUTIVE]
    return []


def can_invite(user: User, *, role: str, trust: Trust | None) -> bool:
    """May `user` invite someone with `role` (for `trust`, for an executive)? An executive: their own trust only."""
    if role not in invitable_roles(user):
        return False
    if role != User.Role.TRUST_EXECUTIVE:
        return trust is None
    if trust is None:
        return False
    return is_regulator_or_admin(user) or trust.pk == user.trust_id


def can_see_people(user: User) -> bool:
    """The People page: everyone who may invite someone (an executive sees their own trust's colleagues)."""
    return bool(invitable_roles(user))


def require_can_see_people(user: User) -> None:
    if not can_see_people(user):
        raise Http404("Page not found.")


def get_invitation_for_manage_or_404(user: User, pk: int) -> SignupInvitation:
    """An open invitation `user` could have sent (so may send again or cancel); anything else is missing."""
    invitation = get_object_or_404(SignupInvitation.objects.open().select_related("trust"), pk=pk)
    if not can_invite(user, role=invitation.role, trust=invitation.trust):
        raise Http404("No invitation matches the given query.")
    return invitation


# Known relationships between trusts: an executive enters one for their own trust and answers one the other trust
# entered; regulator staff and admins enter any. Confirmed ones are shown to everyone; a pending or declined one
# only to the two trusts' executives and regulator staff.


def can_enter_relationship_for(user: User, trust: Trust) -> bool:
    """Record a relationship of `trust` with another: regulator staff and admins for any trust, an executive for
    their own trust only."""
    return can_edit_trust(user, trust)


def can_see_unconfirmed_relationships_of(user: User, trust: Trust) -> bool:
    """Pending and declined relationships of `trust`: its own executives, regulator staff and admins."""
    return can_view_private_trust_data(user, trust)


def can_answer_relationship(user: User, relationship: TrustRelationship) -> bool:
    """Confirm or decline a pending relationship: an executive of the trust that did not enter it, or regulator
    staff and admins (for example when that trust has no executive registered yet). Never the entering trust."""
    if not relationship.is_pending or relationship.entered_for_id is None:
        return False
    if is_regulator_or_admin(user):
        return True
    return (
        user.is_authenticated
        and user.is_trust_executive
        and user.trust_id in {relationship.trust_a_id, relationship.trust_b_id}
        and user.trust_id != relationship.entered_for_id
    )


def can_remove_relationship(user: User, relationship: TrustRelationship) -> bool:
    """Remove a relationship recorded in error or no longer true: an executive of either trust, or regulator staff
    and admins. The history keeps it, with who removed it and why."""
    if is_regulator_or_admin(user):
        return True
    return (
        user.is_authenticated
        and user.is_trust_executive
        and user.trust_id is not None
        and user.trust_id in {relationship.trust_a_id, relationship.trust_b_id}
    )


def get_relationship_to_remove_or_404(user: User, pk: int) -> TrustRelationship:
    """A relationship `user` may remove; another pair's is missing (a 404), as for answering."""
    relationship = get_object_or_404(TrustRelationship.objects.select_related("trust_a", "trust_b"), pk=pk)
    if not can_remove_relationship(user, relationship):
        raise Http404("No relationship matches the given query.")
    return relationship


def get_relationship_to_answer_or_404(user: User, pk: int) -> TrustRelationship:
    """A pending relationship `user` may confirm or decline; anything else (another pair's, their own trust's
    entry, one already answered) is missing, so that others' pending relationships are not disclosed."""
    relationship = get_object_or_404(
        TrustRelationship.objects.select_related("trust_a", "trust_b", "entered_for"), pk=pk
    )
    if not can_answer_relationship(user, relationship):
        raise Http404("No relationship matches the given query.")
    return relationship
