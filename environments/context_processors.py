from django.urls import NoReverseMatch, reverse

from accounts.models import Membership

SCOPE_KWARGS = ("organization_slug", "environment_slug")


def _same_kind_of_page(request, environment) -> str:
    """The URL of the current page in ``environment``, or the closest page that exists there.

    Pages about one object (whose ids differ between environments) fall back to their
    section's index, then to the environment's overview.
    """
    scope = {"organization_slug": request.organization.slug, "environment_slug": environment.slug}
    match = getattr(request, "resolver_match", None)
    candidates = []
    if match is not None:
        if set(match.kwargs) <= set(SCOPE_KWARGS):
            candidates.append(match.view_name)
        if match.namespace:
            candidates.append(f"{match.namespace}:index")
    candidates.append("overview")
    for view_name in candidates:
        try:
            return reverse(view_name, kwargs=scope)
        except NoReverseMatch:
            continue
    return reverse("overview", kwargs=scope)


def environment_shell(request):
    """What the dashboard shell needs: the switchers, and the current scope for templates."""
    environment = getattr(request, "environment", None)
    organization = getattr(request, "organization", None)
    if organization is None:
        return {}
    context = {
        "organization": organization,
        "membership": request.membership,
        "organization_switcher": [
            membership.organization
            for membership in Membership.objects.filter(user=request.user)
            .select_related("organization")
            .order_by("organization__name")
        ],
    }
    if environment is not None:
        environments = list(organization.environments.order_by("created_at"))
        context["environment"] = environment
        context["environment_switcher"] = [
            {
                "environment": candidate,
                "url": _same_kind_of_page(request, candidate),
                "is_current": candidate.pk == environment.pk,
            }
            for candidate in _in_chain_order(environments)
        ]
    return context


def _in_chain_order(environments):
    """Development first, then each environment's downstream in turn."""
    by_upstream = {environment.upstream_id: environment for environment in environments}
    ordered, cursor = [], by_upstream.get(None)
    while cursor is not None and len(ordered) < len(environments):
        ordered.append(cursor)
        cursor = by_upstream.get(cursor.pk)
    ordered += [environment for environment in environments if environment not in ordered]
    return ordered
