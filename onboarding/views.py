import math

from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_http_methods
from django_ratelimit.core import get_usage

from onboarding.forms import OrganizationForm, SignUpForm
from onboarding.services import SignUp, organization_create, user_sign_up


def _count_against(request, *, group: str, key: str, rate: str) -> TemplateResponse | None:
    """Count this request against ``rate``; over it, the 429 page to answer with instead.

    Called only once a form is valid, so a typo costs nothing. django-ratelimit counts in the
    shared cache, so the limit holds across every web process.
    """
    usage = get_usage(request, group=group, key=key, rate=rate, method="POST", increment=True)
    if usage is None or not usage["should_limit"]:
        return None
    retry_after = max(usage["time_left"], 60)
    response = TemplateResponse(
        request,
        "onboarding/throttled.html",
        {"group": group, "retry_minutes": math.ceil(retry_after / 60)},
        status=429,
    )
    response["Retry-After"] = str(retry_after)
    return response


@require_http_methods(["GET", "POST"])
def signup(request):
    if request.user.is_authenticated and request.method == "GET":
        return redirect("home")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if refused := _count_against(
            request, group="onboarding.signup", key="ip", rate=settings.SIGNUP_RATE_LIMIT
        ):
            return refused
        try:
            result = user_sign_up(**form.cleaned_data)
        except ValidationError as refused:
            form.add_error(None, refused)
            return TemplateResponse(request, "onboarding/signup.html", {"form": form})
        login(request, result.user, backend="django.contrib.auth.backends.ModelBackend")
        # Rendered, not redirected: this response is the one place the new secrets appear.
        response = TemplateResponse(
            request,
            "onboarding/welcome.html",
            {"signup": result, "organization": result.organization},
        )
        response["Cache-Control"] = "no-store"
        return response
    return TemplateResponse(request, "onboarding/signup.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def organization_new(request):
    """Another organization for a signed-in user, with its own environments and keys."""
    form = OrganizationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if refused := _count_against(
            request,
            group="onboarding.organization_new",
            key="user",
            rate=settings.ORGANIZATION_RATE_LIMIT,
        ):
            return refused
        organization, issued_keys = organization_create(
            name=form.cleaned_data["name"], owner=request.user
        )
        created = SignUp(user=request.user, organization=organization, issued_keys=issued_keys)
        response = TemplateResponse(
            request,
            "onboarding/welcome.html",
            {"signup": created, "organization": organization, "new_organization": True},
        )
        response["Cache-Control"] = "no-store"
        return response
    return TemplateResponse(request, "onboarding/organization_new.html", {"form": form})
