from dataclasses import dataclass

import pytest
from django.conf import settings
from django.test.utils import override_settings

from accounts.models import Membership, Organization, Role
from environments.models import Environment
from tests.factories import (
    TEST_PASSWORD,
    EnvironmentFactory,
    MembershipFactory,
    OrganizationFactory,
    UserFactory,
)

# A promotable type that only the tests declare (tests/promotable_app): installed for the whole
# run, before the test database is migrated, so its table exists like any app's.
TEST_APPS = ["tests.promotable_app"]
if not set(TEST_APPS) <= set(settings.INSTALLED_APPS):
    override_settings(INSTALLED_APPS=[*settings.INSTALLED_APPS, *TEST_APPS]).enable()


@dataclass
class Tenant:
    """An organization with Development and Production, and one member of each role."""

    organization: Organization
    development: Environment
    production: Environment
    admin: Membership
    editor: Membership
    viewer: Membership

    def url(self, environment: Environment, path: str = "") -> str:
        return f"/{self.organization.slug}/{environment.slug}/{path}"


def make_tenant(name: str) -> Tenant:
    organization = OrganizationFactory(name=name)
    development = EnvironmentFactory(
        organization=organization, name="Development", slug="development"
    )
    production = EnvironmentFactory(
        organization=organization, name="Production", slug="production", upstream=development
    )
    return Tenant(
        organization=organization,
        development=development,
        production=production,
        admin=MembershipFactory(organization=organization, role=Role.ADMIN),
        editor=MembershipFactory(organization=organization, role=Role.EDITOR),
        viewer=MembershipFactory(organization=organization, role=Role.VIEWER),
    )


@pytest.fixture
def tenant(db) -> Tenant:
    return make_tenant("Acme")


@pytest.fixture
def other_tenant(db) -> Tenant:
    """A second organization; tests assert that nothing crosses over to or from it."""
    return make_tenant("Globex")


@pytest.fixture
def login(client):
    """Log the client in as a user (through the real login, so middleware and Axes run)."""

    def log_in(user):
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return log_in


@pytest.fixture
def user(db):
    return UserFactory()


__all__ = ["TEST_PASSWORD"]


@pytest.fixture(autouse=True)
def plain_static_storage(settings):
    """Tests render `{% static %}` without running collectstatic, so no manifest exists."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Real hashers are slow by design; tests hash many passwords and need none of that."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# A fixed key, so tests that store integration credentials need no environment variable.
TEST_FIELD_ENCRYPTION_KEY = "uV3lYzWnRkq0m8cD2b6eFh1jK4pQs7tXw9yA5zB0cE8="


@pytest.fixture(autouse=True)
def field_encryption_keys(settings):
    settings.FIELD_ENCRYPTION_KEYS = [TEST_FIELD_ENCRYPTION_KEY]


@pytest.fixture(autouse=True)
def integration_deliverers():
    """Some tests swap a channel's deliverer for a fake and then unregister it: each test starts
    with the integrations' deliverers, as the app registers them."""
    from integrations.pipeline import deliverers_register

    deliverers_register()
    yield
    deliverers_register()
