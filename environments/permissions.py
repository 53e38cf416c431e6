"""Who may do what. Views check first; services check again, so the API and commands agree."""

from django.core.exceptions import PermissionDenied

from accounts.models import Membership, Organization, Role


def membership_of(*, user, organization: Organization) -> Membership | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return Membership.objects.filter(user=user, organization=organization).first()


def require_role(*, user, organization: Organization, roles: tuple[str, ...]) -> Membership:
    """Return the user's membership, or raise PermissionDenied if its role is not in ``roles``."""
    membership = membership_of(user=user, organization=organization)
    if membership is None or membership.role not in roles:
        names = " or ".join(Role(role).label.lower() for role in roles)
        raise PermissionDenied(f"Only an {names} of {organization.name} can do this.")
    return membership


ADMIN_ONLY = (Role.ADMIN,)
EDITORS = (Role.ADMIN, Role.EDITOR)
