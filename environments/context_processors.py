from django.utils.functional import SimpleLazyObject

from accounts.models import Membership
from environments.policy import Permissions
from environments.switcher import environment_switcher


def _organizations_of(user):
    return [
        membership.organization
        for membership in Membership.objects.filter(user=user)
        .select_related("organization")
        .order_by("organization__name")
    ]


def environment_shell(request):
    """What the dashboard shell needs: the switchers, and the current scope for templates.

    The switchers are lazy: htmx fragments, which render no shell, cost no queries for them.
    """
    organization = getattr(request, "organization", None)
    if organization is None:
        return {}
    context = {
        "organization": organization,
        "membership": request.membership,
        "organization_switcher": SimpleLazyObject(lambda: _organizations_of(request.user)),
    }
    environment = getattr(request, "environment", None)
    if environment is not None:
        context["environment"] = environment
        context["environment_switcher"] = SimpleLazyObject(lambda: environment_switcher(request))
        # What the member may do here; templates only reflect it, the server decides.
        context["may"] = Permissions.of(request)
    return context
