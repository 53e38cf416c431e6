from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.module_loading import autodiscover_modules


class ChangesConfig(AppConfig):
    name = "changes"

    def ready(self):
        # Each app registers its promotable types in its own promotion.py.
        autodiscover_modules("promotion")
        from changes import checks  # noqa: F401  (registers the system checks)
        from changes.documents import content_hashes_after_migrate

        post_migrate.connect(
            content_hashes_after_migrate, sender=self, dispatch_uid="content_hashes_after_migrate"
        )
