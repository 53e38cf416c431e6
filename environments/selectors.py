from django.db.models import Q
from django.utils import timezone

from environments.models import ApiKey, ClientOrigin, Environment


def api_key_list():
    """Keys of the environment in scope, newest first, with their creators."""
    return ApiKey.objects.select_related("created_by").order_by("revoked_at", "-created_at")


def api_key_usable_list():
    """Keys of the environment in scope that still authenticate, newest first."""
    return (
        ApiKey.objects.filter(revoked_at__isnull=True)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()))
        .order_by("-created_at", "-pk")
    )


def client_origin_list() -> list[ClientOrigin]:
    """Origins the environment in scope allows for client-side apps."""
    return list(ClientOrigin.objects.order_by("origin"))


def api_key_get(*, pk: int) -> ApiKey:
    return ApiKey.objects.select_related("environment__organization").get(pk=pk)


def root_environment_of(organization) -> Environment | None:
    """The head of the chain, where content is edited (Development in a new organization)."""
    return organization.environments.filter(upstream__isnull=True).order_by("created_at").first()


def environment_list_of_organization(*, organization) -> list[Environment]:
    """The organization's environments, upstream first (Development, then what it feeds)."""
    environments = list(Environment.objects.filter(organization=organization))
    by_upstream = {environment.upstream_id: environment for environment in environments}
    ordered, current = [], by_upstream.get(None)
    while current is not None and len(ordered) < len(environments):
        ordered.append(current)
        current = by_upstream.get(current.pk)
    return ordered + [environment for environment in environments if environment not in ordered]
