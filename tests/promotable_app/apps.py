from django.apps import AppConfig


class PromotableAppConfig(AppConfig):
    """Installed by the tests only (tests/conftest.py): proof that a promotable type is added
    by its model and its promotion.py, with nothing in changes/."""

    name = "tests.promotable_app"
    label = "promotable_app"
