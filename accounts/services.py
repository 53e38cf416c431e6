from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import Membership, Organization, Role, User
from accounts.permissions import require_members_manager


def _refuse_losing_last_admin(*, membership: Membership) -> None:
    """Raise if ``membership`` is the organization's only admin. Locks the admin rows so two
    concurrent demotions cannot both pass."""
    admins = list(
        Membership.objects.select_for_update()
        .filter(organization_id=membership.organization_id, role=Role.ADMIN)
        .values_list("pk", flat=True)
    )
    if admins == [membership.pk]:
        raise ValidationError(
            f"{membership.user.email} is the last admin of {membership.organization.name}. "
            "Make someone else an admin first."
        )


@transaction.atomic
def member_add(*, organization: Organization, email: str, role: str, actor: User) -> Membership:
    require_members_manager(actor=actor, organization=organization)
    user = User.objects.filter(email__iexact=email.strip()).first()
    if user is None:
        raise ValidationError(
            f"No Herald account uses {email}. Ask them to sign up, then add them here."
        )
    if Membership.objects.filter(organization=organization, user=user).exists():
        raise ValidationError(f"{user.email} is already a member of {organization.name}.")
    return Membership.objects.create(organization=organization, user=user, role=role)


@transaction.atomic
def member_role_change(*, membership: Membership, role: str, actor: User) -> Membership:
    require_members_manager(actor=actor, organization=membership.organization)
    if membership.role == Role.ADMIN and role != Role.ADMIN:
        _refuse_losing_last_admin(membership=membership)
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def member_remove(*, membership: Membership, actor: User) -> None:
    require_members_manager(actor=actor, organization=membership.organization)
    if membership.role == Role.ADMIN:
        _refuse_losing_last_admin(membership=membership)
    membership.delete()
