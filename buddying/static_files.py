"""The staticfiles app, configured so that `collectstatic` leaves out what no page loads.

The GOV.UK Frontend and MOJ Frontend packages ship their sources beside the built files: Sass, Nunjucks
templates, TypeScript declarations, component fixtures and example HTML. Collecting and compressing them
tripled the files in STATIC_ROOT and the time a deployment spends in `collectstatic`.
"""

from django.contrib.staticfiles.apps import StaticFilesConfig


class BuddyingStaticFilesConfig(StaticFilesConfig):
    ignore_patterns = [
        *StaticFilesConfig.ignore_patterns,
        "*.scss",
        "*.njk",
        "*.md",
        "*.ts",
        "template-*.html",
        "fixtures.json",
        "macro-options.json",
        "package.json",
    ]
