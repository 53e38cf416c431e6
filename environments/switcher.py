"""The environment switcher: the same page in another environment, or the closest one there."""

from django.urls import NoReverseMatch, reverse

SCOPE_KWARGS = ("organization_slug", "environment_slug")


def switches_by_origin(model):
    """Mark a detail view (``pk`` in its URL) of a promotable ``model``: the switcher then opens
    the same entity in the other environment, matched by ``origin_id``."""

    def decorator(view):
        view.switch_model = model
        return view

    return decorator


def _counterparts(request, environments) -> dict:
    """{environment pk: pk of the current page's entity there}, for origin-matched pages."""
    match = request.resolver_match
    model = getattr(match.func, "switch_model", None) if match else None
    if model is None or "pk" not in match.kwargs:
        return {}
    rows = model.unscoped_across_environments
    origin_id = (
        rows.filter(environment=request.environment, pk=match.kwargs["pk"])
        .values_list("origin_id", flat=True)
        .first()
    )
    if origin_id is None:
        return {}
    return dict(
        rows.filter(origin_id=origin_id, environment__in=environments).values_list(
            "environment_id", "pk"
        )
    )


def _same_kind_of_page(request, environment, counterpart_pk) -> str:
    scope = environment.url_kwargs
    match = getattr(request, "resolver_match", None)
    candidates = []
    if match is not None:
        if counterpart_pk is not None:
            candidates.append((match.view_name, {**scope, "pk": counterpart_pk}))
        if set(match.kwargs) <= set(SCOPE_KWARGS):
            candidates.append((match.view_name, scope))
        if match.namespace:
            candidates.append((f"{match.namespace}:index", scope))
    candidates.append(("overview", scope))
    for view_name, kwargs in candidates:
        try:
            return reverse(view_name, kwargs=kwargs)
        except NoReverseMatch:
            continue
    return reverse("overview", kwargs=scope)


def in_chain_order(environments):
    """Development first, then each environment's downstream in turn."""
    by_upstream = {environment.upstream_id: environment for environment in environments}
    ordered, cursor = [], by_upstream.get(None)
    while cursor is not None and len(ordered) < len(environments):
        ordered.append(cursor)
        cursor = by_upstream.get(cursor.pk)
    ordered += [environment for environment in environments if environment not in ordered]
    return ordered


def environment_switcher(request) -> list[dict]:
    """Each environment of the organization with the URL of this page there.

    Pages about one entity open the same entity (by ``origin_id``) where it exists, else the
    section's index; other pages keep their kind, or fall back to the overview.
    """
    environments = in_chain_order(list(request.organization.environments.order_by("created_at")))
    counterparts = _counterparts(request, environments)
    return [
        {
            "environment": candidate,
            "url": _same_kind_of_page(request, candidate, counterparts.get(candidate.pk)),
            "is_current": candidate.pk == request.environment.pk,
        }
        for candidate in environments
    ]
