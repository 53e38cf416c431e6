"""Who may write what, where: the one place that decides.

Four questions, each answered once with its message:

- ``Write.CONTENT``: edit promotable content (workflows, layouts, brand…) in this environment.
  Only where the environment has no upstream, and only admins and editors.
- ``Write.RUNTIME``: write runtime data (subscribers, topics, triggers). An API key of the
  environment writes it in every environment, Production included. In the dashboard, admins
  and editors write test data only where content is edited: a read-only environment's runtime
  data comes from its own backend.
- ``Write.SETTINGS``: change environment-local settings (API keys, integrations). Every
  environment; admins, or an API key of the environment.
- ``Write.MEMBERS``: manage the organization's members. Admins only; never an API key.
- ``Write.PROMOTION``: promote this environment's changes into its downstream. Admins and
  editors, or an API key of the source environment; the environment needs a downstream.

An actor is a signed-in member (a ``Membership``), an ``ApiKey`` (the API asks the same
questions with the key that authenticated the request, which has no membership), or a
``ClientSession``: a subscriber in a client-side app (the in-app feed), which writes its own
runtime data (seen and read marks, its preferences) in its environment and nothing else.
Views declare the kind of write they do with ``@writes(...)``; the middleware refuses unsafe
methods in a read-only environment for any view that declares nothing; templates read ``may``
from the context processor; services call ``require`` again.
"""

from dataclasses import dataclass
from enum import StrEnum
from functools import wraps

from django.core.exceptions import PermissionDenied

from accounts.models import Membership
from accounts.permissions import MEMBERS_WRITE_KIND, SAFE_METHODS, members_management_refusal


class Write(StrEnum):
    CONTENT = "content"
    RUNTIME = "runtime"
    SETTINGS = "settings"
    PROMOTION = "promotion"
    MEMBERS = MEMBERS_WRITE_KIND
    # A POST that writes nothing (a preview): allowed everywhere, to everyone who may read.
    NOTHING = "nothing"


@dataclass(frozen=True)
class ClientSession:
    """A subscriber acting through a client-side app, admitted by the Application Identifier
    (and the environment's HMAC when it is on). ``subscriber_id`` is the client's own ID."""

    environment_id: object
    subscriber_id: str


class WriteRefused(PermissionDenied):
    """A refusal with the message to show. ``read_only`` tells a read-only environment (the
    operator should go upstream) from a missing role."""

    def __init__(self, message: str, *, read_only: bool = False):
        super().__init__(message)
        self.message = message
        self.read_only = read_only


def read_only_message(environment) -> str:
    return (
        f"{environment.name} is read-only. Make changes in {environment.upstream.name}, "
        "then promote them on the Changes page."
    )


def _role_message(write: Write, environment) -> str:
    organization = environment.organization.name
    if write is Write.SETTINGS:
        return f"Only an admin of {organization} can change {environment.name}'s settings."
    if write is Write.PROMOTION:
        return f"Only an admin or an editor of {organization} can apply changes."
    if write is Write.CONTENT:
        return "Your role can read this content but not change it."
    return f"Only an admin or an editor of {organization} can do this."


def _membership_of(actor, environment) -> Membership | None:
    """The member behind ``actor``: a Membership, or a User of the environment's organization."""
    if isinstance(actor, Membership):
        return actor if actor.organization_id == environment.organization_id else None
    if getattr(actor, "is_authenticated", False):
        return Membership.objects.filter(
            user=actor, organization_id=environment.organization_id
        ).first()
    return None


def _is_api_key_of(actor, environment) -> bool:
    from environments.models import ApiKey

    return isinstance(actor, ApiKey) and actor.environment_id == environment.pk


def _writable_root(environment):
    while environment.upstream_id is not None:
        environment = environment.upstream
    return environment


def refusal(write: Write, *, environment, actor) -> WriteRefused | None:
    """Why ``actor`` may not do a ``write`` in ``environment``, or None when it may.

    ``actor`` is a Membership, a User (its membership is looked up) or an ApiKey.
    """
    if write is Write.NOTHING:
        return None
    if write is Write.CONTENT and environment.is_read_only:
        return WriteRefused(read_only_message(environment), read_only=True)
    if write is Write.PROMOTION and environment.get_downstream() is None:
        return WriteRefused(f"{environment.name} has no downstream environment to promote into.")
    if _is_api_key_of(actor, environment) and write is not Write.MEMBERS:
        return None
    if isinstance(actor, ClientSession):
        if write is Write.RUNTIME and actor.environment_id == environment.pk:
            return None
        return WriteRefused("A client-side session writes only its own subscriber's data.")
    if write is Write.RUNTIME and environment.is_read_only:
        return WriteRefused(
            f"{environment.name}'s runtime data comes from your backend through the API. "
            f"Create test data in {_writable_root(environment).name}.",
            read_only=True,
        )
    membership = _membership_of(actor, environment)
    if write is Write.MEMBERS:
        refused = members_management_refusal(
            membership=membership, organization=environment.organization
        )
        return WriteRefused(refused) if refused else None
    if membership is None:
        return WriteRefused(_role_message(write, environment))
    allowed = membership.is_admin if write is Write.SETTINGS else membership.can_edit
    return None if allowed else WriteRefused(_role_message(write, environment))


def allows(write: Write, *, environment, actor) -> bool:
    return refusal(write, environment=environment, actor=actor) is None


def require(write: Write, *, environment, actor) -> None:
    """Raise ``WriteRefused`` (a PermissionDenied) unless ``actor`` may do ``write`` here."""
    refused = refusal(write, environment=environment, actor=actor)
    if refused is not None:
        raise refused


def refusal_for_request(write: Write, request) -> WriteRefused | None:
    return refusal(write, environment=request.environment, actor=request.membership)


def writes(write: Write, *, page: bool = False):
    """Declare the kind of write a view does, and refuse it on the server.

    Unsafe methods are refused (403, with the policy's message) when the policy says no. With
    ``page=True`` even GET is refused: the page exists only to edit (a form, a confirmation),
    so a read-only environment or a viewer never sees it.
    """

    def decorator(view):
        @wraps(view)
        def guarded(request, *args, **kwargs):
            if page or request.method not in SAFE_METHODS:
                refused = refusal_for_request(write, request)
                if refused is not None:
                    from environments.refusals import write_refusal_response

                    return write_refusal_response(request, refused)
            return view(request, *args, **kwargs)

        guarded.write_kind = write
        return guarded

    return decorator


def declared_write(view) -> Write:
    """The kind of write a view declared; a view that declares nothing writes content, so the
    middleware's read-only guard fails closed."""
    return Write(getattr(view, "write_kind", Write.CONTENT))


@dataclass(frozen=True)
class Permissions:
    """What the request's member may do here, for templates (they only reflect it)."""

    environment: object
    membership: Membership

    @classmethod
    def of(cls, request) -> "Permissions":
        return cls(environment=request.environment, membership=request.membership)

    def _allows(self, write: Write) -> bool:
        return allows(write, environment=self.environment, actor=self.membership)

    @property
    def edit_content(self) -> bool:
        return self._allows(Write.CONTENT)

    @property
    def write_runtime(self) -> bool:
        return self._allows(Write.RUNTIME)

    @property
    def change_settings(self) -> bool:
        return self._allows(Write.SETTINGS)

    @property
    def promote(self) -> bool:
        return self._allows(Write.PROMOTION)

    @property
    def manage_members(self) -> bool:
        return self._allows(Write.MEMBERS)
