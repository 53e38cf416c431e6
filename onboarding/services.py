from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.text import slugify

from accounts.models import Membership, Organization, Role, User
from environments.services import IssuedKey, environment_pair_create
from workflows.services import default_workflow_group_create

# First path segments that belong to Herald itself, never to an organization.
RESERVED_SLUGS = frozenset({"accounts", "static", "media", "api", "v1", "admin", "health", "new"})


@dataclass(frozen=True)
class SignUp:
    user: User
    organization: Organization
    issued_keys: list[IssuedKey]


def _unique_organization_slug(name: str) -> str:
    base = slugify(name)[:50] or "organization"
    if base in RESERVED_SLUGS:
        base = f"{base}-org"
    slug, suffix = base, 2
    while Organization.objects.filter(slug=slug).exists():
        slug, suffix = f"{base}-{suffix}", suffix + 1
    return slug


@transaction.atomic
def organization_create(*, name: str, owner: User) -> tuple[Organization, list[IssuedKey]]:
    """An organization with its owner as admin, and Development and Production."""
    organization = Organization.objects.create(name=name, slug=_unique_organization_slug(name))
    Membership.objects.create(organization=organization, user=owner, role=Role.ADMIN)
    issued_keys = environment_pair_create(organization=organization, created_by=owner)
    default_workflow_group_create(environments=organization.environments.all())
    return organization, issued_keys


@transaction.atomic
def user_sign_up(*, email: str, password: str, name: str, organization_name: str) -> SignUp:
    """Create the user, their organization and its environments in one transaction."""
    try:
        with transaction.atomic():
            user = User.objects.create_user(email=email, password=password, name=name)
    except IntegrityError as clash:
        # Two sign-ups with one email raced past the form's check.
        raise ValidationError(
            {"email": "An account with this email already exists. Log in instead."}
        ) from clash
    organization, issued_keys = organization_create(name=organization_name, owner=user)
    return SignUp(user=user, organization=organization, issued_keys=issued_keys)
