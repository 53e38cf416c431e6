"""The Changes page, its actions, and History.

The page lives in the source environment (Development; or Staging, which is read-only for
content but still promotes into Production). So the views declare ``Write.PROMOTION``: it
writes the downstream, and the middleware's read-only guard is about the request's own
environment. Discard, the one action that writes the request's environment, declares
``Write.CONTENT``. The policy is asked here and again in ``changes.services``.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from changes.diff import ChangeSet
from changes.forms import EnvironmentInsertForm
from changes.models import Promotion, PromotionKind
from changes.registry import REGISTRY, promotable_types
from changes.selectors import (
    change_set_for,
    pending_change_count,
    promotion_get,
    promotion_item_comparisons,
    promotion_items,
    promotion_list,
)
from changes.services import (
    ChangeEditedSinceReview,
    PromotionRefused,
    change_discard,
    changes_apply,
    changes_dependencies,
    changes_promote_all,
    environment_insert,
    promotion_plan,
    promotion_revert,
    promotion_revert_check,
)
from environments.policy import Write, writes
from environments.refusals import refusal_response

CHANGES_PER_PAGE = 25
PROMOTIONS_PER_PAGE = 20
PROMOTION_ITEMS_PER_PAGE = 50
PLAN_WARNINGS_SHOWN = 100
CHANGES_UPDATED = "changes-updated"


def _index_url(request, **query) -> str:
    url = reverse("changes:index", kwargs=request.environment.url_kwargs)
    query = {key: value for key, value in query.items() if value}
    return f"{url}?{urlencode(query)}" if query else url


def _entity_url(request, change) -> str | None:
    """Where the entity is edited: its type's URL, with its pk when the pattern takes one."""
    url_name = change.promotable_type.url_name
    if not url_name:
        return None
    state = change.upstream or change.downstream
    environment = request.environment if change.upstream else change.change_set.target
    for kwargs in ({**environment.url_kwargs, "pk": state.pk}, environment.url_kwargs):
        try:
            return reverse(url_name, kwargs=kwargs)
        except NoReverseMatch:
            continue
    return None


def _row_context(request, change, **extra) -> dict:
    """One row with its diff open: a row sent back on its own (the change was edited since
    it was reviewed), or a change's diff (``change_detail``)."""
    change.change_set.prefetch([change])
    dependencies = changes_dependencies(change_set=change.change_set, changes=[change])[
        change.change_id
    ]
    return {
        "row_urls": _row_urls(request),
        "change": change,
        "entity_url": _entity_url(request, change),
        "dependencies": dependencies,
        **extra,
    }


def _row_urls(request) -> dict:
    """The URLs every row posts or links to, reversed once for the page, not per row."""
    kwargs = request.environment.url_kwargs
    return {
        "apply": reverse("changes:apply", kwargs=kwargs),
        "discard": reverse("changes:discard", kwargs=kwargs),
        "detail": reverse("changes:change", kwargs=kwargs),
    }


def _toolbar_context(change_set: ChangeSet | None) -> dict:
    if change_set is None:
        return {"change_set": None, "changes_pending_count": None}
    return {
        "change_set": change_set,
        "counts": change_set.counts(),
        "changes_pending_count": len(change_set),
    }


def _changes_context(request, change_set: ChangeSet | None, *, page: bool = True) -> dict:
    context = {"tab": "changes", **_toolbar_context(change_set)}
    if change_set is None or not page:
        return context
    type_filter = request.GET.get("type", "")
    if type_filter not in REGISTRY:
        type_filter = ""
    # A row shows its summary and how many warnings it has: read from the changes' stored
    # facts, without their documents. Its diff loads when it is opened (``change_detail``).
    rows = change_set.page(type_key=type_filter or None, documents=False)
    page = Paginator(rows, CHANGES_PER_PAGE).get_page(request.GET.get("page"))
    changes = list(page.object_list)
    change_set.prefetch_rows(changes)
    counts_by_type = change_set.counts_by_type()
    row_urls = _row_urls(request)
    context.update(
        type_filter=type_filter,
        page=page,
        rows=[
            {"row_urls": row_urls, "change": change, "entity_url": _entity_url(request, change)}
            for change in changes
        ],
        type_choices=[
            (
                promotable_type.key,
                promotable_type.plural_label,
                counts_by_type.get(promotable_type.key, 0),
            )
            for promotable_type in promotable_types()
        ],
        query_string=urlencode({"type": type_filter}) if type_filter else "",
    )
    return context


@writes(Write.PROMOTION)
@require_GET
def change_index(request, organization_slug, environment_slug):
    change_set = change_set_for(request.environment)
    if request.htmx and request.GET.get("fragment") == "toolbar":
        context = _changes_context(request, change_set, page=False)
        return TemplateResponse(request, "changes/index.html#toolbar", context)
    return TemplateResponse(request, "changes/index.html", _changes_context(request, change_set))


@writes(Write.PROMOTION)
@require_GET
def change_detail(request, organization_slug, environment_slug):
    """One change's warnings and diff: what its row shows when it is opened (by htmx), or a
    page of its own (without JavaScript)."""
    change_set = change_set_for(request.environment)
    change = change_set.get(request.GET.get("change", "")) if change_set is not None else None
    if change is None:
        if request.htmx:
            return TemplateResponse(request, "changes/index.html#change_gone", {})
        raise Http404("This change is not pending.")
    context = {"change_set": change_set, **_row_context(request, change)}
    if request.htmx:
        return TemplateResponse(request, "changes/index.html#change_detail", context)
    return TemplateResponse(request, "changes/change.html", context)


@writes(Write.PROMOTION)
@require_GET
def change_count(request, organization_slug, environment_slug):
    """The sidebar badge alone: loaded by htmx, and again after every apply.

    Never a ``load`` trigger in the answer, or the badge would ask again forever; in the last
    environment, which has nothing to count, the answer is empty and the badge goes away.
    """
    context = {
        "changes_pending_count": pending_change_count(request.environment),
        "changes_count_loaded": True,
    }
    return TemplateResponse(request, "changes/nav.html#count", context)


@writes(Write.PROMOTION)
@require_GET
def change_summary(request, organization_slug, environment_slug):
    """The overview's release card: what is pending downstream, and the last promotion."""
    change_set = change_set_for(request.environment)
    context = {
        "summary_loaded": True,
        "downstream": request.environment.get_downstream(),
        "change_counts": change_set.counts() if change_set is not None else None,
        "changes_pending_count": change_set.total if change_set is not None else None,
        "last_promotion": promotion_list(request.environment).first(),
    }
    return TemplateResponse(request, "changes/overview_card.html#summary", context)


def _row_response(request, change, *, status=200, **extra):
    response = TemplateResponse(
        request,
        "changes/index.html#change_row",
        _row_context(request, change, **extra),
        status=status,
    )
    return response


@writes(Write.PROMOTION)
@require_POST
def change_apply(request, organization_slug, environment_slug):
    change_id = request.POST.get("change_id", "")
    fingerprint = request.POST.get("fingerprint", "")
    try:
        result = changes_apply(
            source=request.environment,
            selection=[(change_id, fingerprint)],
            actor=request.user,
            kind=PromotionKind.APPLY,
        )
    except ChangeEditedSinceReview as stale:
        if request.htmx:
            # The row comes back with the diff as it is now, open, and the reason.
            return _row_response(
                request, stale.changes[0], status=409, stale_message=str(stale), open=True
            )
        return _index_with_refusal(request, message=str(stale), status=409)
    except PromotionRefused as refused:
        return refusal_response(request, message=str(refused), status=409, title="Not applied")

    if not request.htmx:
        _announce(request, result)
        return redirect(_index_url(request))
    if result.dependencies:
        # Other rows on the page were applied too: show the page as it now is. (A redirect,
        # not HX-Refresh, so the message survives to the next page.)
        _announce(request, result)
        return _redirect_after_write(request)
    # One response carries every update: the row, and out of band the sidebar count and the
    # toolbar (counts and Promote all), from one counting query. No event, so nothing else
    # asks for them again.
    context = {
        "result": result,
        "change_id": change_id,
        "oob": True,
        **_toolbar_context(change_set_for(request.environment)),
    }
    return TemplateResponse(request, "changes/applied.html", context)


def _announce(request, result) -> None:
    if result.promotion is None:
        messages.info(request, "Nothing left to apply: those changes were already applied.")
        return
    promotion = result.promotion
    plural = "s" if promotion.change_count != 1 else ""
    text = f"Applied {promotion.change_count} change{plural} to {promotion.target.name}."
    if result.dependencies:
        names = ", ".join(
            f"{REGISTRY[item.type_key].label} “{item.name}”" for item in result.dependencies
        )
        text += f" Also applied: {names}."
    messages.success(request, text)


def _index_with_refusal(request, *, message: str, status: int):
    context = _changes_context(request, change_set_for(request.environment))
    context["refusal_message"] = message
    return TemplateResponse(request, "changes/index.html", context, status=status)


@writes(Write.PROMOTION)
@require_POST
def change_apply_selected(request, organization_slug, environment_slug):
    selection = []
    for value in request.POST.getlist("selected"):
        change_id, _, fingerprint = value.rpartition("|")
        if change_id:
            selection.append((change_id, fingerprint))
    if not selection:
        messages.warning(request, "Select the changes to apply first.")
        return _redirect_after_write(request)
    try:
        result = changes_apply(
            source=request.environment,
            selection=selection,
            actor=request.user,
            kind=PromotionKind.APPLY_SELECTED,
        )
    except PromotionRefused as refused:
        return _index_with_refusal(request, message=str(refused), status=409)
    _announce(request, result)
    return _redirect_after_write(request)


def _redirect_after_write(request, url: str | None = None):
    url = url or _index_url(request)
    if request.htmx:
        response = TemplateResponse(request, "changes/index.html#applied_row", {})
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def _plan_warnings(change_set: ChangeSet, *, refusal: str | None) -> tuple[list, bool]:
    """The first ``PLAN_WARNINGS_SHOWN`` warnings of the pending changes, in plan order, read a
    chunk of changes at a time; and whether there are more (the Changes page shows each row's
    own). A plan of thousands of changes is not read in full to list thousands of warnings."""
    warnings = []
    chunk = PLAN_WARNINGS_SHOWN
    offset = 0
    while len(warnings) <= PLAN_WARNINGS_SHOWN:
        rows = change_set.page_rows(type_key=None, offset=offset, limit=chunk)
        # Warnings are made of the changes' facts, as on the Changes page: no document is
        # loaded once they are stored. Who still uses a deleted entity is said only when the
        # plan is refused.
        changes = change_set.changes_of_rows(rows, documents=False)
        change_set.prefetch_rows(changes)
        if refusal:
            change_set.target_referrers_of(
                [(change.type_key, change.origin_id) for change in changes if not change.upstream]
            )
        for change in changes:
            for warning in change.warnings:
                # Promote all deletes referrers together with what they reference, so "still
                # used" warnings only matter when the plan itself is refused.
                if refusal or warning.kind != "still_referenced":
                    warnings.append((change, warning))
        if len(rows) < chunk:  # the last of them
            break
        offset += chunk
    return warnings[:PLAN_WARNINGS_SHOWN], len(warnings) > PLAN_WARNINGS_SHOWN


def _plan_context(request, change_set: ChangeSet, **extra) -> dict:
    plan = promotion_plan(change_set=change_set)
    warnings, more_warnings = _plan_warnings(change_set, refusal=plan.refusal)
    return {
        "change_set": change_set,
        "plan": plan,
        "writes": plan.writes,
        "plan_refusal": plan.refusal,
        "counts": change_set.counts(),
        "changes_pending_count": len(change_set),
        "warnings": warnings,
        "more_warnings": more_warnings,
        **extra,
    }


@writes(Write.PROMOTION, page=True)
@require_http_methods(["GET", "POST"])
def change_promote_all(request, organization_slug, environment_slug):
    """GET: the plan (the dry run) to confirm. POST: promote every pending change."""
    if request.method == "POST":
        try:
            result = changes_promote_all(
                source=request.environment,
                actor=request.user,
                # Always checked: a form without the reviewed plan's fingerprint is stale.
                expected_fingerprint=request.POST.get("plan_fingerprint", ""),
            )
        except ChangeEditedSinceReview as stale:
            change_set = change_set_for(request.environment)
            context = _plan_context(request, change_set, stale_message=str(stale))
            return TemplateResponse(request, "changes/promote.html", context, status=409)
        except PromotionRefused as refused:
            return refusal_response(request, message=str(refused), status=409, title="Not promoted")
        if result.promotion is None:
            messages.info(request, "Nothing left to promote: the environments are already in sync.")
        else:
            promotion = result.promotion
            messages.success(
                request,
                f"Promoted {promotion.change_count} changes to {promotion.target.name}: "
                f"{promotion.created_count} created, {promotion.updated_count} updated, "
                f"{promotion.deleted_count} deleted.",
            )
        return _redirect_after_write(request)
    change_set = change_set_for(request.environment)
    if change_set is None:
        return redirect(_index_url(request))
    return TemplateResponse(request, "changes/promote.html", _plan_context(request, change_set))


@writes(Write.CONTENT, page=True)
@require_http_methods(["GET", "POST"])
def change_discard_view(request, organization_slug, environment_slug):
    change_id = request.POST.get("change_id") or request.GET.get("change", "")
    if request.method == "POST":
        try:
            promotion = change_discard(
                source=request.environment,
                change_id=change_id,
                fingerprint=request.POST.get("fingerprint", ""),
                actor=request.user,
            )
        except PermissionDenied as refused:
            return refusal_response(request, message=str(refused), status=403)
        except PromotionRefused as refused:
            return _index_with_refusal(request, message=str(refused), status=409)
        names = ", ".join(item.name for item in promotion.items.all())
        messages.success(
            request,
            f"Discarded the change to {names}: {request.environment.name} matches "
            f"{promotion.source.name} again.",
        )
        return _redirect_after_write(request)
    change_set = change_set_for(request.environment)
    change = change_set.get(change_id) if change_set is not None else None
    if change is None:
        messages.info(request, "That change is no longer pending.")
        return redirect(_index_url(request))
    return TemplateResponse(
        request, "changes/discard.html", {"change": change, "change_set": change_set}
    )


@writes(Write.PROMOTION)
@require_GET
def promotion_index(request, organization_slug, environment_slug):
    page = Paginator(promotion_list(request.environment), PROMOTIONS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {
        "page": page,
        "tab": "history",
        "downstream": request.environment.get_downstream(),
    }
    return TemplateResponse(request, "changes/history.html", context)


def _promotion_or_404(request, pk) -> Promotion:
    try:
        return promotion_get(environment=request.environment, pk=pk)
    except Promotion.DoesNotExist as missing:
        raise Http404("No such promotion here.") from missing


@writes(Write.PROMOTION)
@require_GET
def promotion_detail(request, organization_slug, environment_slug, pk):
    promotion = _promotion_or_404(request, pk)
    context = {
        "promotion": promotion,
        **_items_context(request, promotion),
        "revert_refusal": promotion_revert_check(promotion=promotion),
        "tab": "history",
    }
    return TemplateResponse(request, "changes/promotion_detail.html", context)


def _items_context(request, promotion) -> dict:
    """A page of the promotion's items with their diffs: a promotion of thousands of changes
    is read a page at a time."""
    page = Paginator(promotion_items(promotion), PROMOTION_ITEMS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return {
        "page": page,
        "items": promotion_item_comparisons(list(page.object_list), target=promotion.target),
    }


@writes(Write.PROMOTION, page=True)
@require_http_methods(["GET", "POST"])
def promotion_revert_view(request, organization_slug, environment_slug, pk):
    promotion = _promotion_or_404(request, pk)
    if request.method == "POST":
        try:
            revert = promotion_revert(promotion=promotion, actor=request.user)
        except PromotionRefused as refused:
            return refusal_response(request, message=str(refused), status=409, title="Not reverted")
        messages.success(
            request,
            f"Reverted: {promotion.target.name} is back to what it was before that promotion.",
        )
        return _redirect_after_write(
            request,
            reverse(
                "changes:promotion", kwargs={**request.environment.url_kwargs, "pk": revert.pk}
            ),
        )
    context = {
        "promotion": promotion,
        **_items_context(request, promotion),
        "revert_refusal": promotion_revert_check(promotion=promotion),
        "tab": "history",
    }
    return TemplateResponse(request, "changes/promotion_revert.html", context)


@writes(Write.SETTINGS, page=True)
@require_http_methods(["GET", "POST"])
def environment_insert_view(request, organization_slug, environment_slug):
    form = EnvironmentInsertForm(request.POST or None, organization=request.organization)
    if request.method == "POST" and form.is_valid():
        try:
            inserted = environment_insert(
                upstream=form.cleaned_data["upstream"],
                name=form.cleaned_data["name"],
                actor=request.user,
            )
        except PromotionRefused as refused:
            form.add_error(None, str(refused))
        else:
            response = TemplateResponse(
                request, "changes/environment_insert.html", {"inserted": inserted}
            )
            response["Cache-Control"] = "no-store"
            return response
    return TemplateResponse(request, "changes/environment_insert.html", {"form": form})
