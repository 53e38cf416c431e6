from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import Membership, Organization, Role, User
from demo.changes import seed_changes_demo
from demo.content import seed_demo_content
from onboarding.services import organization_create

DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "herald-demo"
DEMO_ORGANIZATION = "Acme"


class Command(BaseCommand):
    help = (
        "Create the demo organization Acme and its content. Idempotent. The demo login "
        f"({DEMO_EMAIL}) is created only when DEBUG is on, or with --force."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="Create the demo login even when DEBUG is off."
        )

    @transaction.atomic
    def handle(self, *args, force=False, **options):
        create_login = settings.DEBUG or force
        user = User.objects.filter(email=DEMO_EMAIL).first()
        if user is None and create_login:
            user = User.objects.create_user(
                email=DEMO_EMAIL, password=DEMO_PASSWORD, name="Dana Demo"
            )
        organization = Organization.objects.filter(slug="acme").first()
        if organization is None:
            if user is None:
                raise CommandError(
                    "The demo organization needs its demo admin. Run with DEBUG=true or --force."
                )
            organization, _ = organization_create(name=DEMO_ORGANIZATION, owner=user)
            self.stdout.write(f"Created the organization {organization.name}.")
        elif user is not None:
            Membership.objects.get_or_create(
                organization=organization, user=user, defaults={"role": Role.ADMIN}
            )
        environments = {
            environment.slug: environment for environment in organization.environments.all()
        }
        seed_demo_content(
            development=environments["development"],
            production=environments["production"],
            actor=user,
        )
        # After demo.content: promotes part of it, then leaves edits pending.
        seed_changes_demo(
            development=environments["development"],
            production=environments["production"],
            actor=user,
        )
        if user is not None:
            self.stdout.write(f"Demo login: {DEMO_EMAIL} / {DEMO_PASSWORD}")
