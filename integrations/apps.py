from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"

    def ready(self):
        from integrations import checks  # noqa: F401  (registers the system checks)
        from integrations.pipeline import deliverers_register

        deliverers_register()
