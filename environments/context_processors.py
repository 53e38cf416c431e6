from accounts.models import Membership
from environments.switcher import environment_switcher


def environment_shell(request):
    """What the dashboard shell needs: the switchers, and the current scope for templates."""
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
    environment = getattr(request, "environment", None)
    if environment is not None:
        context["environment"] = environment
        context["environment_switcher"] = environment_switcher(request)
    return context
