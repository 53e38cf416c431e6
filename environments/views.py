from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from accounts.models import Membership
from environments.forms import ApiKeyCreateForm, ApiKeyRotateForm
from environments.models import ApiKey
from environments.policy import Write, writes
from environments.refusals import refusal_response
from environments.selectors import api_key_get, api_key_list, root_environment_of
from environments.services import api_key_create, api_key_revoke, api_key_rotate


@login_required
def home(request):
    """Send a signed-in user to the environment they edit in."""
    membership = Membership.objects.filter(user=request.user).select_related("organization").first()
    if membership is None:
        return redirect("onboarding:signup")
    return redirect("organization_home", organization_slug=membership.organization.slug)


def organization_home(request, organization_slug):
    environment = root_environment_of(request.organization)
    if environment is None:
        raise Http404("This organization has no environments.")
    return redirect(
        "overview", organization_slug=organization_slug, environment_slug=environment.slug
    )


@require_safe
def overview(request, organization_slug, environment_slug):
    return TemplateResponse(request, "environments/overview.html", {})


def _api_key_page(request, *, issued=None):
    context = {
        "api_keys": api_key_list(),
        "issued": issued,
        # Where a backend reaches this Herald; SDKs append /v1 themselves.
        "api_base_url": request.build_absolute_uri("/").rstrip("/"),
    }
    response = TemplateResponse(request, "environments/api_keys.html", context)
    if issued is not None:
        # The secret is in this response only. Make the address bar point at the plain list so a
        # reload shows the list, not a resubmitted form.
        list_url = reverse("api_keys:index", kwargs=request.environment.url_kwargs)
        response["HX-Replace-Url"] = list_url
        response["Cache-Control"] = "no-store"
    return response


@writes(Write.SETTINGS)
@require_safe
def api_key_index(request, organization_slug, environment_slug):
    return _api_key_page(request)


@writes(Write.SETTINGS, page=True)
@require_http_methods(["GET", "POST"])
def api_key_new(request, organization_slug, environment_slug):
    form = ApiKeyCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        issued = api_key_create(
            environment=request.environment, name=form.cleaned_data["name"], actor=request.user
        )
        return _api_key_page(request, issued=issued)
    return TemplateResponse(request, "environments/api_key_new.html", {"form": form})


def _key_or_404(pk) -> ApiKey:
    try:
        return api_key_get(pk=pk)
    except ApiKey.DoesNotExist as missing:
        raise Http404("No such key in this environment.") from missing


@writes(Write.SETTINGS, page=True)
@require_http_methods(["GET", "POST"])
def api_key_rotate_view(request, organization_slug, environment_slug, pk):
    api_key = _key_or_404(pk)
    form = ApiKeyRotateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            issued = api_key_rotate(api_key=api_key, grace=form.grace_period(), actor=request.user)
        except PermissionDenied as refused:
            return refusal_response(
                request, message=str(refused), status=409, title="Cannot rotate"
            )
        return _api_key_page(request, issued=issued)
    return TemplateResponse(
        request, "environments/api_key_rotate.html", {"form": form, "api_key": api_key}
    )


@writes(Write.SETTINGS, page=True)
@require_http_methods(["GET", "POST"])
def api_key_revoke_view(request, organization_slug, environment_slug, pk):
    api_key = _key_or_404(pk)
    if request.method == "POST":
        api_key_revoke(api_key=api_key, actor=request.user)
        messages.success(request, f"Revoked \u201c{api_key.name}\u201d ({api_key.prefix}\u2026).")
        return redirect("api_keys:index", **request.environment.url_kwargs)
    return TemplateResponse(request, "environments/api_key_revoke.html", {"api_key": api_key})


def page_not_found(request, exception=None):
    """404. For htmx, a message in the messages area instead of a page swapped into a part."""
    if getattr(request, "htmx", False):
        return refusal_response(
            request,
            message="This no longer exists: it may have been deleted meanwhile. Reload the page.",
            status=404,
            title="Not found",
        )
    return TemplateResponse(request, "404.html", status=404)


def permission_denied(request, exception=None):
    message = str(exception) if exception and str(exception) else "You are not allowed to do this."
    return refusal_response(request, message=message, status=403)
