"""Every environment has Herald's in-app feed integration: new organizations get it at
creation, and the data migration gave it to the environments that existed before."""

from importlib import import_module

from django.apps import apps

from accounts.models import Role
from environments.scoping import environment_scope
from integrations.models import Integration
from onboarding.services import organization_create
from tests.factories import UserFactory

migration = import_module("integrations.migrations.0002_in_app_feed_for_every_environment")


def feeds_of(environment):
    with environment_scope(environment):
        return list(Integration.objects.filter(provider_id="novu"))


def test_a_new_organization_s_environments_have_the_in_app_feed(db):
    organization, _ = organization_create(name="Initech", owner=UserFactory())
    assert organization.memberships.get().role == Role.ADMIN
    for environment in organization.environments.all():
        [feed] = feeds_of(environment)
        assert (feed.channel, feed.active, feed.primary) == ("in_app", True, True)
        assert feed.identifier.startswith("novu-")


def test_the_migration_gives_the_feed_to_environments_without_one(tenant):
    Integration.unscoped_across_environments.filter(environment=tenant.development).delete()
    migration.add_in_app_feed(apps, schema_editor=None)
    migration.add_in_app_feed(apps, schema_editor=None)  # running it again adds nothing
    assert len(feeds_of(tenant.development)) == 1
    assert len(feeds_of(tenant.production)) == 1
