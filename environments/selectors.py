from environments.models import ApiKey, Environment


def api_key_list():
    """Keys of the environment in scope, newest first, with their creators."""
    return ApiKey.objects.select_related("created_by").order_by("revoked_at", "-created_at")


def api_key_get(*, pk: int) -> ApiKey:
    return ApiKey.objects.select_related("environment__organization").get(pk=pk)


def root_environment_of(organization) -> Environment | None:
    """The head of the chain, where content is edited (Development in a new organization)."""
    return organization.environments.filter(upstream__isnull=True).order_by("created_at").first()
