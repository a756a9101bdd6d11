"""Terms of reference: drafting a version, who must sign it, signing, and activation once all have signed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from arrangements import notifications
from arrangements.models import (
    OPEN_STATUSES,
    Arrangement,
    Objective,
    Signature,
    TermsOfReference,
    next_review_due,
)
from arrangements.permissions import BUDDY, REGULATOR, SUPPORTED, parties_of
from arrangements.services.common import (
    ArrangementError,
    _actor_name,
    _locked,
    _record_event,
    _refresh_buddy_state,
)
from buddying.history import mark_change
from buddying.models import Trust, User

TERMS_FIELDS = (
    "scope",
    "out_of_scope",
    "supported_commitments",
    "buddy_commitments",
    "governance",
    "meeting_cadence",
    "review_every_months",
    "local_discretion",
    "termination_terms",
    "fee",
    "who_pays",
)


@transaction.atomic
def terms_draft(
    *, arrangement: Arrangement, by: User, fields: dict[str, Any], objectives: Sequence[tuple[str, str, dt.date]]
) -> TermsOfReference:
    """Save a new version of the terms. Earlier signatures stay with the version they signed."""
    locked = _locked(arrangement)
    if not parties_of(by, locked):
        raise ArrangementError("You cannot draft terms for this arrangement")
    if locked.status not in OPEN_STATUSES:
        raise ArrangementError(f"This arrangement is {locked.get_status_display().lower()}: its terms are final")
    if not objectives:
        raise ArrangementError("Add at least one objective with a measurable output and a target date")
    latest = locked.terms_versions.order_by("-version").first()
    terms = TermsOfReference.objects.create(
        arrangement=locked,
        version=(latest.version + 1) if latest else 1,
        created_by=by,
        **{name: fields[name] for name in TERMS_FIELDS if name in fields},
    )
    Objective.objects.bulk_create(
        Objective(terms=terms, description=description, measurable_output=output, target_date=target)
        for description, output, target in objectives
    )
    _record_event(locked, title=f"Terms of reference version {terms.version} drafted", actor=by)
    notifications.notify_parties(
        arrangement=locked,
        exclude=by,
        subject=f"Terms of reference to sign: {locked.title}",
        body=f"{_actor_name(by)} drafted version {terms.version} of the terms of reference. Please read and sign them.",
    )
    return terms


def required_signatories(arrangement: Arrangement) -> list[tuple[str, Trust | None]]:
    """Who must sign: the supported trust, every buddy, and the regulator if the trust is in special measures."""
    required: list[tuple[str, Trust | None]] = [(SUPPORTED, arrangement.supported)]
    required += [(BUDDY, entry.buddy) for entry in arrangement.buddies.all()]
    if arrangement.needs_regulator_sign_off:
        required.append((REGULATOR, None))
    return required


def missing_signatures(terms: TermsOfReference) -> list[tuple[str, Trust | None]]:
    signed = {(signature.party, signature.trust_id) for signature in terms.signatures.all()}
    return [
        (party, trust)
        for party, trust in required_signatories(terms.arrangement)
        if (party, trust.pk if trust else None) not in signed
    ]


@transaction.atomic
def terms_sign(*, terms: TermsOfReference, by: User) -> Signature:
    """Sign the current terms for the side the user acts for. The last signature makes the arrangement active."""
    arrangement = _locked(terms.arrangement)
    latest = arrangement.terms_versions.order_by("-version").first()
    if latest is None or latest.pk != terms.pk:
        raise ArrangementError("Only the latest version of the terms can be signed")
    if arrangement.status not in OPEN_STATUSES:
        raise ArrangementError(f"This arrangement is {arrangement.get_status_display().lower()}: nothing to sign")
    parties = parties_of(by, arrangement)
    if REGULATOR in parties:
        party, trust = REGULATOR, None
    elif SUPPORTED in parties:
        party, trust = SUPPORTED, arrangement.supported
    elif BUDDY in parties:
        party, trust = BUDDY, by.trust
    else:
        raise ArrangementError("You cannot sign these terms")
    if (party, trust) not in required_signatories(arrangement):
        raise ArrangementError("The regulator signs only when the trust is in special measures")
    try:
        with transaction.atomic():
            signature = Signature.objects.create(terms=terms, party=party, trust=trust, signed_by=by)
    except IntegrityError:
        raise ArrangementError("These terms are already signed for your side") from None
    who = trust.name if trust else "the regulator"
    _record_event(arrangement, title=f"Terms of reference version {terms.version} signed for {who}", actor=by)
    _activate_if_signed(arrangement, by=by)
    return signature


def _activate_if_signed(arrangement: Arrangement, *, by: User) -> None:
    if arrangement.status != "agreed":
        return
    latest = arrangement.terms_versions.order_by("-version").prefetch_related("signatures").first()
    if latest is None or missing_signatures(latest):
        return
    arrangement.status = "active"
    arrangement.started_at = timezone.now()
    start = max(timezone.localdate(), arrangement.planned_start)
    arrangement.next_review_due = next_review_due(
        started=start, every_months=latest.review_every_months, reviews_done=0
    )
    mark_change(arrangement, reason="activated: terms of reference signed by every party")
    arrangement.save()
    _refresh_buddy_state(arrangement)
    _record_event(
        arrangement,
        title="Arrangement active",
        actor=by,
        description="Every party signed the terms of reference. "
        f"First review due {arrangement.next_review_due:%d %B %Y}.",
    )
    notifications.notify_parties(
        arrangement=arrangement,
        exclude=None,
        subject=f"Arrangement active: {arrangement.title}",
        body=f"Every party has signed the terms. The first review is due on {arrangement.next_review_due:%d %B %Y}.",
    )


# Work programme, inputs and reviews ----------------------------------------------------------------------------
