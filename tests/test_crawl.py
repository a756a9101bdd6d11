"""No page fails: every persona of the demo follows every link from the home page and opens every object's pages.

A breadth-first crawl (GET only, same host) after `seed_demo`, signed in as regulator staff, an admin, the demo
executive (a supported trust) and an executive of a buddy trust. Any 5xx, or an exception a view raised, fails
the test with the URL that failed and the page that linked to it.
"""

from __future__ import annotations

import io
import re
from collections import deque
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from arrangements.models import Arrangement, CallOff
from buddying.models import Trust, User
from matching.models import Framework, MatchRun, PoolApplication, RecruitmentInvitation, Sounding
from reports.models import ExportJob, ReportKind

pytestmark = pytest.mark.django_db

MAX_PAGES_PER_PERSONA = 1500
# Links found by crawling: at most this many URLs of one shape (ids and codes alike, same query parameter
# names), so 200 trusts' sort orders and page numbers do not each cost a request. Every object's own pages
# are visited all the same, from the database (object_urls).
MAX_PER_SHAPE = 4
# Django admin's pages are many and alike (a list, an add and a change page per model): two of each shape. The
# arrangement pack renders a PDF, a second a time: one for each persona.
MAX_PER_SHAPE_OF = {"/reports/arrangements/<x>/pack/": 1}
MAX_PER_ADMIN_SHAPE = 2
SKIP = (
    re.compile(r"^/sign-out/"),
    re.compile(r"^/admin/logout/"),
    re.compile(r"/delete/$"),
    re.compile(r"^/static/"),
    re.compile(r"^/media/"),
)
# A number or an ODS code (trusts' pages are /trusts/RJ1/...).
IDENTIFIER = re.compile(r"^([0-9]+|[A-Z][A-Z0-9]{2,4})$")
ARRANGEMENT_TABS = ("terms", "work", "inputs", "reviews", "timeline")


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)


def _links(base: str, html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    found = []
    for href in parser.hrefs:
        url, _fragment = urldefrag(urljoin(base, href))
        parts = urlsplit(url)
        if parts.scheme not in {"", "http"} or parts.netloc not in {"", "testserver"}:
            continue
        path = parts.path or "/"
        if any(pattern.search(path) for pattern in SKIP):
            continue
        found.append(path + (f"?{parts.query}" if parts.query else ""))
    return found


def _shape(url: str) -> tuple[str, tuple[str, ...]]:
    parts = urlsplit(url)
    path = "/".join("<x>" if IDENTIFIER.match(segment) else segment for segment in parts.path.split("/"))
    if path.startswith("/admin/"):
        # Django admin's filters and sort orders combine without end: one shape per admin page.
        return path, ()
    names = tuple(sorted({pair.split("=", 1)[0] for pair in parts.query.split("&") if pair}))
    return path, names


def object_urls(user: User) -> list[str]:
    """Every object's pages: each arrangement's tabs, call-off, pool application, framework, run, trust and export
    (its page and its Django admin change page). Every trust's profile for regulator staff, who may open them all; for
    the others their own trust's and a sample of others, as they all show the same public page."""
    urls: list[str] = []
    everything = user.role == User.Role.REGULATOR
    for pk in Arrangement.objects.values_list("pk", flat=True):
        urls.append(reverse("arrangements:detail", args=[pk]))
        urls += [reverse("arrangements:tab", args=[pk, tab]) for tab in ARRANGEMENT_TABS]
        urls.append(f"/admin/arrangements/arrangement/{pk}/change/")
    for pk in CallOff.objects.values_list("pk", flat=True):
        urls.append(reverse("arrangements:call-off", args=[pk]))
    for pk in PoolApplication.objects.values_list("pk", flat=True):
        urls.append(reverse("matching:application-detail", args=[pk]))
        urls.append(f"/admin/matching/poolapplication/{pk}/change/")
    for pk in Framework.objects.values_list("pk", flat=True):
        urls += [
            reverse("matching:framework-detail", args=[pk]),
            reverse("matching:pool", args=[pk]),
            reverse("matching:application-create", args=[pk]),
            f"/admin/matching/framework/{pk}/change/",
        ]
    for pk in MatchRun.objects.values_list("pk", flat=True):
        urls.append(reverse("matching:run-detail", args=[pk]))
    for pk in Sounding.objects.values_list("pk", flat=True):
        urls += [
            reverse("matching:sounding-detail", args=[pk]),
            reverse("matching:sounding-answer", args=[pk]),
            f"/admin/matching/sounding/{pk}/change/",
        ]
    for run in MatchRun.objects.filter(kind__in=MatchRun.POOL_KINDS):  # readiness and recruitment pages
        urls.append(run.get_absolute_url())
        if run.kind == MatchRun.Kind.RECRUITMENT and run.results:
            urls += [
                reverse("matching:recruitment-invite", args=[run.pk, c["ods_code"]]) for c in run.results["candidates"]
            ]
    for invitation in RecruitmentInvitation.objects.all():
        urls.append(invitation.get_absolute_url())
    codes = list(Trust.objects.order_by("ods_code").values_list("ods_code", flat=True))
    if not everything:
        own = [user.trust.ods_code] if user.trust is not None else []
        codes = [*own, *codes[::10]]
    for code in codes:
        urls.append(reverse("trust-detail", args=[code]))
    for pk in ExportJob.objects.values_list("pk", flat=True):
        urls += [reverse("reports:export-job", args=[pk]), f"/admin/reports/exportjob/{pk}/change/"]
    return urls


def crawl(user: User, *, extra: list[str]) -> tuple[list[str], int]:
    """Visit the home page, everything it leads to, and `extra`; return the failures and the pages visited."""
    client = Client(raise_request_exception=True)
    client.force_login(user)
    queue: deque[tuple[str, str]] = deque([("/", "(start)")] + [(url, "(every object's page)") for url in extra])
    seen = {url for url, _ in queue}
    shapes: dict[tuple[str, tuple[str, ...]], int] = {}
    failures: list[str] = []
    visited = 0
    while queue and visited < MAX_PAGES_PER_PERSONA:
        url, referrer = queue.popleft()
        visited += 1
        try:
            response = client.get(url)
        except Exception as error:
            failures.append(f"{user.username}: {url} (linked from {referrer}) raised {error!r}")
            continue
        if response.status_code >= 500:
            failures.append(f"{user.username}: {url} (linked from {referrer}) answered {response.status_code}")
            continue
        content_type = response.get("Content-Type", "")
        if response.status_code != 200 or not content_type.startswith("text/html") or response.streaming:
            continue
        for link in _links(url, response.content.decode()):
            if link in seen:
                continue
            shape = _shape(link)
            limit = (
                MAX_PER_ADMIN_SHAPE if shape[0].startswith("/admin/") else MAX_PER_SHAPE_OF.get(shape[0], MAX_PER_SHAPE)
            )
            if shapes.get(shape, 0) >= limit:
                continue
            shapes[shape] = shapes.get(shape, 0) + 1
            seen.add(link)
            queue.append((link, url))
    return failures, visited


@pytest.fixture
def demo(db, settings, tmp_path):
    call_command("seed_demo", stdout=io.StringIO())
    regulator = User.objects.get(username="regulator")
    # The demo has no exports: one waiting and one finished with its file, so their pages are visited too.
    settings.EXPORTS_DIR = tmp_path / "exports"
    ExportJob.objects.create(
        requested_by=regulator, report=ReportKind.REGISTER, file_format="csv", download_name="register.csv"
    )
    done = ExportJob(
        requested_by=regulator,
        report=ReportKind.REGISTER,
        file_format="csv",
        download_name="register.csv",
        status=ExportJob.Status.DONE,
        progress=100,
    )
    done.file.save("register.csv", ContentFile(b"Title\r\n"), save=False)
    done.save()
    buddy_executive = (
        User.objects.filter(role=User.Role.TRUST_EXECUTIVE, trust__buddy_roles__isnull=False)
        .exclude(username="executive")
        .order_by("pk")
        .first()
    )
    assert buddy_executive is not None, "the demo has an arrangement with a buddy trust's executive"
    return {
        "regulator": regulator,
        "admin": User.objects.get(username="admin"),
        "executive": User.objects.get(username="executive"),
        "buddy executive": buddy_executive,
    }


def test_no_page_reachable_from_home_or_any_object_fails(demo):
    """One seeded demo for every persona (seeding takes longer than a persona's crawl)."""
    failures: list[str] = []
    for persona, user in demo.items():
        found, visited = crawl(user, extra=object_urls(user))
        assert visited > 50, f"the crawl as {persona} reached only {visited} pages"
        failures += found

    by_shape: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    for failure in failures:
        by_shape.setdefault(_shape(failure.split(" ")[1]), []).append(failure)
    report = [
        line
        for lines in by_shape.values()
        for line in [*lines[:3], *([f"  ... and {len(lines) - 3} more like it"] if len(lines) > 3 else [])]
    ]
    assert not failures, "Pages that failed:\n" + "\n".join(report)
