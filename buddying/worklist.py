"""What waits for each person: the home page's worklist.

Each app knows its own work (pool applications in `matching`, arrangements and call-offs in `arrangements`); this
module, which imports neither, asks every app that has a `worklist(user)` method on its AppConfig, as `seed_demo`
asks for demo data.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps

from buddying.models import User


@dataclass(frozen=True)
class WorkItem:
    """One kind of thing waiting: how many, where to act on them, and whether any is overdue."""

    title: str  # e.g. "Pool applications to decide"
    count: int
    url: str
    overdue: bool = False
    detail: str = ""


def worklist_for(user: User) -> list[WorkItem]:
    """Everything waiting for this person, overdue first; kinds with nothing waiting are left out."""
    items: list[WorkItem] = []
    for config in apps.get_app_configs():
        contribute = getattr(config, "worklist", None)
        if contribute is not None:
            items.extend(item for item in contribute(user) if item.count)
    return sorted(items, key=lambda item: (not item.overdue, item.title))
