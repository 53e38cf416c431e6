"""The organization-level rule: who manages an organization's members.

It lives here, on the ground floor, because the member services need it; the policy module
(``environments.policy``) asks this same function for ``Write.MEMBERS``.
"""

from functools import wraps

from django.core.exceptions import PermissionDenied

from accounts.models import Membership, Organization

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
# The value of ``environments.policy.Write.MEMBERS``, which the middleware reads off views.
MEMBERS_WRITE_KIND = "members"


def members_management_refusal(*, membership: Membership | None, organization: Organization):
    """Why ``membership`` may not manage ``organization``'s members, or None when it may."""
    if (
        membership is not None
        and membership.organization_id == organization.pk
        and membership.is_admin
    ):
        return None
    return f"Only an admin of {organization.name} can manage its members."


def require_members_manager(*, actor, organization: Organization) -> None:
    membership = None
    if getattr(actor, "is_authenticated", False):
        membership = Membership.objects.filter(user=actor, organization=organization).first()
    refusal = members_management_refusal(membership=membership, organization=organization)
    if refusal is not None:
        raise PermissionDenied(refusal)


def manages_members(*, page: bool = False):
    """Declare a view that manages the organization's members, and refuse it on the server.

    Unsafe methods (and with ``page=True`` even GET) need an admin. The view's ``write_kind``
    is the policy's ``Write.MEMBERS``: exempt from the read-only guard, since members belong to
    the organization, not to an environment.
    """

    def decorator(view):
        @wraps(view)
        def guarded(request, *args, **kwargs):
            if page or request.method not in SAFE_METHODS:
                refusal = members_management_refusal(
                    membership=request.membership, organization=request.organization
                )
                if refusal is not None:
                    raise PermissionDenied(refusal)
            return view(request, *args, **kwargs)

        guarded.write_kind = MEMBERS_WRITE_KIND
        return guarded

    return decorator
