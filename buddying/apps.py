from django.apps import AppConfig


class BuddyingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "buddying"
    verbose_name = "Trust registry"
