from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.models import Membership
from environments.forms import ApiKeyCreateForm, ApiKeyRotateForm, ClientOriginsForm
from environments.models import ApiKey
from environments.policy import Write, writes
from environments.refusals import refusal_response
from environments.secrets import EncryptionKeysMissing
from environments.selectors import (
    api_key_get,
    api_key_list,
    client_origin_list,
    root_environment_of,
)
from environments.services import (
    api_key_create,
    api_key_revoke,
    api_key_rotate,
    client_hmac_disable,
    client_hmac_enable,
    client_hmac_rotate,
    client_origins_set,
)


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


def _api_key_page(request, *, issued=None, hmac_issued=None, origins_form=None, status=200):
    origins = client_origin_list()
    context = {
        "api_keys": api_key_list(),
        "issued": issued,
        "hmac_issued": hmac_issued,
        "client_origins": origins,
        "origins_form": origins_form
        or ClientOriginsForm(initial={"origins": "\n".join(origin.origin for origin in origins)}),
        # Where a backend reaches this Herald; SDKs append /v1 themselves.
        "api_base_url": request.build_absolute_uri("/").rstrip("/"),
    }
    response = TemplateResponse(request, "environments/api_keys.html", context, status=status)
    if issued is not None or hmac_issued is not None:
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


# Client-side apps: HMAC and allowed origins ---------------------------------------------------


@writes(Write.SETTINGS)
@require_POST
def client_origins_update(request, organization_slug, environment_slug):
    form = ClientOriginsForm(request.POST)
    if form.is_valid():
        try:
            saved = client_origins_set(
                environment=request.environment,
                origins=form.origin_list(),
                actor=request.membership,
            )
        except ValidationError as invalid:
            form.add_error("origins", invalid.message_dict.get("origins", invalid.messages))
        else:
            name = request.environment.name
            allowed = ", ".join(saved) if saved else "no origin: browsers cannot call it"
            messages.success(request, f"{name}'s client-side routes allow {allowed}.")
            return redirect("api_keys:index", **request.environment.url_kwargs)
    return _api_key_page(request, origins_form=form, status=400)


def _shown(request, issued):
    """The page shows the request's environment: bring it up to date with the change."""
    request.environment.refresh_from_db(
        fields=["client_hmac_enabled", "client_hmac_secret", "client_hmac_changed_at"]
    )
    return issued


def _keys_missing(request, missing):
    messages.error(request, str(missing))
    return redirect("api_keys:index", **request.environment.url_kwargs)


@writes(Write.SETTINGS)
@require_POST
def client_hmac_enable_view(request, organization_slug, environment_slug):
    try:
        issued = client_hmac_enable(environment=request.environment, actor=request.membership)
    except EncryptionKeysMissing as missing:
        return _keys_missing(request, missing)
    if issued is None:
        messages.success(request, "HMAC is on again, with the secret your backend already has.")
        return redirect("api_keys:index", **request.environment.url_kwargs)
    return _api_key_page(request, hmac_issued=_shown(request, issued))


@writes(Write.SETTINGS, page=True)
@require_http_methods(["GET", "POST"])
def client_hmac_rotate_view(request, organization_slug, environment_slug):
    if request.method == "POST":
        try:
            issued = client_hmac_rotate(environment=request.environment, actor=request.membership)
        except EncryptionKeysMissing as missing:
            return _keys_missing(request, missing)
        return _api_key_page(request, hmac_issued=_shown(request, issued))
    return TemplateResponse(request, "environments/client_hmac_confirm.html", {"action": "rotate"})


@writes(Write.SETTINGS, page=True)
@require_http_methods(["GET", "POST"])
def client_hmac_disable_view(request, organization_slug, environment_slug):
    if request.method == "POST":
        client_hmac_disable(environment=request.environment, actor=request.membership)
        messages.success(request, "HMAC is off: a session needs only the Application Identifier.")
        return redirect("api_keys:index", **request.environment.url_kwargs)
    return TemplateResponse(request, "environments/client_hmac_confirm.html", {"action": "disable"})


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
