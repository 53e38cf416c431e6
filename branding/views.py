from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from branding.forms import BrandForm, LayoutForm
from branding.models import Layout
from branding.selectors import brand_of_scope, layout_get, layout_list
from branding.services import (
    BRAND_FIELDS,
    brand_update,
    layout_create,
    layout_delete,
    layout_make_default,
    layout_update,
)
from environments.policy import Write, writes
from environments.refusals import refusal_response
from environments.switcher import switches_by_origin


def _apply_errors(form, refused: ValidationError) -> None:
    if hasattr(refused, "error_dict"):
        for field_name, errors in refused.message_dict.items():
            form.add_error(field_name if field_name in form.fields else None, errors)
    else:
        form.add_error(None, refused.messages)


def _layout_or_404(pk) -> Layout:
    try:
        return layout_get(pk=pk)
    except Layout.DoesNotExist as missing:
        raise Http404("No such layout in this environment.") from missing


@require_safe
def layout_index(request, organization_slug, environment_slug):
    context = {"layouts": layout_list()}
    return TemplateResponse(request, "branding/layout_list.html", context)


@writes(Write.CONTENT, page=True)
@require_http_methods(["GET", "POST"])
def layout_new(request, organization_slug, environment_slug):
    form = LayoutForm(request.POST or None, initial={"html": STARTER_LAYOUT_HTML})
    if request.method == "POST" and form.is_valid():
        try:
            layout = layout_create(
                environment=request.environment, actor=request.user, **form.cleaned_data
            )
        except ValidationError as refused:
            _apply_errors(form, refused)
        else:
            messages.success(request, f"Created the layout “{layout.name}”.")
            return redirect("layouts:edit", pk=layout.pk, **request.environment.url_kwargs)
    return TemplateResponse(request, "branding/layout_form.html", {"form": form, "layout": None})


@switches_by_origin(Layout)
@writes(Write.CONTENT)
@require_http_methods(["GET", "POST"])
def layout_edit(request, organization_slug, environment_slug, pk):
    layout = _layout_or_404(pk)
    initial = {
        field: getattr(layout, field) for field in ("name", "identifier", "html", "is_default")
    }
    form = LayoutForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            layout_update(layout=layout, actor=request.user, **form.cleaned_data)
        except ValidationError as refused:
            _apply_errors(form, refused)
        else:
            messages.success(request, f"Saved the layout “{layout.name}”.")
            return redirect("layouts:edit", pk=layout.pk, **request.environment.url_kwargs)
    context = {"form": form, "layout": layout}
    return TemplateResponse(request, "branding/layout_form.html", context)


@writes(Write.CONTENT)
@require_POST
def layout_default(request, organization_slug, environment_slug, pk):
    try:
        layout = layout_make_default(layout=_layout_or_404(pk), actor=request.user)
    except ValidationError as refused:
        return refusal_response(
            request, message=refused.messages[0], status=409, title="Cannot make this the default"
        )
    messages.success(request, f"“{layout.name}” is now the default layout.")
    return redirect("layouts:index", **request.environment.url_kwargs)


@writes(Write.CONTENT, page=True)
@require_http_methods(["GET", "POST"])
def layout_remove(request, organization_slug, environment_slug, pk):
    layout = _layout_or_404(pk)
    if request.method == "POST":
        try:
            layout_delete(layout=layout, actor=request.user)
        except ValidationError as refused:
            return refusal_response(
                request, message=refused.messages[0], status=409, title="Cannot delete this layout"
            )
        messages.success(request, f"Deleted the layout “{layout.name}”.")
        return redirect("layouts:index", **request.environment.url_kwargs)
    return TemplateResponse(request, "branding/layout_delete.html", {"layout": layout})


@writes(Write.CONTENT)
@require_http_methods(["GET", "POST"])
def brand_settings(request, organization_slug, environment_slug):
    brand = brand_of_scope()
    initial = {field: getattr(brand, field) for field in BRAND_FIELDS} if brand else None
    form = BrandForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data.pop("logo")
        remove_logo = form.cleaned_data.pop("remove_logo")
        try:
            brand_update(
                environment=request.environment,
                actor=request.user,
                logo_content=upload.read() if upload else None,
                remove_logo=remove_logo,
                **form.cleaned_data,
            )
        except ValidationError as refused:
            _apply_errors(form, refused)
        else:
            messages.success(request, "Saved the brand settings.")
            return redirect("brand:index", **request.environment.url_kwargs)
    context = {"form": form, "brand": brand}
    return TemplateResponse(request, "branding/brand.html", context)


STARTER_LAYOUT_HTML = """<table role="presentation" width="100%" cellpadding="0" cellspacing="0">
  <tr><td style="padding: 24px; text-align: center;">
    {% if brand.logo_url != "" %}<img src="{{ brand.logo_url }}" alt="" height="40">{% endif %}
  </td></tr>
  <tr><td style="padding: 24px;">{{ content }}</td></tr>
  <tr><td style="padding: 24px; font-size: 12px; color: #777;">
    You receive this email because you have an account with us.
  </td></tr>
</table>
"""
