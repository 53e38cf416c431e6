from django.apps import AppConfig


class EnvironmentsConfig(AppConfig):
    name = "environments"

    def ready(self):
        from environments import (
            checks,  # noqa: F401  (registers the system check)
            cors,  # noqa: F401  (connects the client routes' origin check)
        )
