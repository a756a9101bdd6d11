"""Field-by-field audit trail (django-simple-history) that bulk updates cannot slip past.

simple-history records what `save()` and `delete()` do; `QuerySet.update()` writes no history of its
own. Models with an audit trail use `HistoryKeepingQuerySet`, whose `update()` writes one historical
record for each row it changed, with the signed-in user where there is a request (the history
middleware) and the change reason "Bulk update".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from django.db import models, transaction

if TYPE_CHECKING:
    from buddying.models import User

_M = TypeVar("_M", bound=models.Model)


def mark_change(instance: models.Model, *, by: User | None = None, reason: str | None = None) -> None:
    """Say who makes the next save() of `instance`, and why, in its historical record.

    django-simple-history reads these two attributes of the instance; the history middleware names the
    user only inside a web request, so services name them themselves (also for tasks and commands).
    """
    # The attributes are simple-history's documented hooks, not model fields: the type checker cannot know them.
    if by is not None:
        instance._history_user = by  # type: ignore[attr-defined]
    if reason is not None:
        instance._change_reason = reason  # type: ignore[attr-defined]


class HistoryKeepingQuerySet(models.QuerySet[_M]):
    def update(self, **kwargs: Any) -> int:
        with transaction.atomic(using=self.db):
            # Ids first: the update may change the very fields this queryset filters on.
            ids = list(self.values_list("pk", flat=True))
            changed = super().update(**kwargs)
            if ids:
                rows = list(self.model._default_manager.using(self.db).filter(pk__in=ids))
                self.model.history.bulk_history_create(  # type: ignore[attr-defined]
                    rows, update=True, default_change_reason="Bulk update"
                )
        return changed
