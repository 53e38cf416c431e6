"""The organization-level rule: who manages an organization's members.

It lives here, on the ground floor, because the member services need it; the policy module
(``environments.policy``) asks this same function for ``Write.MEMBERS``.
"""

from django.core.exceptions import PermissionDenied

from accounts.models import Membership, Organization


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
