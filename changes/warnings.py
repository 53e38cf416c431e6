"""Warnings an operator sees on a change before applying it.

- New variables: a workflow change whose templates read variables that the downstream version
  does not. The code that sends them must reach the target first.
- Identifier renamed: triggers that use the old identifier stop matching.
- Deleting something that downstream content still references.
- A workflow with a step of a channel that the target has no active integration for: that step
  will be skipped there.

How many recent triggers carried each new variable comes from a ``TriggerVariableUsage``. Until
activity data exists, ``NoActivityData`` answers nothing and the warning says only what changed;
the activity app can provide a real implementation and set ``trigger_variable_usage`` to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Protocol

from liquid.exceptions import LiquidError

from changes.registry import REGISTRY, Document
from workflows.liquid import template_variables

if TYPE_CHECKING:
    from changes.diff import PendingChange
    from environments.models import Environment

RECENT_TRIGGERS = 100


@dataclass(frozen=True)
class VariableUsage:
    """Of the last ``sampled`` triggers of a workflow in an environment, ``carried`` had it."""

    carried: int
    sampled: int


class TriggerVariableUsage(Protocol):
    def usage(
        self, *, environment: Environment, workflow_identifier: str, variables: list[str]
    ) -> dict[str, VariableUsage]: ...


class NoActivityData:
    """No triggers are recorded yet: nothing to say about them."""

    def usage(self, *, environment, workflow_identifier, variables):
        return {}

    def sampled_workflows(self, *, environment) -> set[str]:
        return set()


trigger_variable_usage: TriggerVariableUsage = NoActivityData()


@dataclass
class ChangeWarning:
    kind: str  # new_variables, identifier_renamed, still_referenced, channel_skipped
    message: str
    variables: list[tuple[str, VariableUsage | None]] = field(default_factory=list)
    referrers: list[str] = field(default_factory=list)
    target_name: str = ""
    old_identifier: str = ""
    new_identifier: str = ""


# Templates up to this length are remembered between requests: the cache then holds at most
# 4096 templates of 5,000 characters (20 MB), where bodies of 50,000 would make it 200 MB.
CACHED_TEMPLATE_LENGTH = 5_000


def _variables_of(source: str) -> frozenset[str]:
    if len(source) > CACHED_TEMPLATE_LENGTH:
        return _parsed_variables(source)
    return _cached_variables(source)


def _parsed_variables(source: str) -> frozenset[str]:
    try:
        return frozenset(template_variables(source))
    except LiquidError:
        # An invalid template is the editor's problem to report; it adds no known variables.
        return frozenset()


_cached_variables = lru_cache(maxsize=4096)(_parsed_variables)


NAMES_SHOWN = 5


def named_list(names: list[str], *, shown: int = NAMES_SHOWN) -> list[str]:
    """The first ``shown`` names, sorted, and "N more" for the rest: a warning about an
    entity that thousands of others use stays one line."""
    names = sorted(names)
    if len(names) <= shown:
        return names
    return [*names[:shown], f"{len(names) - shown:,} more"]


def _templates(document: Document | None, promotable_type) -> dict[str, None]:
    """Every Liquid template of a document, in document order, each once: the type's
    ``template_fields``, in the entity and in each of its parts."""
    if not document:
        return {}
    names = promotable_type.template_fields
    templates = dict.fromkeys(document[name] for name in names if document.get(name))
    if promotable_type.parts is not None:
        for part in document.get(promotable_type.parts.key, []):
            templates.update(dict.fromkeys(part[name] for name in names if part.get(name)))
    return templates


def workflow_variables(document: dict | None) -> set[str]:
    if not document:
        return set()
    variables = set()
    for template in _templates(document, REGISTRY["workflow"]):
        variables |= _variables_of(template)
    return variables


def _channels_delivered_in(change_set) -> set[str]:
    """The channels with an active integration in the target, read once per change set."""
    from integrations.selectors import channels_with_active_integration

    cached = change_set.__dict__.get("_channels_delivered")
    if cached is None:
        cached = change_set.__dict__["_channels_delivered"] = channels_with_active_integration(
            change_set.target
        )
    return cached


def _sampled_workflows(change_set) -> set[str] | frozenset:
    """The workflows of the target with recorded triggers, read once per change set, so a page
    of changes asks about samples only for workflows that have some."""
    cached = change_set.__dict__.get("_sampled_workflows")
    if cached is None:
        sampled = getattr(trigger_variable_usage, "sampled_workflows", None)
        cached = sampled(environment=change_set.target) if sampled else _EVERY_WORKFLOW
        change_set.__dict__["_sampled_workflows"] = cached
    return cached


class _Everything(frozenset):
    def __contains__(self, item) -> bool:
        return True


# An activity source that cannot list its sampled workflows is asked about every one.
_EVERY_WORKFLOW = _Everything()


def channel_warnings(change: PendingChange) -> list[ChangeWarning]:
    from integrations.selectors import channel_noun

    target = change.change_set.target
    steps = change.upstream_document.get("steps", [])
    channels = {step["channel"] for step in steps if step.get("active", True)}
    missing = sorted(channels - _channels_delivered_in(change.change_set)) if channels else []
    return [
        ChangeWarning(
            kind="channel_skipped",
            message=f"{target.name} has no active {channel_noun(channel)} integration: this step "
            "will be skipped there.",
            target_name=target.name,
        )
        for channel in missing
    ]


def added_variables(promotable_type, *, upstream: Document | None, downstream) -> list[str]:
    """Variables the upstream document reads that the downstream one does not.

    Only templates that differ are parsed first: a template on both sides adds nothing. The
    shared ones are parsed only when a variable is left to rule out, so a change to one step of
    a long workflow costs a parse or two, and the variable cache keeps what pages revisit.
    """
    up = _templates(upstream, promotable_type).keys()
    down = _templates(downstream, promotable_type).keys()
    shared = up & down
    candidates = set()
    for template in up - shared:
        candidates |= _variables_of(template)
    for template in down - shared:
        candidates -= _variables_of(template)
    for template in shared:
        if not candidates:
            break
        candidates -= _variables_of(template)
    return sorted(candidates)


def warnings_for(change: PendingChange) -> list[ChangeWarning]:
    warnings = []
    target = change.change_set.target
    promotable_type = change.promotable_type
    upstream, downstream = change.upstream_document, change.downstream_document
    if promotable_type.template_fields and upstream is not None:
        added = added_variables(promotable_type, upstream=upstream, downstream=downstream)
        if added:
            identifier_field = promotable_type.identifier_field
            identifier = (downstream or upstream).get(identifier_field or "", "")
            usage = (
                trigger_variable_usage.usage(
                    environment=target, workflow_identifier=identifier, variables=added
                )
                if identifier in _sampled_workflows(change.change_set)
                else {}
            )
            warnings.append(
                ChangeWarning(
                    kind="new_variables",
                    message=(
                        f"This change adds variables: {', '.join(added)}. Make sure the code "
                        f"that sends them is deployed to {target.name} first."
                    ),
                    variables=[(name, usage.get(name)) for name in added],
                    target_name=target.name,
                )
            )
    identifier = promotable_type.identifier_field
    if (
        identifier
        and upstream is not None
        and downstream is not None
        and upstream.get(identifier) != downstream.get(identifier)
    ):
        consequence = promotable_type.renamed_identifier_consequence.format(
            target=target.name,
            old=downstream[identifier],
            label=promotable_type.label.lower(),
        )
        warnings.append(
            ChangeWarning(
                kind="identifier_renamed",
                message=f"Identifier renamed. {consequence}",
                old_identifier=downstream[identifier],
                new_identifier=upstream[identifier],
                target_name=target.name,
            )
        )
    if upstream is None:
        key = (change.type_key, change.downstream.origin_id)
        referrers = change.change_set.target_referrers_of([key])[key]
        if referrers.total:
            names = [
                f"{REGISTRY[state.type_key].label} “{state.name}”" for state in referrers.first
            ]
            if referrers.total > len(names):
                names.append(f"{referrers.total - len(names):,} more")
            warnings.append(
                ChangeWarning(
                    kind="still_referenced",
                    message=(
                        f"Still used in {target.name} by {', '.join(names)}. Deleting it alone "
                        "is refused; promote it together with the changes that stop using it."
                    ),
                    referrers=names,
                    target_name=target.name,
                )
            )
    if change.type_key == "workflow" and upstream is not None:
        warnings.extend(channel_warnings(change))
    return warnings
