from __future__ import annotations

from typing import TYPE_CHECKING

from django.apps import AppConfig

if TYPE_CHECKING:
    from buddying.models import User
    from buddying.worklist import WorkItem


class MatchingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "matching"
    verbose_name = "Matching"

    def seed_demo(self, *, seed: int) -> None:
        """Called by `manage.py seed_demo` after the registry is created (see buddying.demo)."""
        from matching.demo import demo_matching_create

        demo_matching_create(seed=seed)

    def worklist(self, user: User) -> list[WorkItem]:
        """Pool work, soundings and invitations to apply waiting for this person (buddying.worklist asks every app)."""
        from matching import readiness_selectors, sounding_selectors
        from matching.selectors import worklist

        return [*worklist(user), *sounding_selectors.worklist(user), *readiness_selectors.worklist(user)]
