from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import LoginView, PasswordResetConfirmView, PasswordResetView
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse_lazy
from django.views.decorators.http import require_http_methods

from accounts.forms import EmailAuthenticationForm, MemberAddForm, MemberRoleForm
from accounts.models import Membership
from accounts.permissions import manages_members
from accounts.selectors import member_get, member_list
from accounts.services import member_add, member_remove, member_role_change
from accounts.throttles import throttle


class HeraldLoginView(LoginView):
    template_name = "accounts/login.html"
    authentication_form = EmailAuthenticationForm
    redirect_authenticated_user = True


class HeraldPasswordResetView(PasswordResetView):
    """Django's reset: it answers every address alike and mails only active accounts. Throttled
    per client address, since each request can send an email."""

    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/email/password_reset.txt"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form):
        if refused := throttle(
            self.request,
            group="accounts.password_reset",
            key="ip",
            rate=settings.PASSWORD_RESET_RATE_LIMIT,
            heading="Too many password resets",
            message="Herald has had as many reset requests from your network as it allows.",
        ):
            return refused
        return super().form_valid(form)


class HeraldPasswordResetConfirmView(PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")


def _membership_or_404(request, pk) -> Membership:
    try:
        return member_get(organization=request.organization, pk=pk)
    except Membership.DoesNotExist as missing:
        raise Http404("No such member.") from missing


@manages_members()
@require_http_methods(["GET", "POST"])
def member_index(request, organization_slug, environment_slug):
    form = MemberAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            added = member_add(
                organization=request.organization, actor=request.user, **form.cleaned_data
            )
        except ValidationError as refused:
            form.add_error("email", refused)
        else:
            messages.success(
                request, f"Added {added.user.email} as {added.get_role_display().lower()}."
            )
            return redirect("members:index", **request.environment.url_kwargs)
    page = Paginator(member_list(organization=request.organization), 50).get_page(
        request.GET.get("page")
    )
    context = {"page": page, "form": form, "role_form": MemberRoleForm()}
    return TemplateResponse(request, "accounts/members.html", context)


@manages_members()
@require_http_methods(["POST"])
def member_role(request, organization_slug, environment_slug, pk):
    membership = _membership_or_404(request, pk)
    form = MemberRoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose admin, editor or viewer.")
    else:
        try:
            member_role_change(
                membership=membership, role=form.cleaned_data["role"], actor=request.user
            )
        except ValidationError as refused:
            messages.error(request, refused.messages[0])
        else:
            messages.success(
                request, f"{membership.user.email} is now {membership.get_role_display().lower()}."
            )
    return redirect("members:index", **request.environment.url_kwargs)


@manages_members(page=True)
@require_http_methods(["GET", "POST"])
def member_remove_view(request, organization_slug, environment_slug, pk):
    membership = _membership_or_404(request, pk)
    if request.method == "POST":
        try:
            member_remove(membership=membership, actor=request.user)
        except ValidationError as refused:
            messages.error(request, refused.messages[0])
        else:
            messages.success(
                request, f"Removed {membership.user.email} from {request.organization.name}."
            )
            if membership.user_id == request.user.pk:
                return redirect("home")
        return redirect("members:index", **request.environment.url_kwargs)
    return TemplateResponse(request, "accounts/member_remove.html", {"member": membership})
