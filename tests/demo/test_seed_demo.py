import pytest
from django.core.management import CommandError, call_command

from accounts.models import Membership, Organization, User
from environments.models import Environment


def test_seed_demo_is_idempotent_and_creates_the_login_in_debug(db, settings):
    settings.DEBUG = True
    call_command("seed_demo")
    call_command("seed_demo")
    assert Organization.objects.filter(name="Acme").count() == 1
    user = User.objects.get(email="demo@example.com")
    assert user.check_password("herald-demo")
    assert Membership.objects.get(user=user).role == "admin"
    assert sorted(Environment.objects.values_list("name", flat=True)) == [
        "Development",
        "Production",
    ]


def test_seed_demo_creates_no_login_without_debug_or_force(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--force"):
        call_command("seed_demo")
    assert not User.objects.filter(email="demo@example.com").exists()
    call_command("seed_demo", "--force")
    assert User.objects.filter(email="demo@example.com").exists()
