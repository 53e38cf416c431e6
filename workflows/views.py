"""Pages of workflows and their steps. Thin: parse input, call a selector or a service, render.

Read-only environments and viewers get the same pages without edit controls (``can_write`` in
the context). Every view that writes is guarded by ``writable_environment_required`` and
``role_required_for_writes(*EDITORS)``, and its service checks both again.
"""

import json
from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.csp import CSP
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from environments.guards import (
    edit_page,
    environment_local,
    role_required_for_writes,
    writable_environment_required,
)
from environments.permissions import EDITORS
from environments.switcher import switches_by_origin
from workflows import selectors, services
from workflows.forms import (
    FeedForm,
    PreviewForm,
    StepForm,
    WorkflowFilterForm,
    WorkflowForm,
    WorkflowGroupForm,
)
from workflows.liquid import TemplateRenderError
from workflows.models import DEFAULT_GROUP_NAME, Channel, Feed, Step, Workflow, WorkflowGroup
from workflows.previews import (
    EmailDocumentGone,
    email_compose,
    email_document_id,
    email_document_payload,
    step_preview,
    step_sample_payload,
    step_variables,
)

WORKFLOWS_PER_PAGE = 20


def can_write(request) -> bool:
    """Whether to render edit controls. Only a reflection: the server decides on each write."""
    return request.membership.can_edit and not request.environment.is_read_only


def _editor_url(request, workflow) -> str:
    return reverse("workflows:detail", kwargs={**request.environment.url_kwargs, "pk": workflow.pk})


def _workflow_or_404(pk) -> Workflow:
    try:
        return selectors.workflow_get(pk=pk)
    except Workflow.DoesNotExist as missing:
        raise Http404("No such workflow in this environment.") from missing


def _step_or_404(workflow, step_pk) -> Step:
    try:
        return selectors.step_get(workflow=workflow, pk=step_pk)
    except Step.DoesNotExist as missing:
        raise Http404("No such step in this workflow.") from missing


# The list ------------------------------------------------------------------------------------


def workflow_index(request, organization_slug, environment_slug):
    filter_form = WorkflowFilterForm(request.GET or None)
    workflows = selectors.workflow_list(**filter_form.filters())
    page = Paginator(workflows, WORKFLOWS_PER_PAGE).get_page(request.GET.get("page"))
    query = {key: value for key, value in request.GET.items() if key != "page" and value}
    context = {
        "filter_form": filter_form,
        "page": page,
        "query_string": urlencode(query),
        "is_filtered": bool(query),
        "can_write": can_write(request),
    }
    template = "workflows/workflow_list.html"
    if request.htmx and not request.htmx.boosted:
        template += "#results"
    return TemplateResponse(request, template, context)


@writable_environment_required
@role_required_for_writes(*EDITORS)
@edit_page
@require_http_methods(["GET", "POST"])
def workflow_create_view(request, organization_slug, environment_slug):
    form = WorkflowForm(request.POST or None, environment=request.environment)
    if request.method == "POST" and form.is_valid():
        try:
            workflow = services.workflow_create(
                environment=request.environment, actor=request.user, **form.service_fields()
            )
        except ValidationError as invalid:
            form.add_error(None, invalid)
        else:
            messages.success(request, f"Created “{workflow.name}”. Now add its steps.")
            return redirect(_editor_url(request, workflow))
    return TemplateResponse(request, "workflows/workflow_create.html", {"form": form})


# The editor ----------------------------------------------------------------------------------


@dataclass
class StepCard:
    step: Step
    variables: list
    form: StepForm | None = None


def _step_form(step: Step, data=None) -> StepForm:
    return StepForm(
        data,
        channel=step.channel,
        prefix_id=f"step-{step.pk}",
        initial=StepForm.initial_for(step),
    )


def _new_step_form(channel: str, data=None) -> StepForm:
    label = Channel(channel).label
    return StepForm(
        data, channel=channel, prefix_id="new-step", initial={"name": label, "active": True}
    )


def _editor_context(request, workflow, *, editing=None, new_step_form=None, settings_form=None):
    """``editing``: a bound or unbound StepForm for one step, keyed by the step's pk."""
    editing = editing or {}
    cards = [
        StepCard(step=step, variables=step_variables(step), form=editing.get(step.pk))
        for step in selectors.workflow_steps(workflow=workflow)
    ]
    writable = can_write(request)
    if writable and settings_form is None:
        settings_form = WorkflowForm(instance=workflow, environment=request.environment)
    return {
        "workflow": workflow,
        "step_cards": cards,
        "new_step_form": new_step_form,
        "settings_form": settings_form,
        "channels": Channel.choices,
        "can_write": writable,
    }


def _announcing_changes(request, response):
    """After an htmx write, let the sidebar's Changes count refresh itself."""
    if request.htmx and request.method == "POST":
        response["HX-Trigger"] = "changes-updated"
    return response


def _editor_response(request, workflow, *, fragment: str | None = None, status=200, **context):
    template = "workflows/workflow_editor.html"
    if fragment and request.htmx:
        template += f"#{fragment}"
    response = TemplateResponse(
        request, template, _editor_context(request, workflow, **context), status=status
    )
    return _announcing_changes(request, response)


@switches_by_origin(Workflow)
@writable_environment_required
@role_required_for_writes(*EDITORS)
@require_http_methods(["GET", "POST"])
def workflow_detail(request, organization_slug, environment_slug, pk):
    """The editor. POST saves the workflow's settings."""
    workflow = _workflow_or_404(pk)
    if request.method == "GET":
        # htmx asks for the steps alone (the Cancel of a step form).
        return _editor_response(request, workflow, fragment="steps")
    form = WorkflowForm(request.POST, instance=workflow, environment=request.environment)
    if form.is_valid():
        try:
            workflow = services.workflow_update(
                workflow=_workflow_or_404(pk), actor=request.user, **form.service_fields()
            )
        except ValidationError as invalid:
            form.add_error(None, invalid)
        else:
            messages.success(request, "Saved the workflow settings.")
            return redirect(_editor_url(request, workflow))
    # The form's instance holds the rejected values; the page around it shows the stored ones.
    return TemplateResponse(
        request,
        "workflows/workflow_editor.html",
        _editor_context(request, _workflow_or_404(pk), settings_form=form),
    )


@writable_environment_required
@role_required_for_writes(*EDITORS)
@edit_page
@require_http_methods(["GET", "POST"])
def workflow_delete_view(request, organization_slug, environment_slug, pk):
    workflow = _workflow_or_404(pk)
    if request.method == "POST":
        services.workflow_delete(workflow=workflow, actor=request.user)
        messages.success(request, f"Deleted the workflow “{workflow.name}”.")
        return redirect("workflows:index", **request.environment.url_kwargs)
    step_count = workflow.steps.count()
    return TemplateResponse(
        request,
        "workflows/confirm_delete.html",
        {
            "title": f"Delete “{workflow.name}”?",
            "explanation": (
                f"The workflow and its {step_count} step{'s' if step_count != 1 else ''} are "
                f"deleted from {request.environment.name}. Triggers that use the identifier "
                f"“{workflow.identifier}” will fail here. Downstream environments keep their "
                "copy until you promote the deletion."
            ),
            "confirm_label": "Delete workflow",
            "cancel_url": _editor_url(request, workflow),
        },
    )


# Steps ---------------------------------------------------------------------------------------


@writable_environment_required
@role_required_for_writes(*EDITORS)
@edit_page
@require_http_methods(["GET", "POST"])
def step_add(request, organization_slug, environment_slug, pk):
    """GET: the form of a new step of ``?channel=``. POST: create it (at the end)."""
    workflow = _workflow_or_404(pk)
    channel = request.POST.get("channel") or request.GET.get("channel")
    if channel not in Channel.values:
        raise Http404("Choose a channel: in_app, email, chat or sms.")
    form = _new_step_form(channel, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            step = services.step_create(
                workflow=workflow, channel=channel, actor=request.user, **form.service_fields()
            )
        except ValidationError as invalid:
            form.add_error(None, invalid)
        else:
            messages.success(request, f"Added the {step.get_channel_display()} step “{step.name}”.")
            if request.htmx:
                return _editor_response(request, workflow, fragment="steps")
            return redirect(f"{_editor_url(request, workflow)}#step-{step.pk}")
    if request.htmx:
        return _editor_response(request, workflow, fragment="steps", new_step_form=form)
    return TemplateResponse(
        request,
        "workflows/step_form_page.html",
        {"workflow": workflow, "form": form, "channel": channel, "step": None},
    )


@writable_environment_required
@role_required_for_writes(*EDITORS)
@edit_page
@require_http_methods(["GET", "POST"])
def step_edit(request, organization_slug, environment_slug, pk, step_pk):
    workflow = _workflow_or_404(pk)
    step = _step_or_404(workflow, step_pk)
    form = _step_form(step, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.step_update(step=step, actor=request.user, **form.service_fields())
        except ValidationError as invalid:
            form.add_error(None, invalid)
        else:
            messages.success(request, f"Saved the step “{step.name}”.")
            if request.htmx:
                return _editor_response(request, workflow, fragment="steps")
            return redirect(f"{_editor_url(request, workflow)}#step-{step.pk}")
    if request.htmx:
        return _editor_response(request, workflow, fragment="steps", editing={step.pk: form})
    return TemplateResponse(
        request,
        "workflows/step_form_page.html",
        {"workflow": workflow, "form": form, "channel": step.channel, "step": step},
    )


@writable_environment_required
@role_required_for_writes(*EDITORS)
@require_POST
def step_move_view(request, organization_slug, environment_slug, pk, step_pk):
    workflow = _workflow_or_404(pk)
    step = _step_or_404(workflow, step_pk)
    try:
        services.step_move(
            step=step, direction=request.POST.get("direction", ""), actor=request.user
        )
    except ValidationError as invalid:
        messages.error(request, " ".join(invalid.messages))
    if request.htmx:
        return _editor_response(request, workflow, fragment="steps")
    return redirect(f"{_editor_url(request, workflow)}#step-{step.pk}")


@writable_environment_required
@role_required_for_writes(*EDITORS)
@edit_page
@require_http_methods(["GET", "POST"])
def step_delete_view(request, organization_slug, environment_slug, pk, step_pk):
    workflow = _workflow_or_404(pk)
    step = _step_or_404(workflow, step_pk)
    if request.method == "POST":
        services.step_delete(step=step, actor=request.user)
        messages.success(request, f"Removed the step “{step.name}”.")
        if request.htmx:
            return _editor_response(request, workflow, fragment="steps")
        return redirect(_editor_url(request, workflow))
    return TemplateResponse(
        request,
        "workflows/confirm_delete.html",
        {
            "title": f"Remove the step “{step.name}”?",
            "explanation": f"It is removed from “{workflow.name}”; the other steps keep "
            "their order.",
            "confirm_label": "Remove step",
            "cancel_url": _editor_url(request, workflow),
        },
    )


# Preview -------------------------------------------------------------------------------------


def _preview_context(request, workflow, step) -> dict:
    """GET renders the step's sample payload; POST renders the operator's."""
    posted = request.method == "POST"
    form = PreviewForm(request.POST if posted else None, field_id=f"payload-{step.pk}")
    context = {"workflow": workflow, "step": step, "variables": step_variables(step), "form": form}
    if not posted:
        payload = step_sample_payload(step)
        form.initial["payload"] = json.dumps(payload, indent=2)
    elif form.is_valid():
        payload = form.cleaned_data["payload"]
    else:
        return context
    context["preview"] = step_preview(step=step, payload=payload)
    if step.channel == Channel.EMAIL and context["preview"].problem is None:
        document_id = email_document_id(
            environment=request.environment,
            step=step,
            user=request.user,
            payload_source=form.payload_source if posted else None,
        )
        context["email_document_url"] = reverse(
            "workflows:email_document",
            kwargs={
                **request.environment.url_kwargs,
                "pk": workflow.pk,
                "step_pk": step.pk,
                "document_id": document_id,
            },
        )
    return context


# A preview writes no content: it is POSTed only because a payload (up to 100,000 characters)
# does not fit in a URL. So viewers may post it, and read-only environments accept it.
@environment_local
@require_http_methods(["GET", "POST"])
def step_preview_view(request, organization_slug, environment_slug, pk, step_pk):
    """The step rendered with a sample payload (GET) or the operator's payload (POST)."""
    workflow = _workflow_or_404(pk)
    step = _step_or_404(workflow, step_pk)
    context = _preview_context(request, workflow, step)
    template = "workflows/step_preview.html"
    if request.htmx:
        template += "#preview"
    return TemplateResponse(request, template, context)


# The composed email is the operator's own HTML: it may style itself inline, but it runs no
# script, loads nothing but images, and may only be framed by Herald's own pages.
EMAIL_DOCUMENT_CSP = {
    "default-src": [CSP.NONE],
    "style-src": [CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:", "https:"],
    "font-src": [CSP.SELF, "data:", "https:"],
    "frame-ancestors": [CSP.SELF],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.NONE],
    # Opened directly rather than in the preview frame, the document is still a sandbox.
    "sandbox": True,
}


def _email_document_message(text: str, *, status: int = 200) -> HttpResponse:
    # Shown inside the preview frame, which has no stylesheet of Herald's: plain text reads best.
    return HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")


@require_GET
@xframe_options_sameorigin
@csp_override(EMAIL_DOCUMENT_CSP)
def step_email_document(request, organization_slug, environment_slug, pk, step_pk, document_id):
    """The composed email of an email step (layout and brand applied), for the preview frame.

    ``document_id`` names the payload the preview stored; see ``email_document_id``.
    """
    try:
        workflow = _workflow_or_404(pk)
        step = _step_or_404(workflow, step_pk)
        if step.channel != Channel.EMAIL:
            raise Http404("Only email steps compose an email document.")
        payload = email_document_payload(
            environment=request.environment,
            step=step,
            user=request.user,
            document_id=document_id,
        )
    except (Http404, EmailDocumentGone) as gone:
        # The site's 404 page may not be framed; this message may.
        return _email_document_message(str(gone), status=404)
    try:
        document = email_compose(step=step, payload=payload)
    except TemplateRenderError as failure:
        return _email_document_message(f"The email cannot be rendered: {failure}")
    return HttpResponse(document, content_type="text/html; charset=utf-8")


# Groups --------------------------------------------------------------------------------------


def _group_or_404(pk):
    try:
        return selectors.workflow_group_get(pk=pk)
    except WorkflowGroup.DoesNotExist as missing:
        raise Http404("No such group in this environment.") from missing


def _group_page(request, *, form=None, status=200):
    writable = can_write(request)
    if writable and form is None:
        form = WorkflowGroupForm()
    context = {"groups": selectors.workflow_group_list(), "form": form, "can_write": writable}
    template = "workflows/group_list.html"
    if request.htmx and request.method == "POST":
        template += "#group_section"
    return _announcing_changes(request, TemplateResponse(request, template, context, status=status))


def workflow_group_index(request, organization_slug, environment_slug):
    return _group_page(request)


@writable_environment_required
@role_required_for_writes(*EDITORS)
@require_POST
def workflow_group_create_view(request, organization_slug, environment_slug):
    form = WorkflowGroupForm(request.POST)
    if form.is_valid():
        try:
            group = services.workflow_group_create(
                environment=request.environment, name=form.cleaned_data["name"], actor=request.user
            )
        except ValidationError as invalid:
            form.add_error(None, invalid)
        else:
            messages.success(request, f"Created the group “{group.name}”.")
            if request.htmx:
                return _group_page(request, form=WorkflowGroupForm())
            return redirect("workflow_groups:index", **request.environment.url_kwargs)
    return _group_page(request, form=form)


@writable_environment_required
@role_required_for_writes(*EDITORS)
@edit_page
@require_http_methods(["GET", "POST"])
def workflow_group_edit(request, organization_slug, environment_slug, pk):
    group = _group_or_404(pk)
    # A bound ModelForm writes the submitted values onto its instance while validating: the
    # title and the service get the group as it is stored.
    title = f"Edit the group “{group.name}”"
    form = WorkflowGroupForm(request.POST or None, instance=_group_or_404(pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.workflow_group_update(
                group=group, name=form.cleaned_data["name"], actor=request.user
            )
        except ValidationError as invalid:
            form.add_error(None, invalid)
        else:
            messages.success(request, "Saved the group.")
            return redirect("workflow_groups:index", **request.environment.url_kwargs)
    return TemplateResponse(
        request,
        "workflows/simple_form.html",
        {
            "title": title,
            "form": form,
            "submit_label": "Save group",
            "cancel_url": reverse("workflow_groups:index", kwargs=request.environment.url_kwargs),
        },
    )


@writable_environment_required
@role_required_for_writes(*EDITORS)
@edit_page
@require_http_methods(["GET", "POST"])
def workflow_group_delete_view(request, organization_slug, environment_slug, pk):
    group = _group_or_404(pk)
    refusal = None
    if request.method == "POST":
        try:
            services.workflow_group_delete(group=group, actor=request.user)
        except ValidationError as refused:
            refusal = " ".join(refused.messages)
        else:
            messages.success(request, f"Deleted the group “{group.name}”.")
            return redirect("workflow_groups:index", **request.environment.url_kwargs)
    users = selectors.workflows_using_group(group=group)
    return TemplateResponse(
        request,
        "workflows/confirm_delete.html",
        {
            "title": f"Delete the group “{group.name}”?",
            "explanation": "Groups only organise workflows; deleting an unused one changes "
            "nothing else.",
            "refusal": refusal,
            "blockers": users,
            "blockers_intro": f"“{group.name}” is still used by these workflows. Move them to "
            "another group before deleting it:",
            "is_default_group": group.name == DEFAULT_GROUP_NAME,
            "confirm_label": "Delete group",
            "cancel_url": reverse("workflow_groups:index", kwargs=request.environment.url_kwargs),
        },
        status=409 if refusal else 200,
    )


# Feeds ---------------------------------------------------------------------------------------


def _feed_or_404(pk):
    try:
        return selectors.feed_get(pk=pk)
    except Feed.DoesNotExist as missing:
        raise Http404("No such feed in this environment.") from missing


def _feed_page(request, *, form=None, status=200):
    writable = can_write(request)
    if writable and form is None:
        form = FeedForm(environment=request.environment)
    context = {"feeds": selectors.feed_list(), "form": form, "can_write": writable}
    template = "workflows/feed_list.html"
    if request.htmx and request.method == "POST":
        template += "#feed_section"
    return _announcing_changes(request, TemplateResponse(request, template, context, status=status))


def feed_index(request, organization_slug, environment_slug):
    return _feed_page(request)


@writable_environment_required
@role_required_for_writes(*EDITORS)
@require_POST
def feed_create_view(request, organization_slug, environment_slug):
    form = FeedForm(request.POST, environment=request.environment)
    if form.is_valid():
        try:
            feed = services.feed_create(
                environment=request.environment, actor=request.user, **form.cleaned_data
            )
        except ValidationError as invalid:
            form.add_error(None, invalid)
        else:
            messages.success(request, f"Created the feed “{feed.name}”.")
            if request.htmx:
                return _feed_page(request, form=FeedForm(environment=request.environment))
            return redirect("feeds:index", **request.environment.url_kwargs)
    return _feed_page(request, form=form)


@writable_environment_required
@role_required_for_writes(*EDITORS)
@edit_page
@require_http_methods(["GET", "POST"])
def feed_edit(request, organization_slug, environment_slug, pk):
    feed = _feed_or_404(pk)
    # A bound ModelForm writes the submitted values onto its instance while validating: the
    # title and the service get the feed as it is stored.
    title = f"Edit the feed “{feed.name}”"
    form = FeedForm(
        request.POST or None, instance=_feed_or_404(pk), environment=request.environment
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.feed_update(feed=feed, actor=request.user, **form.cleaned_data)
        except ValidationError as invalid:
            form.add_error(None, invalid)
        else:
            messages.success(request, "Saved the feed.")
            return redirect("feeds:index", **request.environment.url_kwargs)
    return TemplateResponse(
        request,
        "workflows/simple_form.html",
        {
            "title": title,
            "form": form,
            "submit_label": "Save feed",
            "cancel_url": reverse("feeds:index", kwargs=request.environment.url_kwargs),
        },
    )


@writable_environment_required
@role_required_for_writes(*EDITORS)
@edit_page
@require_http_methods(["GET", "POST"])
def feed_delete_view(request, organization_slug, environment_slug, pk):
    feed = _feed_or_404(pk)
    refusal = None
    if request.method == "POST":
        try:
            services.feed_delete(feed=feed, actor=request.user)
        except ValidationError as refused:
            refusal = " ".join(refused.messages)
        else:
            messages.success(request, f"Deleted the feed “{feed.name}”.")
            return redirect("feeds:index", **request.environment.url_kwargs)
    return TemplateResponse(
        request,
        "workflows/confirm_delete.html",
        {
            "title": f"Delete the feed “{feed.name}”?",
            "explanation": "Client apps that ask for this feed by its identifier "
            f"(“{feed.identifier}”) will get nothing from {request.environment.name}.",
            "refusal": refusal,
            "blockers": selectors.workflows_using_feed(feed=feed),
            "blockers_intro": f"In-app steps of these workflows post into “{feed.name}”. "
            "Point them at another feed before deleting it:",
            "confirm_label": "Delete feed",
            "cancel_url": reverse("feeds:index", kwargs=request.environment.url_kwargs),
        },
        status=409 if refusal else 200,
    )
