from dataclasses import dataclass
from datetime import timedelta

from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.text import slugify

from accounts.models import Membership, Organization, Role, User
from accounts.selectors import email_has_account
from environments.services import IssuedKey, environment_pair_create
from integrations.services import in_app_integration_ensure
from workflows.services import default_workflow_group_create

# First path segments that belong to Herald itself, never to an organization.
RESERVED_SLUGS = frozenset({"accounts", "static", "media", "api", "v1", "admin", "health", "new"})

SIGN_UP_LINK_HOURS = 24
_SIGN_UP_LINK_SALT = "onboarding.sign_up_link"


class SignUpLinkInvalid(Exception):
    """A sign-up link that was changed, cut short, or is too old. The message says which."""


def sign_up_link_email(*, token: str) -> str:
    """The email address a sign-up link was sent to (only Herald signs with this salt), or
    ``SignUpLinkInvalid``."""
    signer = signing.TimestampSigner(salt=_SIGN_UP_LINK_SALT)
    try:
        payload = signer.unsign_object(token, max_age=timedelta(hours=SIGN_UP_LINK_HOURS))
    except signing.SignatureExpired as expired:
        raise SignUpLinkInvalid(
            f"This link has expired: sign-up links work for {SIGN_UP_LINK_HOURS} hours."
        ) from expired
    except (signing.BadSignature, ValueError) as broken:
        raise SignUpLinkInvalid(
            "This link is incomplete or was changed. Copy the whole link from the email."
        ) from broken
    return payload["email"]


def sign_up_link_send(*, email: str, base_url: str) -> None:
    """Email ``email`` what comes next: a link to finish signing up, or, when the address
    already has an account, the ways to log in. The visitor is told the same in both cases, so
    sign-up does not reveal who has an account; only the owner of the inbox learns which.

    ``base_url`` is the site's address (scheme and host) that links start with. Errors of the
    mail server propagate (``smtplib.SMTPException``, ``OSError``).
    """
    context = {
        "email": email,
        "login_url": base_url + reverse("accounts:login"),
        "password_reset_url": base_url + reverse("accounts:password_reset"),
    }
    if email_has_account(email=email):
        subject = "You already have a Herald account"
        body = render_to_string("onboarding/email/sign_up_existing_account.txt", context)
    else:
        token = signing.TimestampSigner(salt=_SIGN_UP_LINK_SALT).sign_object({"email": email})
        context["finish_url"] = base_url + reverse("onboarding:signup_finish", args=[token])
        context["link_hours"] = SIGN_UP_LINK_HOURS
        subject = "Finish signing up for Herald"
        body = render_to_string("onboarding/email/sign_up_link.txt", context)
    send_mail(subject, body, None, [email])


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
    in_app_integration_ensure(environments=organization.environments.all())
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
            "An account with this email already exists. Log in instead.", code="email_taken"
        ) from clash
    organization, issued_keys = organization_create(name=organization_name, owner=user)
    return SignUp(user=user, organization=organization, issued_keys=issued_keys)
