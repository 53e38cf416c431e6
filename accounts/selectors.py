from accounts.models import Membership, Organization, User


def member_list(*, organization: Organization):
    return (
        Membership.objects.filter(organization=organization)
        .select_related("user")
        .order_by("user__email")
    )


def member_get(*, organization: Organization, pk: int) -> Membership:
    return Membership.objects.select_related("user", "organization").get(
        organization=organization, pk=pk
    )


def email_has_account(*, email: str) -> bool:
    return User.objects.filter(email__iexact=email.strip()).exists()
