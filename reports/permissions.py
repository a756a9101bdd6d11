"""Who may see which report, and which arrangements a report or export may contain.

There is one scoping rule, arrangements.permissions.visible_arrangements: regulator staff and admins
see every arrangement; a trust executive sees only arrangements their own trust is part of. Every
report, page and export here starts from `reportable_arrangements`, which asks it.
"""

from __future__ import annotations

from django.http import Http404

from arrangements.models import Arrangement, ArrangementQuerySet
from arrangements.permissions import visible_arrangements
from buddying.models import User
from buddying.permissions import is_regulator_or_admin
from reports.models import ExportJob, ReportKind

# Not about arrangements: the pool's capacity against every trust's (private) improvement needs, and informal
# arrangements between any trusts (some still waiting for the other trust to confirm them).
REGULATOR_ONLY_REPORTS = frozenset({ReportKind.POOL_COVERAGE, ReportKind.INFORMAL_ARRANGEMENTS})


def reportable_arrangements(user: User) -> ArrangementQuerySet:
    """The arrangements this user's reports may contain, as a plain queryset (no joins, so sums are not doubled).

    The scope is a subquery of `visible_arrangements`, so filters and aggregates can be added freely.
    """
    return Arrangement.objects.filter(pk__in=visible_arrangements(user).values("pk"))


def can_view_reports(user: User) -> bool:
    """Regulator staff, admins, and trust executives (who see their own trust's arrangements only)."""
    if not user.is_authenticated:
        return False
    return is_regulator_or_admin(user) or bool(user.is_trust_executive and user.trust_id)


def can_view_report(user: User, report: str) -> bool:
    if not can_view_reports(user):
        return False
    if report in REGULATOR_ONLY_REPORTS:
        return is_regulator_or_admin(user)
    return True


def require_report(user: User, report: str) -> None:
    """A report the user may not see is reported as missing (404), like every other page."""
    if not can_view_report(user, report):
        raise Http404("Page not found.")


def sees_everything(user: User) -> bool:
    return is_regulator_or_admin(user)


def get_pack_arrangement_or_404(user: User, pk: int) -> Arrangement:
    """An arrangement for its PDF pack: 404 unless it is within the user's scope."""
    if not can_view_reports(user):
        raise Http404("No arrangement matches the given query.")
    arrangement = reportable_arrangements(user).select_related("supported").filter(pk=pk).first()
    if arrangement is None:
        raise Http404("No arrangement matches the given query.")
    return arrangement


def get_export_job_or_404(user: User, pk: int) -> ExportJob:
    """A queued export is visible to the person who asked for it, and to no one else."""
    job = ExportJob.objects.filter(pk=pk, requested_by_id=user.pk).first() if user.is_authenticated else None
    if job is None:
        raise Http404("No export matches the given query.")
    return job
