"""The work programme: workstreams, milestones and their RAG status, and the inputs and costs recorded."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from arrangements.models import (
    Arrangement,
    Input,
    Milestone,
    Workstream,
)
from arrangements.services.common import (
    ArrangementError,
    _locked,
    _record_event,
    _require_party,
)
from buddying.models import ExpertiseArea, Trust, User


@transaction.atomic
def workstream_add(
    *,
    arrangement: Arrangement,
    by: User,
    area: ExpertiseArea,
    supported_lead: str,
    buddy_lead: str,
    buddy: Trust | None,
) -> Workstream:
    locked = _locked(arrangement)
    _require_party(locked, by, doing="add a workstream")
    if buddy is not None and not locked.buddies.filter(buddy=buddy).exists():
        raise ArrangementError(f"{buddy.name} is not a buddy in this arrangement")
    try:
        with transaction.atomic():
            workstream = Workstream.objects.create(
                arrangement=locked, area=area, supported_lead=supported_lead, buddy_lead=buddy_lead, buddy=buddy
            )
    except IntegrityError:
        raise ArrangementError(f"There is already a {area.name.lower()} workstream") from None
    _record_event(
        locked,
        title=f"Workstream added: {area.name}",
        actor=by,
        description=f"Leads: {supported_lead} and {buddy_lead}.",
    )
    return workstream


@transaction.atomic
def milestone_add(*, workstream: Workstream, by: User, title: str, due_date: dt.date) -> Milestone:
    locked = _locked(workstream.arrangement)
    _require_party(locked, by, doing="add a milestone")
    milestone = Milestone.objects.create(workstream=workstream, title=title, due_date=due_date)
    _record_event(
        locked,
        title=f"Milestone added: {title}",
        actor=by,
        description=f"Due {due_date:%d %B %Y} ({workstream.area.name}).",
    )
    return milestone


@transaction.atomic
def milestone_update(*, milestone: Milestone, by: User, rag: str) -> Milestone:
    locked = _locked(milestone.workstream.arrangement)
    _require_party(locked, by, doing="update a milestone")
    milestone = Milestone.objects.select_for_update().get(pk=milestone.pk)
    milestone.rag = rag
    milestone.completed_on = timezone.localdate() if rag == Milestone.Rag.COMPLETE else None
    milestone._history_user = by  # read by django-simple-history, also outside a web request
    milestone.save(update_fields=["rag", "completed_on"])
    _record_event(locked, title=f"Milestone {milestone.get_rag_display().lower()}: {milestone.title}", actor=by)
    return milestone


@transaction.atomic
def input_record(*, arrangement: Arrangement, by: User, fields: dict[str, Any]) -> Input:
    locked = _locked(arrangement)
    _require_party(locked, by, doing="record an input")
    entry = Input(arrangement=locked, recorded_by=by, **fields)
    entry.full_clean()
    entry.save()
    _record_event(
        locked,
        title=f"{entry.get_kind_display()} recorded",
        actor=by,
        description=f"{entry.description} on {entry.date:%d %B %Y}: "
        f"{entry.staff_days} staff days, cost £{entry.total_cost:,.2f}.",
    )
    return entry
