import logging
import smtplib

from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_http_methods

from accounts.selectors import email_has_account
from accounts.throttles import is_over, throttle
from onboarding.forms import OrganizationForm, SignUpFinishForm, SignUpStartForm
from onboarding.services import (
    SIGN_UP_LINK_HOURS,
    SignUp,
    SignUpLinkInvalid,
    organization_create,
    sign_up_link_email,
    sign_up_link_send,
    user_sign_up,
)

logger = logging.getLogger(__name__)


@require_http_methods(["GET", "POST"])
def signup(request):
    """Step one: an email address. The answer is the same whether or not it has an account."""
    if request.user.is_authenticated and request.method == "GET":
        return redirect("home")
    form = SignUpStartForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        if refused := throttle(
            request,
            group="onboarding.signup",
            key="ip",
            rate=settings.SIGNUP_RATE_LIMIT,
            heading="Too many sign-ups",
            message="Herald has had as many sign-ups from your network as it allows for now.",
        ):
            return refused
        # Many clients asking for one inbox: stop mailing it, and say nothing different.
        inbox_flooded = is_over(
            request,
            group="onboarding.signup_recipient",
            key=lambda _group, _request: email,
            rate=settings.SIGNUP_RATE_LIMIT,
        )
        if not inbox_flooded:
            try:
                sign_up_link_send(email=email, base_url=request.build_absolute_uri("/")[:-1])
            except (smtplib.SMTPException, OSError):
                logger.exception("The sign-up email could not be sent.")
                context = {"form": form, "send_failed": True}
                return TemplateResponse(request, "onboarding/signup.html", context, status=503)
        context = {"email": email, "link_hours": SIGN_UP_LINK_HOURS}
        return TemplateResponse(request, "onboarding/signup_sent.html", context)
    return TemplateResponse(request, "onboarding/signup.html", {"form": form})


@require_http_methods(["GET", "POST"])
def signup_finish(request, token):
    """Step two, from the emailed link: a password and an organization, then the keys."""
    try:
        email = sign_up_link_email(token=token)
    except SignUpLinkInvalid as invalid:
        context = {"reason": str(invalid)}
        return TemplateResponse(request, "onboarding/signup_link_invalid.html", context, status=400)
    if email_has_account(email=email):
        # Used twice, or the address signed up through another link meanwhile.
        return TemplateResponse(request, "onboarding/signup_existing.html", {"email": email})
    form = SignUpFinishForm(request.POST if request.method == "POST" else None, email=email)
    if request.method == "POST" and form.is_valid():
        try:
            result = user_sign_up(email=email, **form.cleaned_data)
        except ValidationError as refused:
            form.add_error(None, refused)
        else:
            login(request, result.user, backend="django.contrib.auth.backends.ModelBackend")
            # Rendered, not redirected: this response is the one place the new secrets appear.
            response = TemplateResponse(
                request,
                "onboarding/welcome.html",
                {"signup": result, "organization": result.organization},
            )
            response["Cache-Control"] = "no-store"
            return response
    context = {"form": form, "email": email}
    return TemplateResponse(request, "onboarding/signup_finish.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def organization_new(request):
    """Another organization for a signed-in user, with its own environments and keys."""
    form = OrganizationForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if refused := throttle(
            request,
            group="onboarding.organization_new",
            key="user",
            rate=settings.ORGANIZATION_RATE_LIMIT,
            heading="Too many new organizations",
            message="You have created as many organizations as Herald allows for now.",
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
