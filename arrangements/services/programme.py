"""The work programme: workstreams, milestones and their RAG status, and the inputs and costs recorded.

Every change is on the arrangement's timeline and in each object's history (django-simple-history records edits
and removals with who made them). A milestone turning amber or red, and every input recorded, tells the other
parties; the daily sweep tells them when a milestone becomes overdue (arrangements.reminders).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from arrangements import notifications
from arrangements.models import (
    Arrangement,
    Input,
    Milestone,
    Workstream,
)
from arrangements.services.common import (
    ArrangementError,
    _actor_name,
    _locked,
    _record_event,
    _require_party,
)
from buddying.formatting import money
from buddying.history import mark_change
from buddying.models import ExpertiseArea, Trust, User


def _check_buddy(arrangement: Arrangement, buddy: Trust | None) -> None:
    if buddy is not None and not arrangement.buddies.filter(buddy=buddy).exists():
        raise ArrangementError(f"{buddy.name} is not a buddy in this arrangement")


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
    _check_buddy(locked, buddy)
    try:
        with transaction.atomic():
            workstream = Workstream(
                arrangement=locked, area=area, supported_lead=supported_lead, buddy_lead=buddy_lead, buddy=buddy
            )
            mark_change(workstream, by=by)
            workstream.save()
    except IntegrityError:
        raise ArrangementError(f"There is already a {area.name.lower()} workstream") from None
    _record_event(
        locked,
        title=f"Workstream added: {area.name}",
        actor=by,
        description=f"Leads: {supported_lead} and {buddy_lead}.",
    )
    return workstream


def _changes(before: dict[str, str], after: dict[str, str]) -> str:
    return "; ".join(f"{label}: {before[label]} to {after[label]}" for label in after if before[label] != after[label])


@transaction.atomic
def workstream_edit(
    *,
    workstream: Workstream,
    by: User,
    area: ExpertiseArea,
    supported_lead: str,
    buddy_lead: str,
    buddy: Trust | None,
) -> Workstream:
    """Correct a workstream: its area, which buddy leads it, and the leads on each side."""
    locked = _locked(workstream.arrangement)
    _require_party(locked, by, doing="change a workstream")
    _check_buddy(locked, buddy)
    workstream = (
        Workstream.objects.select_for_update(of=("self",)).select_related("area", "buddy").get(pk=workstream.pk)
    )

    def described(item: Workstream) -> dict[str, str]:
        return {
            "area": item.area.name,
            "buddy trust leading it": item.buddy.name if item.buddy else "not decided",
            "lead at the supported trust": item.supported_lead,
            "lead at the buddy trust": item.buddy_lead,
        }

    before = described(workstream)
    workstream.area, workstream.buddy = area, buddy
    workstream.supported_lead, workstream.buddy_lead = supported_lead, buddy_lead
    changed = _changes(before, described(workstream))
    if not changed:
        return workstream
    mark_change(workstream, by=by)
    try:
        with transaction.atomic():
            workstream.save()
    except IntegrityError:
        raise ArrangementError(f"There is already a {area.name.lower()} workstream") from None
    _record_event(locked, title=f"Workstream changed: {area.name}", actor=by, description=f"Changed {changed}.")
    return workstream


@transaction.atomic
def workstream_remove(*, workstream: Workstream, by: User) -> None:
    """Remove a workstream and its milestones. The timeline keeps what was removed, and each object's history keeps
    its last state with who removed it."""
    locked = _locked(workstream.arrangement)
    _require_party(locked, by, doing="remove a workstream")
    workstream = Workstream.objects.select_for_update(of=("self",)).select_related("area").get(pk=workstream.pk)
    milestones = list(workstream.milestones.all())
    for milestone in milestones:
        mark_change(milestone, by=by)
        milestone.delete()
    mark_change(workstream, by=by)
    name = workstream.area.name
    workstream.delete()
    listed = "; ".join(f"{m.title} (due {m.due_date:%-d %B %Y}, {m.get_rag_display().lower()})" for m in milestones)
    _record_event(
        locked,
        title=f"Workstream removed: {name}",
        actor=by,
        description=f"With its milestones: {listed}." if listed else "It had no milestones.",
    )


@transaction.atomic
def milestone_add(*, workstream: Workstream, by: User, title: str, due_date: dt.date) -> Milestone:
    locked = _locked(workstream.arrangement)
    _require_party(locked, by, doing="add a milestone")
    milestone = Milestone(workstream=workstream, title=title, due_date=due_date)
    mark_change(milestone, by=by)
    milestone.save()
    _record_event(
        locked,
        title=f"Milestone added: {title}",
        actor=by,
        description=f"Due {due_date:%-d %B %Y} ({workstream.area.name}).",
    )
    return milestone


def _set_rag(milestone: Milestone, rag: str) -> None:
    if rag == Milestone.Rag.COMPLETE:
        milestone.completed_on = milestone.completed_on or timezone.localdate()
    else:
        milestone.completed_on = None
    milestone.rag = rag


def _tell_if_worse(arrangement: Arrangement, milestone: Milestone, *, was: str, by: User) -> None:
    """A milestone turning amber or red (from any other status) tells the other parties."""
    if milestone.rag == was or milestone.rag not in Milestone.WORRYING:
        return
    status = milestone.get_rag_display().lower()
    notifications.notify_parties(
        arrangement=arrangement,
        exclude=by,
        subject=f"Milestone {status}: {milestone.title}",
        body=f"{_actor_name(by)} marked the milestone “{milestone.title}” (due {milestone.due_date:%-d %B %Y}) "
        f"{status}, from {Milestone.Rag(was).label.lower()}, in {arrangement.title}.",
    )


@transaction.atomic
def milestone_update(*, milestone: Milestone, by: User, rag: str) -> Milestone:
    """Change a milestone's RAG status; amber or red tells the other parties."""
    locked = _locked(milestone.workstream.arrangement)
    _require_party(locked, by, doing="update a milestone")
    milestone = Milestone.objects.select_for_update().get(pk=milestone.pk)
    was = milestone.rag
    if rag == was:
        return milestone
    _set_rag(milestone, rag)
    mark_change(milestone, by=by)
    milestone.save(update_fields=["rag", "completed_on"])
    _record_event(
        locked,
        title=f"Milestone {milestone.get_rag_display().lower()}: {milestone.title}",
        actor=by,
        description=f"Changed from {Milestone.Rag(was).label.lower()}.",
    )
    _tell_if_worse(locked, milestone, was=was, by=by)
    return milestone


@transaction.atomic
def milestone_edit(*, milestone: Milestone, by: User, title: str, due_date: dt.date, rag: str) -> Milestone:
    """Correct a milestone: what it is, when it is due and its RAG status (amber or red tells the other parties)."""
    locked = _locked(milestone.workstream.arrangement)
    _require_party(locked, by, doing="change a milestone")
    milestone = Milestone.objects.select_for_update().get(pk=milestone.pk)
    was = milestone.rag
    before = {
        "title": milestone.title,
        "due": f"{milestone.due_date:%-d %B %Y}",
        "RAG status": milestone.get_rag_display(),
    }
    milestone.title, milestone.due_date = title, due_date
    _set_rag(milestone, rag)
    after = {
        "title": milestone.title,
        "due": f"{milestone.due_date:%-d %B %Y}",
        "RAG status": milestone.get_rag_display(),
    }
    changed = _changes(before, after)
    if not changed:
        return milestone
    mark_change(milestone, by=by)
    milestone.save()
    _record_event(locked, title=f"Milestone changed: {milestone.title}", actor=by, description=f"Changed {changed}.")
    _tell_if_worse(locked, milestone, was=was, by=by)
    return milestone


@transaction.atomic
def milestone_remove(*, milestone: Milestone, by: User) -> None:
    """Remove a milestone. The timeline says what it was; its history keeps its last state and who removed it."""
    locked = _locked(milestone.workstream.arrangement)
    _require_party(locked, by, doing="remove a milestone")
    milestone = (
        Milestone.objects.select_for_update(of=("self",)).select_related("workstream__area").get(pk=milestone.pk)
    )
    mark_change(milestone, by=by)
    title, due, rag, area = milestone.title, milestone.due_date, milestone.get_rag_display(), milestone.workstream.area
    milestone.delete()
    _record_event(
        locked,
        title=f"Milestone removed: {title}",
        actor=by,
        description=f"It was due {due:%-d %B %Y} ({area.name}), {rag.lower()} when removed.",
    )


@transaction.atomic
def input_record(*, arrangement: Arrangement, by: User, fields: dict[str, Any]) -> Input:
    """Record an input (a visit, meeting, learning day or secondment) and tell the other parties. One dated in the
    future is planned: it is not an actual cost until its date."""
    locked = _locked(arrangement)
    _require_party(locked, by, doing="record an input")
    entry = Input(arrangement=locked, recorded_by=by, **fields)
    entry.full_clean()
    mark_change(entry, by=by)
    entry.save()
    kind = entry.get_kind_display()
    planned = "Planned: " if entry.is_planned else ""
    summary = (
        f"{entry.description} on {entry.date:%-d %B %Y}: {entry.staff_days} staff days, cost {money(entry.total_cost)}."
    )
    _record_event(
        locked, title=f"{kind} {'planned' if entry.is_planned else 'recorded'}", actor=by, description=summary
    )
    notifications.notify_parties(
        arrangement=locked,
        exclude=by,
        subject=f"{kind} {'planned' if entry.is_planned else 'recorded'}: {locked.title}",
        body=f"{_actor_name(by)} recorded an input. {planned}{summary}",
    )
    return entry
