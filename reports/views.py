"""Report pages and exports. Each view: check the report is allowed, scope and filter, read, respond.

Every read starts from reports.permissions.reportable_arrangements(user): a trust executive's pages
and files hold only arrangements their own trust is part of.
"""

from __future__ import annotations

import tempfile
from typing import Any

from django.contrib import messages
from django.http import (
    FileResponse,
    Http404,
    HttpResponse,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from arrangements import selectors as arrangement_selectors
from arrangements.services import missing_signatures
from buddying.http import AuthenticatedHttpRequest
from matching import readiness_selectors
from matching.permissions import can_run_matching
from reports import exports, permissions, selectors, services
from reports.filters import apply_filters, filters_as_json
from reports.models import ExportJob, ReportKind

FORMATS = {ExportJob.Format.CSV, ExportJob.Format.XLSX}


def _query_without(request: AuthenticatedHttpRequest, *names: str) -> str:
    params = request.GET.copy()
    for name in names:
        params.pop(name, None)
    return params.urlencode()


def _definition_or_404(request: AuthenticatedHttpRequest, kind: str) -> selectors.ReportDefinition:
    definition = selectors.report_definition(kind)
    if definition is None:
        raise Http404("Page not found.")
    permissions.require_report(request.user, kind)
    return definition


def _scoped(request: AuthenticatedHttpRequest, definition: selectors.ReportDefinition) -> tuple[Any, Any, bool]:
    """(queryset, filter or None, valid): the user's arrangements with the page's filters applied."""
    queryset = permissions.reportable_arrangements(request.user)
    if not definition.filterable:
        return queryset, None, True
    report_filter, valid = apply_filters(queryset, request.GET)
    return (report_filter.qs if valid else queryset.none()), report_filter, valid


@require_GET
def index(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not permissions.can_view_reports(request.user):
        raise Http404("Page not found.")
    reports = [
        definition
        for kind, definition in selectors.REPORTS.items()
        if kind != ReportKind.REGISTER and permissions.can_view_report(request.user, kind)
    ]
    return render(
        request,
        "reports/index.html",
        {
            "reports": reports,
            "sees_everything": permissions.sees_everything(request.user),
            "exports": selectors.recent_exports(user=request.user),
        },
    )


@require_GET
def register(request: AuthenticatedHttpRequest) -> HttpResponse:
    definition = _definition_or_404(request, ReportKind.REGISTER)
    queryset, report_filter, _valid = _scoped(request, definition)
    page, rows = selectors.report_page(definition, queryset, selectors.Context(), page=request.GET.get("page"))
    return render(
        request,
        "reports/register.html",
        {
            "definition": definition,
            "filter": report_filter,
            "page": page,
            "rows": rows,
            "sees_everything": permissions.sees_everything(request.user),
            "query_without_page": _query_without(request, "page"),
            "export_query": _query_without(request, "page", "format", "apply"),
        },
    )


@require_GET
def report(request: AuthenticatedHttpRequest, kind: str) -> HttpResponse:
    if kind == ReportKind.REGISTER:
        return redirect("reports:register")
    definition = _definition_or_404(request, kind)
    queryset, report_filter, _valid = _scoped(request, definition)
    context = selectors.Context()
    page, rows = selectors.report_page(definition, queryset, context, page=request.GET.get("page"))
    return render(
        request,
        "reports/report.html",
        {
            "definition": definition,
            "filter": report_filter,
            "page": page,
            "rows": rows,
            "summary": definition.summary(queryset, context) if definition.summary else [],
            "sees_everything": permissions.sees_everything(request.user),
            "query_without_page": _query_without(request, "page"),
            "export_query": _query_without(request, "page", "format", "apply"),
        },
    )


@require_GET
def export(request: AuthenticatedHttpRequest, kind: str) -> HttpResponse | StreamingHttpResponse:
    """Download a report as CSV (streamed) or XLSX; a large one is queued and the page shows its progress."""
    file_format = request.GET.get("format", "")
    if file_format not in FORMATS:
        raise Http404("Page not found.")
    definition = _definition_or_404(request, kind)
    queryset, _report_filter, valid = _scoped(request, definition)
    page_url = reverse("reports:register") if kind == ReportKind.REGISTER else reverse("reports:report", args=[kind])
    if not valid:
        # Back to the page, which shows what is wrong with the filters.
        return redirect(f"{page_url}?{_query_without(request, 'format')}")
    context = selectors.Context()
    filters = filters_as_json(request.GET) if definition.filterable else {}
    rows = selectors.report_row_count(definition, queryset, context)
    if rows > services.async_threshold():
        job = services.export_job_create(
            user=request.user, report=kind, file_format=file_format, filters=filters, total_rows=rows
        )
        return redirect(job)
    services.export_record(user=request.user, report=kind, file_format=file_format, filters=filters, row_count=rows)
    name = services.download_name(file_stem=definition.file_stem, file_format=file_format, on=context.today)
    data = selectors.report_rows(definition, queryset, context)
    if file_format == ExportJob.Format.CSV:
        response = StreamingHttpResponse(
            exports.csv_stream(definition.columns, data), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    target = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it when sent
    exports.write_xlsx(definition.columns, data, target, title=definition.title)
    target.seek(0)
    return FileResponse(
        target,
        as_attachment=True,
        filename=name,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


@require_GET
def dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not permissions.can_view_reports(request.user):
        raise Http404("Page not found.")
    data = selectors.dashboard(permissions.reportable_arrangements(request.user), selectors.Context())
    return render(
        request,
        "reports/dashboard.html",
        {
            "data": data,
            "sees_everything": permissions.sees_everything(request.user),
            # Regulator staff see the pool's readiness for more trusts entering special measures (matching).
            "show_readiness": can_run_matching(request.user),
            "readiness": readiness_selectors.latest_readiness() if can_run_matching(request.user) else None,
        },
    )


@require_GET
def pack(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """One arrangement as a PDF for a board paper: terms, work programme, inputs and reviews."""
    arrangement = permissions.get_pack_arrangement_or_404(request.user, pk)
    detail = arrangement_selectors.arrangement_detail(arrangement=arrangement)
    context = selectors.Context()
    html = render_to_string(
        "reports/pack.html",
        {
            "arrangement": arrangement,
            **detail,
            "missing": missing_signatures(detail["terms"]) if detail["terms"] else [],
            "today": context.today,
            "rag": selectors.worst_rag_for([arrangement.pk]).get(arrangement.pk),
        },
    )
    pdf = exports.render_pdf(html)
    services.export_record(
        user=request.user, report=ReportKind.PACK, file_format="pdf", filters={"arrangement": pk}, row_count=1
    )
    name = services.download_name(file_stem=f"arrangement-pack-{pk}", file_format="pdf", on=context.today)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_GET
def export_job(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    job = permissions.get_export_job_or_404(request.user, pk)
    definition = selectors.report_definition(job.report)
    return render(
        request, "reports/export_job.html", {"job": job, "definition": definition, "can_restart": job.can_restart}
    )


@require_GET
def export_job_status(request: AuthenticatedHttpRequest, pk: int) -> JsonResponse:
    job = permissions.get_export_job_or_404(request.user, pk)
    return JsonResponse(
        {
            "status": job.status,
            "progress": job.progress,
            "rows_written": job.rows_written,
            "finished": job.is_finished,
            "download_url": reverse("reports:export-download", args=[job.pk]) if job.status == "done" else None,
            "error": job.error,
            "can_restart": job.can_restart,
        }
    )


@require_POST
def export_job_restart(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Try again: an export still waiting, one that failed, or one whose worker died (see services)."""
    job = permissions.get_export_job_or_404(request.user, pk)
    if services.export_job_restart(job=job):
        messages.success(request, "The export has been started again")
    elif job.status == ExportJob.Status.RUNNING:
        messages.info(request, "The export is still being prepared, so it was not started again")
    return redirect(job)


@require_GET
def export_job_download(request: AuthenticatedHttpRequest, pk: int) -> FileResponse:
    """The file of a finished export, to the person who asked for it only (never a public URL)."""
    job = permissions.get_export_job_or_404(request.user, pk)
    if job.status != ExportJob.Status.DONE or not job.file.name or not job.file.storage.exists(job.file.name):
        raise Http404("This export is not ready.")
    content_type = (
        "text/csv; charset=utf-8"
        if job.file_format == ExportJob.Format.CSV
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    return FileResponse(job.file.open("rb"), as_attachment=True, filename=job.download_name, content_type=content_type)
