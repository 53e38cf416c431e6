"""seed_demo leaves pending changes of every action and type, and past promotions; twice is
the same as once."""

from django.core.management import call_command

from accounts.models import Organization
from changes.diff import ChangeSet
from changes.models import Promotion


def demo_state():
    organization = Organization.objects.get(slug="acme")
    development = organization.environments.get(slug="development")
    change_set = ChangeSet.compute(source=development, target=development.get_downstream())
    kinds = {(change.type_key, change.action) for change in change_set.changes}
    return kinds, len(change_set), Promotion.objects.filter(organization=organization).count()


def test_seed_demo_leaves_every_kind_of_change_and_history(db, settings):
    settings.DEBUG = True
    call_command("seed_demo", verbosity=0)
    kinds, count, promotions = demo_state()
    for type_key in ("workflow", "workflow_group", "feed", "layout"):
        for action in ("created", "updated", "deleted"):
            assert (type_key, action) in kinds, (type_key, action)
    assert ("brand", "updated") in kinds
    assert promotions >= 2

    call_command("seed_demo", verbosity=0)
    assert demo_state() == (kinds, count, promotions)
