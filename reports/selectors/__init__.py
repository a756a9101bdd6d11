"""Reads for reports: the report definitions, their rows (streamed in chunks), summaries and the dashboard.

Every function takes an arrangement queryset already scoped to what the user may see
(reports.permissions.reportable_arrangements) and filtered (reports.filters).

    lookups    columns, the export's context, and per-chunk look-ups (buddies, costs, RAG, terms, reviews)
    catalogue  each report's columns, rows and summary; REPORTS; reading rows for a file or a page
    dashboard  the dashboard's figures and map; the user's recent exports
"""

from reports.selectors.catalogue import (
    REGISTER_FIELDS,
    REPORTS,
    ReportDefinition,
    agreement_stats,
    endings_table,
    outcomes_summary,
    outcomes_table,
    pool_table,
    report_definition,
    report_page,
    report_row_count,
    report_rows,
    review_compliance,
    vfm_totals,
)
from reports.selectors.dashboard import MAP_LINES_LIMIT, active_map, dashboard, recent_exports
from reports.selectors.lookups import CHUNK_SIZE, Column, Context, worst_rag_for

__all__ = [
    "CHUNK_SIZE",
    "MAP_LINES_LIMIT",
    "REGISTER_FIELDS",
    "REPORTS",
    "Column",
    "Context",
    "ReportDefinition",
    "active_map",
    "agreement_stats",
    "dashboard",
    "endings_table",
    "outcomes_summary",
    "outcomes_table",
    "pool_table",
    "recent_exports",
    "report_definition",
    "report_page",
    "report_row_count",
    "report_rows",
    "review_compliance",
    "vfm_totals",
    "worst_rag_for",
]
