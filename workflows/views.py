"""Pages of workflows and their steps. Thin: parse input, call a selector or a service, render.

Read-only environments and viewers get the same pages without edit controls (``may`` in the
context). Every view that writes declares it with ``@writes(Write.CONTENT)``, and its service
asks the policy again.
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

from environments.policy import Permissions, Write, writes
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
from workflows.named_lists import NamedList
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
    }
    template = "workflows/workflow_list.html"
    if request.htmx and not request.htmx.boosted:
        template += "#results"
    return TemplateResponse(request, template, context)


@writes(Write.CONTENT, page=True)
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
    if Permissions.of(request).edit_content and settings_form is None:
        settings_form = WorkflowForm(instance=workflow, environment=request.environment)
    return {
        "workflow": workflow,
        "step_cards": cards,
        "new_step_form": new_step_form,
        "settings_form": settings_form,
        "channels": Channel.choices,
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
@writes(Write.CONTENT)
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


@writes(Write.CONTENT, page=True)
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


@writes(Write.CONTENT, page=True)
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


@writes(Write.CONTENT, page=True)
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


@writes(Write.CONTENT)
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


@writes(Write.CONTENT, page=True)
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
@writes(Write.NOTHING)
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


# Groups and feeds ----------------------------------------------------------------------------


def _group_delete_texts(group, environment):
    return (
        "Groups only organise workflows; deleting an unused one changes nothing else.",
        f"“{group.name}” is still used by these workflows. Move them to another group before "
        "deleting it:",
        {"is_default_group": group.name == DEFAULT_GROUP_NAME},
    )


workflow_groups = NamedList(
    namespace="workflow_groups",
    noun="group",
    model=WorkflowGroup,
    form_class=WorkflowGroupForm,
    template="workflows/group_list.html",
    section="group_section",
    context_name="groups",
    rows=selectors.workflow_group_list,
    create=lambda environment, actor, data: services.workflow_group_create(
        environment=environment, name=data["name"], actor=actor
    ),
    update=lambda group, actor, data: services.workflow_group_update(
        group=group, name=data["name"], actor=actor
    ),
    delete=lambda group, actor: services.workflow_group_delete(group=group, actor=actor),
    blockers=lambda group: selectors.workflows_using_group(group=group),
    delete_texts=_group_delete_texts,
)


def _feed_delete_texts(feed, environment):
    return (
        "Client apps that ask for this feed by its identifier "
        f"(“{feed.identifier}”) will get nothing from {environment.name}.",
        f"In-app steps of these workflows post into “{feed.name}”. Point them at another feed "
        "before deleting it:",
        {},
    )


feeds = NamedList(
    namespace="feeds",
    noun="feed",
    model=Feed,
    form_class=FeedForm,
    template="workflows/feed_list.html",
    section="feed_section",
    context_name="feeds",
    rows=selectors.feed_list,
    create=lambda environment, actor, data: services.feed_create(
        environment=environment, actor=actor, **data
    ),
    update=lambda feed, actor, data: services.feed_update(feed=feed, actor=actor, **data),
    delete=lambda feed, actor: services.feed_delete(feed=feed, actor=actor),
    blockers=lambda feed: selectors.workflows_using_feed(feed=feed),
    delete_texts=_feed_delete_texts,
    needs_environment=True,
)
