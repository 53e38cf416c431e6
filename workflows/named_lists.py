"""One set of views for the simple named lists of content (workflow groups, feeds).

Like Django admin's ``ModelAdmin``, one class serves every such model: a list page with an
inline create form, an edit page and a delete confirmation. Each list declares only what
differs: its model, form, services, templates and wording.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from environments.policy import Permissions, Write, writes


@dataclass(frozen=True)
class NamedList:
    namespace: str  # URL namespace, e.g. "feeds"
    noun: str  # "feed", in messages and labels
    model: type[Model]
    form_class: type
    template: str  # the list page; its fragment ``section`` is swapped by htmx
    section: str
    context_name: str  # the list's name in the template context
    rows: Callable[[], QuerySet]
    create: Callable  # (environment, actor, cleaned_data) -> entity
    update: Callable  # (entity, actor, cleaned_data) -> entity
    delete: Callable  # (entity, actor) -> None; ValidationError names what blocks it
    blockers: Callable  # (entity) -> the workflows that block a delete
    delete_texts: Callable  # (entity, environment) -> explanation, blockers_intro, extra context
    edit_label: str = "Edit"
    needs_environment: bool = False  # the form validates against the environment's rows

    # Pages -----------------------------------------------------------------------------------

    def _form(self, request, data=None, instance=None):
        kwargs = {"environment": request.environment} if self.needs_environment else {}
        return self.form_class(data, instance=instance, **kwargs)

    def _get_or_404(self, pk):
        try:
            return self.model.objects.get(pk=pk)
        except self.model.DoesNotExist as missing:
            raise Http404(f"No such {self.noun} in this environment.") from missing

    def _index_url(self, request) -> str:
        return reverse(f"{self.namespace}:index", kwargs=request.environment.url_kwargs)

    def _list_page(self, request, *, form=None):
        if Permissions.of(request).edit_content and form is None:
            form = self._form(request)
        context = {self.context_name: self.rows(), "form": form}
        template = self.template
        if request.htmx and request.method == "POST":
            template += f"#{self.section}"
        response = TemplateResponse(request, template, context)
        if request.htmx and request.method == "POST":
            # The sidebar's Changes count refreshes itself after a write.
            response["HX-Trigger"] = "changes-updated"
        return response

    def index(self, request, organization_slug, environment_slug):
        return self._list_page(request)

    def create_view(self, request, organization_slug, environment_slug):
        form = self._form(request, request.POST)
        if form.is_valid():
            try:
                entity = self.create(request.environment, request.user, form.cleaned_data)
            except ValidationError as invalid:
                form.add_error(None, invalid)
            else:
                messages.success(request, f"Created the {self.noun} “{entity.name}”.")
                if request.htmx:
                    return self._list_page(request, form=self._form(request))
                return redirect(self._index_url(request))
        return self._list_page(request, form=form)

    def edit_view(self, request, organization_slug, environment_slug, pk):
        entity = self._get_or_404(pk)
        # A bound ModelForm writes the submitted values onto its instance while validating: the
        # title and the service get the entity as it is stored.
        title = f"Edit the {self.noun} “{entity.name}”"
        form = self._form(request, request.POST or None, instance=self._get_or_404(pk))
        if request.method == "POST" and form.is_valid():
            try:
                self.update(entity, request.user, form.cleaned_data)
            except ValidationError as invalid:
                form.add_error(None, invalid)
            else:
                messages.success(request, f"Saved the {self.noun}.")
                return redirect(self._index_url(request))
        return TemplateResponse(
            request,
            "workflows/simple_form.html",
            {
                "title": title,
                "form": form,
                "submit_label": f"Save {self.noun}",
                "cancel_url": self._index_url(request),
            },
        )

    def delete_view(self, request, organization_slug, environment_slug, pk):
        entity = self._get_or_404(pk)
        refusal = None
        if request.method == "POST":
            try:
                self.delete(entity, request.user)
            except ValidationError as refused:
                refusal = " ".join(refused.messages)
            else:
                messages.success(request, f"Deleted the {self.noun} “{entity.name}”.")
                return redirect(self._index_url(request))
        explanation, blockers_intro, extra = self.delete_texts(entity, request.environment)
        return TemplateResponse(
            request,
            "workflows/confirm_delete.html",
            {
                "title": f"Delete the {self.noun} “{entity.name}”?",
                "explanation": explanation,
                "refusal": refusal,
                "blockers": self.blockers(entity),
                "blockers_intro": blockers_intro,
                "confirm_label": f"Delete {self.noun}",
                "cancel_url": self._index_url(request),
                **extra,
            },
            status=409 if refusal else 200,
        )

    # Routes ----------------------------------------------------------------------------------

    @property
    def urls(self):
        return (
            [
                path("", require_safe(self.index), name="index"),
                path("new/", writes(Write.CONTENT)(require_POST(self.create_view)), name="create"),
                path(
                    "<int:pk>/",
                    writes(Write.CONTENT, page=True)(
                        require_http_methods(["GET", "POST"])(self.edit_view)
                    ),
                    name="edit",
                ),
                path(
                    "<int:pk>/delete/",
                    writes(Write.CONTENT, page=True)(
                        require_http_methods(["GET", "POST"])(self.delete_view)
                    ),
                    name="delete",
                ),
            ],
            self.namespace,
        )
