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


def require_content_write(*, environment, actor) -> None:
    """Raise PermissionDenied unless ``actor`` may edit promotable content in ``environment``:
    the environment is writable (no upstream) and the actor is an admin or an editor."""
    if environment.is_read_only:
        raise PermissionDenied(
            f"{environment.name} is read-only. Make changes in {environment.upstream.name}, "
            "then promote them on the Changes page."
        )
    require_role(user=actor, organization=environment.organization, roles=EDITORS)
