from django.db.models import Prefetch, Q, QuerySet

from changes.comparisons import DocumentComparison, page_diff_budget
from changes.diff import ChangeSet
from changes.models import Promotion, PromotionItem, PromotionKind
from changes.registry import REGISTRY, fingerprint_of, load_environment
from environments.models import Environment


def change_set_for(environment: Environment) -> ChangeSet | None:
    """The pending changes from ``environment`` into its downstream; None for the last one.

    A constant number of queries whatever the number of changes: six per environment.
    """
    target = environment.get_downstream()
    if target is None:
        return None
    return ChangeSet.compute(source=environment, target=target)


def pending_change_count(environment: Environment) -> int | None:
    change_set = change_set_for(environment)
    return None if change_set is None else len(change_set)


def promotion_list(environment: Environment) -> QuerySet[Promotion]:
    """Promotions out of or into ``environment`` (discards are recorded into it), newest first."""
    return (
        Promotion.objects.filter(
            Q(source=environment) | Q(target=environment),
            organization_id=environment.organization_id,
        )
        .select_related("source", "target", "actor", "reverts")
        .prefetch_related("reverted_by")
        .order_by("-created_at", "-pk")
    )


def promotion_get(*, environment: Environment, pk: int) -> Promotion:
    return (
        promotion_list(environment)
        .prefetch_related(Prefetch("items", queryset=PromotionItem.objects.order_by("position")))
        .get(pk=pk)
    )


def promotion_item_comparisons(
    promotion: Promotion,
) -> list[tuple[PromotionItem, DocumentComparison]]:
    """Each item with the diff it applied (prior document → written document).

    Referenced entities are named from the documents of this promotion where possible, else
    from the target's current content, so a deleted group still shows its name.
    """
    items = list(promotion.items.all())
    names = {(item.type_key, str(item.origin_id)): item.name for item in items}
    for type_key, by_origin in load_environment(promotion.target).items():
        for origin_id, state in by_origin.items():
            names.setdefault((type_key, origin_id), state.name)
    # One budget for the page: a promotion of many long changes is bounded as a whole.
    budget = page_diff_budget()
    return [
        (
            item,
            DocumentComparison(
                type_key=item.type_key,
                old=item.prior_document,
                new=item.document,
                names=names,
                budget=budget,
            ),
        )
        for item in items
        if item.type_key in REGISTRY
    ]


# Kinds of promotion that apply changes out of their source: what the API lists as promoted.
APPLYING_KINDS = (PromotionKind.APPLY, PromotionKind.APPLY_SELECTED, PromotionKind.PROMOTE_ALL)


def promoted_item_list(environment: Environment) -> QuerySet[PromotionItem]:
    """Every change applied out of ``environment`` into its downstream, newest first."""
    return (
        PromotionItem.objects.filter(
            promotion__source=environment,
            promotion__organization_id=environment.organization_id,
            promotion__kind__in=APPLYING_KINDS,
        )
        .select_related("promotion__actor")
        .order_by("-promotion__created_at", "-promotion__pk", "position")
    )


def item_fingerprint(item: PromotionItem) -> str:
    """The fingerprint the change had when it was applied (both documents are recorded)."""
    return fingerprint_of(item.document, item.prior_document)


def applied_selection(
    environment: Environment, selection: list[tuple[str, str]]
) -> set[tuple[str, str]]:
    """Which of ``selection`` ((change id, fingerprint)) were applied out of ``environment``
    exactly as given: a later apply is idempotent; a made-up or foreign id is not among them."""
    origins = {change_id.partition(":")[2] for change_id, _fingerprint in selection}
    applied = set()
    for item in promoted_item_list(environment).filter(origin_id__in=origins):
        applied.add((f"{item.type_key}:{item.origin_id}", item_fingerprint(item)))
    return applied & set(selection)


def entity_names(
    *, environments: list[Environment], keys: set[tuple[str, str]]
) -> dict[tuple[str, str], str]:
    """(type key, origin_id) -> name of each of ``keys``, from the first of ``environments``
    that has it: one query per type named, whatever the number of keys."""
    names: dict[tuple[str, str], str] = {}
    wanted: dict[str, set[str]] = {}
    for type_key, origin_id in keys:
        wanted.setdefault(type_key, set()).add(origin_id)
    for environment in reversed(environments):
        for type_key, origin_ids in wanted.items():
            promotable_type = REGISTRY[type_key]
            rows = promotable_type.rows(environment).filter(origin_id__in=origin_ids)
            for row in rows.values("origin_id", *promotable_type.fields):
                names[(type_key, str(row["origin_id"]))] = promotable_type.name_of(row)
    return names
