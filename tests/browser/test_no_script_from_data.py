"""No script from data runs: script in every text field a person can set, on every page that shows it.

The demo registry (seed_demo) gives trusts, needs, expertise, culture profiles, arrangements with terms
and inputs, the framework pool with applications, and vetoes; the test adds a workstream, a milestone,
a review and a call-off, then writes a script payload into every free-text column of every row. An
executive also renames their trust through the profile form, as the attack in the issue did. Each
persona then opens every kind of page reachable from the navigation, hovers the markers on every map
and the points of every chart, and opens a marker's popup: `window.__xss` is never set, and the
browser reports no Content-Security-Policy violation. This runs under the real policy (no bypass).
"""

from __future__ import annotations

import datetime as dt
import io
import re
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import models
from django.db.models.functions import Cast, Concat
from django.urls import Resolver404, resolve
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.browser.conftest import PASSWORD, sign_in

pytestmark = pytest.mark.django_db(transaction=True)

# Each would set window.__xss if the page ran it: as HTML, in an attribute, as a URL.
PAYLOAD = (
    "javascript:window.__xss=1//<img src=x onerror=window.__xss=1>"
    "\"><script>window.__xss=1</script>'><svg onload=window.__xss=1>"
)
SHORT_PAYLOAD = "<img src=x onerror=window.__xss=1>"
RENAMED = f"Wood Green {SHORT_PAYLOAD}"

# Columns that are identifiers or written only by the service, not free text a person types.
NOT_FREE_TEXT = {
    "ods_code",
    "code",
    "postcode",
    "username",
    "password",
    "email",
    "token_hash",
    "subject_key",
    "url",
    "download_name",
    "error",
    "slug",
    "ended_by_party",
}
OUR_APPS = ("buddying", "matching", "arrangements", "reports")


def _picks_one(argument: str) -> bool:
    """A URL argument that picks one trust, arrangement, run... rather than a kind of page."""
    return argument == "ods_code" or argument.endswith("pk") or argument in {"token", "uidb64"}


# Pages that are not HTML for a person to read, or that change something.
SKIPPED_VIEWS = {"logout", "pack", "export", "export-download", "run-status", "export-status", "run-restart"}

WATCH_FOR_VIOLATIONS = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', function (event) {
  var where = event.sourceFile + ':' + event.lineNumber
  window.__csp.push(event.violatedDirective + ' blocked ' + (event.blockedURI || 'inline') + ' at ' + where)
})
"""


def _free_text_fields(model: type[models.Model]) -> list[models.Field]:
    return [
        field
        for field in model._meta.concrete_fields
        if type(field) in (models.CharField, models.TextField)
        and not field.choices
        and field.name not in NOT_FREE_TEXT
        and (field.max_length is None or field.max_length >= len(SHORT_PAYLOAD) + 8)
    ]


def _our_models() -> list[type[models.Model]]:
    return [
        model
        for app in OUR_APPS
        for model in apps.get_app_config(app).get_models()
        if not model.__name__.startswith("Historical")
    ]


def _make(model: type[models.Model], **given: object) -> models.Model:
    """One row with every required column filled plainly, free text as the payload.

    Built from the model's fields rather than a service's arguments, so the test keeps up as forms and
    services grow new fields.
    """
    names = {field.name for field in model._meta.concrete_fields}
    # Only the columns the model has: a given value for a column it lacks is left out.
    values = {name: value for name, value in given.items() if name in names}
    for field in model._meta.concrete_fields:
        if field.name in values or field.attname in values or field.primary_key:
            continue
        if field in _free_text_fields(model):
            values[field.name] = PAYLOAD[: field.max_length] if field.max_length else PAYLOAD
        elif (
            field.has_default()
            or field.null
            or getattr(field, "auto_now", False)
            or getattr(field, "auto_now_add", False)
        ):
            continue
        elif field.choices:
            values[field.name] = field.choices[0][0]
        elif isinstance(field, models.ForeignKey):
            values[field.name] = field.related_model._default_manager.order_by("pk").first()
        elif isinstance(field, models.DateTimeField):
            values[field.name] = timezone.now()
        elif isinstance(field, models.DateField):
            values[field.name] = timezone.localdate()
        elif isinstance(field, models.BooleanField):
            values[field.name] = False
        elif isinstance(field, (models.IntegerField, models.DecimalField)):
            values[field.name] = 3  # within every 1-to-5 rating and a plausible count
        elif isinstance(field, (models.CharField, models.TextField)):
            values[field.name] = "x"
    return model._default_manager.create(**values)


def _payload_everywhere() -> int:
    """Every free-text column of every row holds a payload (and the row's id, for unique names)."""
    columns = 0
    for model in _our_models():
        for field in _free_text_fields(model):
            text = PAYLOAD if field.max_length is None or field.max_length >= len(PAYLOAD) + 8 else SHORT_PAYLOAD
            model._default_manager.update(
                **{field.name: Concat(models.Value(text + " #"), Cast("pk", models.CharField()))}
            )
            columns += 1
    return columns


@pytest.fixture
def hostile_data(transactional_db):
    call_command("seed_demo", stdout=io.StringIO())
    User = apps.get_model("buddying", "User")
    for user in User.objects.all():
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])

    Arrangement = apps.get_model("arrangements", "Arrangement")
    arrangement = Arrangement.objects.filter(status="active").order_by("pk").first()
    regulator = User.objects.get(username="regulator")
    workstream = _make(apps.get_model("arrangements", "Workstream"), arrangement=arrangement, buddy=None)
    _make(apps.get_model("arrangements", "Milestone"), workstream=workstream)
    review = _make(
        apps.get_model("arrangements", "Review"),
        arrangement=arrangement,
        recorded_by=regulator,
        due_on=timezone.localdate() - dt.timedelta(days=7),
        completed_on=timezone.localdate(),  # complete: every trust reads both sides' answers
        regulator_note_by=regulator,
    )
    # Where each trust answers a review separately, both trusts' answers hold the payload too.
    if "reviewsubmission" in apps.all_models["arrangements"]:
        for party, trust in (("supported", arrangement.supported), ("buddy", arrangement.buddies.first().buddy)):
            _make(
                apps.get_model("arrangements", "ReviewSubmission"),
                review=review,
                trust=trust,
                party=party,
                submitted_by=regulator,
            )
    framework = apps.get_model("matching", "Framework").objects.get(status="live")
    call_off = _make(
        apps.get_model("arrangements", "CallOff"),
        supported=arrangement.supported,
        framework=framework,
        created_by=regulator,
    )
    member = apps.get_model("matching", "PoolApplication").objects.filter(framework=framework).first().trust
    _make(apps.get_model("arrangements", "Invitation"), call_off=call_off, trust=member)

    columns = _payload_everywhere()

    # Matching records trust names in its results: run it after the names hold the payload.
    from matching import services as matching_services

    executive = User.objects.get(username="executive")
    settings = matching_services.match_settings_build()
    shortlist = matching_services.shortlist_run(trust=executive.trust, by=regulator, settings=settings)
    challenged = list(
        apps.get_model("buddying", "Trust").objects.filter(improvement_status="special-measures").order_by("pk")[:3]
    )
    wave = matching_services.wave_run_create(trusts=challenged, by=regulator, settings=settings, run_now=True)

    buddy = apps.get_model("arrangements", "ArrangementBuddy").objects.filter(arrangement=arrangement).first().buddy
    buddy_executive = buddy.executives.order_by("pk").first()
    return {
        "columns": columns,
        "executive": executive,
        "buddy_executive": buddy_executive,
        "framework": framework,
        "shortlist": shortlist,
        "wave": wave,
        "call_off": call_off,
        "arrangement": arrangement,
    }


def _watch(page: Page) -> list[str]:
    """Console errors about the policy, from every page this tab opens."""
    refused: list[str] = []
    page.context.add_init_script(WATCH_FOR_VIOLATIONS)
    page.on(
        "console",
        lambda message: (
            refused.append(f"{page.url}: {message.text}") if "Content Security Policy" in message.text else None
        ),
    )
    return refused


def _what_ran(page: Page, where: str) -> list[str]:
    """A payload that ran, and anything the policy refused (markup from data that would have run)."""
    problems = [f"a payload ran on {where}"] if page.evaluate("window.__xss") is not None else []
    violations = sorted(set(page.evaluate("window.__csp || []")))
    return problems + [f"{where}: refused {violation}" for violation in violations]


def _hover_maps_and_charts(page: Page) -> list[str]:
    """Hover markers (and open one popup) on each map, and sweep each chart; return the tooltips' text."""
    seen: list[str] = []
    for container in page.locator("[data-outline-url]").all():
        expect(container).to_have_attribute("data-markers-drawn", re.compile(r"\d+"))
        markers = container.locator("path.leaflet-interactive")
        for index in range(min(markers.count(), 12)):
            markers.nth(index).hover(force=True)
            tooltip = container.locator(".leaflet-tooltip")
            if tooltip.count():
                seen.append(tooltip.last.inner_text())
        if markers.count():
            markers.first.click(force=True)
            popup = container.locator(".leaflet-popup-content")
            if popup.count():
                seen.append(popup.first.inner_text())
    for canvas in page.locator("canvas[data-chart-ready]").all():
        canvas.scroll_into_view_if_needed()
        box = canvas.bounding_box()
        if not box:
            continue
        for x in range(1, 12):
            for y in range(1, 4):
                page.mouse.move(box["x"] + box["width"] * x / 12, box["y"] + box["height"] * y / 4)
    return seen


def _crawl(page: Page, start_urls: list[str], persona: str, *, follow: bool = True) -> dict[str, list[str]]:
    """Open the start pages and one page of every kind reachable from them; return the pages and tooltips."""
    queue = list(start_urls)
    queued = set(queue)
    kinds_seen: set[tuple] = set()
    visited: list[str] = []
    tooltips: list[str] = []
    problems: list[str] = []
    while queue:
        url = queue.pop(0)
        path = urlsplit(url).path
        try:
            match = resolve(path)
        except Resolver404:
            continue
        # One page of each kind: a tab or a report is a kind of its own, another trust or arrangement is not.
        kind = (match.view_name, tuple(sorted((k, v) for k, v in match.kwargs.items() if not _picks_one(k))))
        if match.url_name in SKIPPED_VIEWS or match.view_name.startswith("admin:"):
            continue
        if kind in kinds_seen and url not in start_urls:
            continue
        kinds_seen.add(kind)
        response = page.goto(url)
        assert response is not None and response.status < 500, (
            f"{persona}: {url} answered {response and response.status}"
        )
        if response.status != 200:
            continue
        visited.append(url)
        tooltips += _hover_maps_and_charts(page)
        problems += _what_ran(page, f"{url} as {persona}")
        if not follow:
            continue
        for href in page.locator("main a[href^='/'], nav a[href^='/']").evaluate_all(
            "links => links.map(link => link.getAttribute('href'))"
        ):
            if href not in queued:
                queued.add(href)
                queue.append(href)
    return {"visited": visited, "tooltips": tooltips, "problems": problems}


def test_script_in_every_text_field_runs_on_no_page(page, new_page, hostile_data, live_server):
    assert hostile_data["columns"] >= 40  # every free-text column of every model holds a payload

    # The attack in the issue: an executive names their trust with markup, through the profile form.
    refused = _watch(page)
    executive = hostile_data["executive"]
    sign_in(page, executive.username)
    page.goto(f"/trusts/{executive.trust.ods_code}/edit/")
    page.get_by_label("Trust name", exact=True).fill(RENAMED)
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(RENAMED)
    problems = _what_ran(page, "the trust profile after renaming")

    arrangement = hostile_data["arrangement"]
    pages_everyone_can_reach = ["/", f"/arrangements/{arrangement.pk}/", "/arrangements/notifications/"]
    executive_pages = _crawl(page, [*pages_everyone_can_reach, f"/trusts/{executive.trust.ods_code}/"], "executive")

    regulator_page = new_page("regulator")
    refused += _watch(regulator_page)
    regulator_start = [
        *pages_everyone_can_reach,
        "/trusts/map/",
        f"/trusts/{executive.trust.ods_code}/",
        f"/matching/runs/{hostile_data['shortlist'].pk}/",
        f"/matching/runs/{hostile_data['wave'].pk}/",
        f"/matching/frameworks/{hostile_data['framework'].pk}/pool/",
        f"/arrangements/call-offs/{hostile_data['call_off'].pk}/",
        "/reports/dashboard/",
    ]
    regulator_pages = _crawl(regulator_page, regulator_start, "regulator")

    buddy_page = new_page(hostile_data["buddy_executive"].username)
    refused += _watch(buddy_page)
    buddy_pages = _crawl(buddy_page, pages_everyone_can_reach, "buddy executive")

    admin_page = new_page("admin")
    refused += _watch(admin_page)
    # Admins see what regulator staff see: their own start pages are enough.
    admin_pages = _crawl(admin_page, ["/", "/trusts/map/", "/reports/dashboard/"], "admin", follow=False)

    for result in (executive_pages, regulator_pages, buddy_pages, admin_pages):
        problems += result["problems"]
    assert not problems, "Script from data, as markup:\n" + "\n".join(problems)

    # The crawl reached the pages that show the data, maps and charts included.
    reached = {urlsplit(url).path for result in (regulator_pages, executive_pages) for url in result["visited"]}
    for expected in regulator_start[3:]:
        assert expected in reached, f"{expected} was not opened"
    assert len(regulator_pages["visited"]) >= 25
    assert executive_pages["visited"] and buddy_pages["visited"] and admin_pages["visited"]

    # The markup was there, shown as text: in the map tooltips and popups, and on the pages.
    tooltips = regulator_pages["tooltips"] + executive_pages["tooltips"]
    assert any(SHORT_PAYLOAD in text for text in tooltips), tooltips[:5]
    regulator_page.goto(f"/trusts/{executive.trust.ods_code}/")
    expect(regulator_page.get_by_role("heading", level=1)).to_contain_text(RENAMED)
    regulator_page.goto(f"/arrangements/call-offs/{hostile_data['call_off'].pk}/")
    expect(regulator_page.locator("main")).to_contain_text("<script>window.__xss=1</script>")

    assert not refused, f"The browser refused something on our pages: {refused}"
