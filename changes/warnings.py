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

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
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
    text: str = ""
    target_name: str = ""
    old_identifier: str = ""
    new_identifier: str = ""
    # What is read about the target only when the warning is shown, not when a row counts
    # its warnings: how often recent triggers carried each new variable (new_variables), and
    # who still references a deleted entity (still_referenced).
    variables_of: Callable[[], list[tuple[str, VariableUsage | None]]] | None = field(
        default=None, repr=False
    )
    referrers_of: Callable[[], list[str]] | None = field(default=None, repr=False)

    @cached_property
    def variables(self) -> list[tuple[str, VariableUsage | None]]:
        return self.variables_of() if self.variables_of is not None else []

    @cached_property
    def referrers(self) -> list[str]:
        return self.referrers_of() if self.referrers_of is not None else []

    @property
    def message(self) -> str:
        if self.kind == "still_referenced":
            return (
                f"Still used in {self.target_name} by {', '.join(self.referrers)}. Deleting it "
                "alone is refused; promote it together with the changes that stop using it."
            )
        return self.text


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
    channels = set(change.facts.channels)
    missing = sorted(channels - _channels_delivered_in(change.change_set)) if channels else []
    return [
        ChangeWarning(
            kind="channel_skipped",
            text=f"{target.name} has no active {channel_noun(channel)} integration: this step "
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
    """The warnings of ``change``, from its facts (``changes.facts``) and the target as it is:
    no document is read here."""
    warnings = []
    target = change.change_set.target
    promotable_type = change.promotable_type
    facts = change.facts
    if facts.added_variables:
        added = list(facts.added_variables)
        identifier = facts.old_identifier if change.downstream else facts.new_identifier
        warnings.append(
            ChangeWarning(
                kind="new_variables",
                text=(
                    f"This change adds variables: {', '.join(added)}. Make sure the code "
                    f"that sends them is deployed to {target.name} first."
                ),
                variables_of=lambda: _variable_usage(change.change_set, identifier, added),
                target_name=target.name,
            )
        )
    if (
        promotable_type.identifier_field
        and change.upstream is not None
        and change.downstream is not None
        and facts.old_identifier != facts.new_identifier
    ):
        consequence = promotable_type.renamed_identifier_consequence.format(
            target=target.name,
            old=facts.old_identifier,
            label=promotable_type.label.lower(),
        )
        warnings.append(
            ChangeWarning(
                kind="identifier_renamed",
                text=f"Identifier renamed. {consequence}",
                old_identifier=facts.old_identifier,
                new_identifier=facts.new_identifier,
                target_name=target.name,
            )
        )
    if change.upstream is None:
        key = (change.type_key, change.downstream.origin_id)
        if change.change_set.target_referrer_totals([key])[key]:
            warnings.append(
                ChangeWarning(
                    kind="still_referenced",
                    referrers_of=lambda: _referrer_names(change.change_set, key),
                    target_name=target.name,
                )
            )
    if change.type_key == "workflow" and change.upstream is not None:
        warnings.extend(channel_warnings(change))
    return warnings


def _variable_usage(change_set, identifier: str, added: list[str]) -> list:
    usage = (
        trigger_variable_usage.usage(
            environment=change_set.target, workflow_identifier=identifier, variables=added
        )
        if identifier in _sampled_workflows(change_set)
        else {}
    )
    return [(name, usage.get(name)) for name in added]


def _referrer_names(change_set, key) -> list[str]:
    referrers = change_set.target_referrers_of([key])[key]
    names = [f"{REGISTRY[state.type_key].label} “{state.name}”" for state in referrers.first]
    if referrers.total > len(names):
        names.append(f"{referrers.total - len(names):,} more")
    return names
