from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from buddying.permissions import can_see_people, is_regulator_or_admin


def navigation(request: HttpRequest) -> dict[str, Any]:
    """Service navigation links for the signed-in user, with the current one marked."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"navigation_items": []}
    items = []
    if user.is_trust_executive and user.trust_id:
        items.append(("Your trust", reverse("home")))
    else:
        items.append(("Home", reverse("home")))
    items += [("Trusts", reverse("trust-directory")), ("Map", reverse("trust-map"))]
    items.append(("Arrangements", reverse("arrangements:list")))
    # Everyone signed in: an executive's reports hold only their own trust's arrangements.
    items.append(("Reports", reverse("reports:index")))
    items.append(("Superbuddy pool", reverse("matching:framework-list")))
    if is_regulator_or_admin(user):  # the same rule matching.permissions applies to the pages
        items.append(("Matching", reverse("matching:index")))
    if can_see_people(user):
        items.append(("People", reverse("people")))
    if user.is_staff:
        items.append(("Admin", reverse("admin:index")))
    path = request.path
    longest = max((url for _label, url in items if path.startswith(url)), key=len, default=None)
    return {
        "navigation_items": [{"label": label, "url": url, "current": url == longest} for label, url in items],
    }
