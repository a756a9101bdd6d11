from __future__ import annotations

from typing import TYPE_CHECKING

from django.apps import AppConfig

if TYPE_CHECKING:
    from buddying.models import User
    from buddying.worklist import WorkItem


class ArrangementsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "arrangements"
    verbose_name = "Arrangements"

    def seed_demo(self, *, seed: int) -> None:
        """Called by `manage.py seed_demo` after the registry and matching demo data exist."""
        from arrangements.demo import demo_arrangements_create

        demo_arrangements_create(seed=seed)

    def open_buddy_pairs(self) -> list[tuple[int, int]]:
        """(supported id, buddy id) of every open arrangement: matching asks for these through the app registry
        (matching.selectors.open_buddy_pairs) so that it never imports this app."""
        from arrangements.selectors import open_buddy_pairs

        return open_buddy_pairs()

    def past_need_areas(self) -> list[list[str]]:
        """The expertise areas (slugs) each past or present arrangement worked on: pool readiness draws needs from
        these for an at-risk trust with none recorded (matching.readiness_selectors.need_library)."""
        from arrangements.selectors import past_need_areas

        return past_need_areas()

    def worklist(self, user: User) -> list[WorkItem]:
        """Arrangement and call-off work waiting for this person (buddying.worklist asks every app)."""
        from arrangements.selectors import worklist

        return worklist(user)
