"""The superbuddy framework and its pool: vetoes, declared capacity, frameworks, applications and decisions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from buddying.formfields import upper_first
from buddying.history import mark_change
from buddying.models import ExpertiseArea, Trust, User
from buddying.notifications import notify
from matching.models import (
    BuddyCapacity,
    FeeScale,
    Framework,
    OfferedExpertise,
    PoolApplication,
    PoolDecision,
    Veto,
)


@transaction.atomic
def veto_add(*, supported: Trust, vetoed: Trust, reason: str, by: User | None) -> Veto:
    veto, _created = Veto.objects.get_or_create(
        supported=supported, vetoed=vetoed, defaults={"reason": reason, "created_by": by}
    )
    return veto


@transaction.atomic
def capacity_update(*, trust: Trust, **fields: Any) -> BuddyCapacity:
    """Set a trust's declared capacity (places, staff days, acquirer interest, pool membership)."""
    capacity, _created = BuddyCapacity.objects.select_for_update().get_or_create(trust=trust)
    for name, value in fields.items():
        setattr(capacity, name, value)
    capacity.full_clean()
    capacity.save()
    return capacity


# The superbuddy framework and its pool ------------------------------------------------------------------------


class PoolError(Exception):
    """A refused pool action; the message is one plain sentence for the person who tried it. `field` names the
    form field the message is about, when there is one, so the form shows it there."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def _sync_capacity_from(application: PoolApplication) -> None:
    """The declared capacity becomes what matching uses; pool membership itself is read live
    from accredited applications (matching.selectors.pool_member_ids), so expiry needs no job."""
    capacity_update(
        trust=application.trust,
        max_concurrent_arrangements=application.max_concurrent_arrangements,
        senior_staff_days_per_month=application.senior_staff_days_per_month,
        is_potential_acquirer=application.incentive == PoolApplication.Incentive.OPEN_TO_ACQUISITION,
    )


@transaction.atomic
def framework_create(
    *, by: User, name: str, term_start: dt.date, term_end: dt.date, lots: Iterable[ExpertiseArea], fees: dict[str, Any]
) -> Framework:
    if term_end < term_start:
        raise PoolError("The date the term ends must be the same as or after the date it starts", field="term_end")
    taken = PoolError(f"A framework called {name} already exists: choose another name", field="name")
    if Framework.objects.filter(name__iexact=name).exists():
        raise taken
    try:
        with transaction.atomic():
            framework = Framework.objects.create(name=name, term_start=term_start, term_end=term_end, created_by=by)
    except IntegrityError:
        raise taken from None  # created by someone else since the check
    framework.lots.set(lots)
    FeeScale.objects.bulk_create(FeeScale(framework=framework, tier=tier, annual_fee=fee) for tier, fee in fees.items())
    return framework


@transaction.atomic
def framework_advance(*, framework: Framework, by: User) -> Framework:
    """Move the framework to its next status: draft, open for applications, evaluating, live, expired."""
    locked = Framework.objects.select_for_update().get(pk=framework.pk)
    target = Framework.NEXT_STATUS.get(locked.status)
    if target is None:
        raise PoolError("An expired framework cannot change")
    today = timezone.localdate()
    if target == Framework.Status.LIVE and today < locked.term_start:
        raise PoolError(
            f"{locked.name} cannot go live before its term starts on {locked.term_start:%-d %B %Y}: "
            "it stays in evaluation until then"
        )
    if target == Framework.Status.LIVE and today > locked.term_end:
        raise PoolError(
            f"{locked.name} cannot go live: its term ended on {locked.term_end:%-d %B %Y}. "
            "Create a new framework for a new term"
        )
    locked.status = target
    mark_change(locked, by=by, reason=f"Moved to {locked.get_status_display().lower()}")  # who moved it on, and when
    locked.save(update_fields=["status"])
    return locked


@transaction.atomic
def pool_application_submit(
    *,
    framework: Framework,
    trust: Trust,
    by: User,
    route: str,
    max_concurrent_arrangements: int,
    senior_staff_days_per_month: Any,
    max_travel_minutes: int,
    incentive: str,
    services: Any,
    offered: list[tuple[Any, int, str]],
) -> PoolApplication:
    """A trust applies (or is nominated) to join the pool, declaring its expertise and capacity."""
    # Read the framework afresh and hold it, so an application cannot slip in as it closes.
    framework = Framework.objects.select_for_update().get(pk=framework.pk)
    if framework.status != Framework.Status.OPEN:
        raise PoolError(f"{framework.name} is not open for applications")
    if trust.improvement_status == Trust.ImprovementStatus.SPECIAL_MEASURES:
        # The pool exists to support trusts in special measures; one of them cannot be a buddy (matching
        # excludes it too), whether it applies itself or is nominated.
        raise PoolError(f"{trust.name} is in special measures, so it cannot join the pool")
    if not offered:
        raise PoolError("Offer at least one area of expertise, with evidence")
    lots = set(framework.lots.values_list("pk", flat=True))
    outside = [area.name for area, _strength, _evidence in offered if area.pk not in lots]
    if outside:
        raise PoolError(f"{', '.join(outside)} {'is' if len(outside) == 1 else 'are'} not covered by this framework")
    try:
        with transaction.atomic():
            application = PoolApplication.objects.create(
                framework=framework,
                trust=trust,
                route=route,
                submitted_by=by,
                max_concurrent_arrangements=max_concurrent_arrangements,
                senior_staff_days_per_month=senior_staff_days_per_month,
                max_travel_minutes=max_travel_minutes,
                incentive=incentive,
            )
    except IntegrityError:
        raise PoolError(f"{trust.name} already has an application or membership in {framework.name}") from None
    application.services.set(services)
    OfferedExpertise.objects.bulk_create(
        OfferedExpertise(application=application, area=area, strength=strength, evidence=evidence)
        for area, strength, evidence in offered
    )
    PoolDecision.objects.create(application=application, action=PoolDecision.Action.SUBMITTED, by=by)
    verb = "was nominated for" if route == PoolApplication.Route.NOMINATED else "applied to join"
    _pool_notify(
        application,
        by=by,
        subject=f"{trust.name} {verb} {framework.name}",
        body=f"{trust.name} {verb} the {framework.name} pool. Regulator staff will accredit or decline it.",
    )
    return application


def _pool_notify(application: PoolApplication, *, by: User | None, subject: str, body: str) -> None:
    """Tell the trust's executives and regulator staff about an application or a decision, except whoever made it."""
    people = User.objects.filter(
        Q(role=User.Role.TRUST_EXECUTIVE, trust_id=application.trust_id) | Q(role=User.Role.REGULATOR),
        is_active=True,
    )
    if by is not None:
        people = people.exclude(pk=by.pk)
    notify(recipients=people.order_by("pk"), subject=subject, body=body, url=application.get_absolute_url())


def pool_membership_wording(*, application: PoolApplication, day: Any) -> str:
    """Whether the trust is in matching on `day`, and if not, when it will be or why not: one truthful phrase
    ("in the pool and in matching now", "joins matching when X goes live", ...), for the page and messages.

    In matching means what matching.models.PoolApplicationQuerySet.accredited_on means: accredited, not expired,
    in a live framework whose term covers the day."""
    framework = application.framework
    if application.status == PoolApplication.Status.SUSPENDED:
        return "not in matching while the membership is suspended"
    if application.status != PoolApplication.Status.ACCREDITED:
        return "not in matching: the trust is not an accredited member"
    if application.accredited_until is not None and application.accredited_until < day:
        return f"not in matching: the accreditation ended on {application.accredited_until:%-d %B %Y}"
    if framework.status == Framework.Status.EXPIRED or framework.term_end < day:
        return f"not in matching: the term of {framework.name} ended on {framework.term_end:%-d %B %Y}"
    if framework.status != Framework.Status.LIVE:
        when = f", on or after {framework.term_start:%-d %B %Y}" if framework.term_start > day else ""
        return f"in the pool; joins matching when {framework.name} goes live{when}"
    if framework.term_start > day:
        starts = f"{framework.term_start:%-d %B %Y}"
        return f"in the pool; joins matching when the term of {framework.name} starts on {starts}"
    return "in the pool and in matching now"


def _decide(application: PoolApplication, *, allowed_from: set[str], by: User) -> PoolApplication:
    locked = PoolApplication.objects.select_for_update().select_related("trust", "framework").get(pk=application.pk)
    if locked.status not in allowed_from:
        last = locked.decisions.select_related("by").first()
        who = f" by {last.by.get_full_name() or last.by.username}" if last and last.by else ""
        raise PoolError(f"This application is already {locked.get_status_display().lower()}{who}: nothing was changed")
    return locked


@transaction.atomic
def pool_application_accredit(*, application: PoolApplication, by: User, until: Any) -> PoolApplication:
    """Accredit until a date: the trust joins the pool (and matching) at once. Two deciders: one wins."""
    locked = _decide(application, allowed_from={PoolApplication.Status.SUBMITTED}, by=by)
    if locked.framework.status not in Framework.ACCREDITING_STATUSES:
        raise PoolError(
            f"{locked.framework.name} is {locked.framework.get_status_display().lower()}: "
            "applications are accredited only while it is open, being evaluated or live"
        )
    today = timezone.localdate()
    if until < today:
        raise PoolError("The date the accreditation ends must be today or in the future", field="until")
    if until > locked.framework.term_end:
        raise PoolError(
            f"The date the accreditation ends must be on or before {locked.framework.term_end:%-d %B %Y}, "
            f"when the term of {locked.framework.name} ends",
            field="until",
        )
    locked.status = PoolApplication.Status.ACCREDITED
    locked.accredited_on, locked.accredited_until = today, until
    locked.decided_by, locked.decided_at = by, timezone.now()
    locked.save()
    PoolDecision.objects.create(
        application=locked, action=PoolDecision.Action.ACCREDITED, by=by, reason=f"Until {until:%d %B %Y}"
    )
    _sync_capacity_from(locked)
    _pool_notify(
        locked,
        by=by,
        subject=f"{locked.trust.name} accredited to {locked.framework.name}",
        body=f"{locked.trust.name} is an accredited member of the {locked.framework.name} pool until "
        f"{until:%-d %B %Y}. {upper_first(pool_membership_wording(application=locked, day=today))}.",
    )
    return locked


def _change(
    application: PoolApplication, *, by: User, reason: str, allowed_from: set[str], to: str, action: str
) -> PoolApplication:
    if not reason.strip():
        raise PoolError("Give a reason")
    locked = _decide(application, allowed_from=allowed_from, by=by)
    locked.status = to
    locked.decided_by, locked.decided_at = by, timezone.now()
    locked.save(update_fields=["status", "decided_by", "decided_at"])
    PoolDecision.objects.create(application=locked, action=action, by=by, reason=reason)
    _pool_notify(
        locked,
        by=by,
        subject=f"{locked.trust.name}: {action} ({locked.framework.name})",
        body=f"The {locked.framework.name} application of {locked.trust.name} was {action}. Reason: {reason}",
    )
    if to == PoolApplication.Status.ACCREDITED:
        # Only a member's declaration is what matching uses; a declined, suspended or withdrawn
        # application leaves the capacity the trust had (membership itself is read live).
        _sync_capacity_from(locked)
    return locked


@transaction.atomic
def pool_application_decline(*, application: PoolApplication, by: User, reason: str) -> PoolApplication:
    return _change(application, by=by, reason=reason, allowed_from={"submitted"}, to="declined", action="declined")


@transaction.atomic
def pool_membership_suspend(*, application: PoolApplication, by: User, reason: str) -> PoolApplication:
    return _change(application, by=by, reason=reason, allowed_from={"accredited"}, to="suspended", action="suspended")


@transaction.atomic
def pool_membership_reinstate(*, application: PoolApplication, by: User, reason: str) -> PoolApplication:
    return _change(application, by=by, reason=reason, allowed_from={"suspended"}, to="accredited", action="reinstated")


@transaction.atomic
def pool_membership_withdraw(*, application: PoolApplication, by: User, reason: str) -> PoolApplication:
    """The trust (or the regulator) withdraws: it leaves matching at once."""
    return _change(
        application,
        by=by,
        reason=reason,
        allowed_from={"submitted", "accredited", "suspended"},
        to="withdrawn",
        action="withdrawn",
    )
