from django.db.models import Q, QuerySet

from changes.comparisons import DocumentComparison, page_diff_budget
from changes.diff import ChangeSet, entity_names, fingerprint_of, referenced_keys
from changes.documents import content_hash_of
from changes.models import Promotion, PromotionItem, PromotionKind
from changes.registry import REGISTRY
from environments.models import Environment


def change_set_for(environment: Environment) -> ChangeSet | None:
    """The pending changes from ``environment`` into its downstream; None for the last one.

    Lazy: counting them is one query, a page of them a few more, whatever their number. Its
    counts are stored under the environments' change stamps (``changes.stamps``): read paths
    only, as the services count inside their own transactions.
    """
    target = environment.get_downstream()
    if target is None:
        return None
    return ChangeSet(source=environment, target=target, stamped=True)


def pending_change_count(environment: Environment) -> int | None:
    """How many changes are pending downstream, or None for the last one: the sidebar badge.

    One read of both environments' change stamps, which every write path renews; the count
    itself (one query) runs only when either stamp has changed since it was last stored.
    """
    change_set = change_set_for(environment)
    return None if change_set is None else change_set.total


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
    return promotion_list(environment).get(pk=pk)


def promotion_items(promotion: Promotion) -> QuerySet[PromotionItem]:
    return PromotionItem.objects.filter(promotion=promotion).order_by("position")


def promotion_item_comparisons(
    items: list[PromotionItem], *, target: Environment
) -> list[tuple[PromotionItem, DocumentComparison]]:
    """Each item (of one promotion, a page of them) with the diff it applied.

    Referenced entities are named from the items' own documents where possible, else from
    the target's current content (one query per referenced type), so a deleted group still
    shows its name.
    """
    items = [item for item in items if item.type_key in REGISTRY]
    names = {(item.type_key, str(item.origin_id)): item.name for item in items}
    keys = set()
    for item in items:
        keys |= referenced_keys(item.type_key, item.document, item.prior_document)
    names = {**entity_names(environments=[target], keys=keys - set(names)), **names}
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
    """The fingerprint the change had when it was applied: the hash written (stored with the
    item) and the hash of the target's prior document (recorded, so hashed here)."""
    prior = item.prior_document
    return fingerprint_of(item.content_hash, None if prior is None else content_hash_of(prior))


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
