from django.apps import AppConfig


class BuddyingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "buddying"
    verbose_name = "Trust registry"

    def worklist(self, user):  # type: ignore[no-untyped-def]
        """Relationships waiting for this executive to confirm (buddying.worklist asks every app)."""
        from buddying.selectors import worklist

        return worklist(user)
