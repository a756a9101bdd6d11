"""Warm a web process before it serves anyone, so the first request after a start is as fast as the rest.

Called by gunicorn's `when_ready` hook (gunicorn.conf.py) in the master, after Django is loaded and before the
workers are forked, so every worker (and every replacement after max_requests) starts warm. It imports every
view through the URLconf, compiles every template into the cached loader, loads the static files manifest and
the translations, and lays out a one-line PDF so the PDF engine has its fonts. It never touches the database.
"""

from __future__ import annotations

import contextlib
import logging
import time
from pathlib import Path

logger = logging.getLogger(__name__)


def warm() -> float:
    """Warm this process; returns the seconds it took. Each step that fails is logged and skipped."""
    started = time.perf_counter()
    for step in (_views, _templates, _static_manifest, _pdf_engine):
        try:
            step()
        except Exception:
            logger.warning("Warm-up step %s failed; the first request will do it instead", step.__name__, exc_info=True)
    # Nothing above should have connected, but a connection must never be shared by forked workers.
    from django.db import connections

    connections.close_all()
    return time.perf_counter() - started


def _views() -> None:
    """Import every view module (and what they import: the matching engine, NumPy, SciPy)."""
    from django.conf import settings
    from django.urls import get_resolver
    from django.utils import translation

    resolver = get_resolver()
    resolver.url_patterns  # noqa: B018 - imports the URLconfs and their views
    resolver._populate()
    translation.activate(settings.LANGUAGE_CODE)
    translation.gettext("Sign in")


def _templates() -> None:
    """Compile every template of the project and of its apps (crispy GOV.UK forms, admin) into the cached loader."""
    from django.template import TemplateDoesNotExist, TemplateSyntaxError, engines

    for engine in engines.all():
        directories = engine.template_dirs
        for directory in map(Path, directories):
            for path in directory.rglob("*"):
                if path.suffix not in {".html", ".txt", ".xml"} or not path.is_file():
                    continue
                with contextlib.suppress(TemplateDoesNotExist, TemplateSyntaxError, UnicodeDecodeError):
                    engine.get_template(str(path.relative_to(directory)))


def _static_manifest() -> None:
    from django.contrib.staticfiles.storage import staticfiles_storage

    with contextlib.suppress(ValueError):  # no manifest (development): nothing to load
        staticfiles_storage.url("build/app.css")


def _pdf_engine() -> None:
    """WeasyPrint's first document loads Pango and the fonts: about half a second the first PDF would wait."""
    import weasyprint

    weasyprint.HTML(string="<p style='font-family: sans-serif'>Buddying</p>").write_pdf()
