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

from changes.registry import REGISTRY
from workflows.liquid import template_variables

if TYPE_CHECKING:
    from changes.diff import PendingChange
    from environments.models import Environment

TEMPLATE_FIELDS = ("subject", "body", "cta_url")
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


def workflow_variables(document: dict | None) -> set[str]:
    if not document:
        return set()
    variables = set()
    for step in document.get("steps", []):
        for field_name in TEMPLATE_FIELDS:
            if step.get(field_name):
                variables |= _variables_of(step[field_name])
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


def warnings_for(change: PendingChange) -> list[ChangeWarning]:
    warnings = []
    target = change.change_set.target
    upstream, downstream = change.upstream_document, change.downstream_document
    if change.type_key == "workflow" and upstream is not None:
        added = sorted(workflow_variables(upstream) - workflow_variables(downstream))
        if added:
            identifier = (downstream or upstream)["identifier"]
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
    if (
        upstream is not None
        and downstream is not None
        and "identifier" in upstream
        and upstream["identifier"] != downstream["identifier"]
    ):
        label = change.promotable_type.label.lower()
        consequence = (
            f"{target.name} triggers that use “{downstream['identifier']}” will stop matching."
            if change.type_key == "workflow"
            else f"Code in {target.name} that names the {label} “{downstream['identifier']}” "
            "will stop finding it."
        )
        warnings.append(
            ChangeWarning(
                kind="identifier_renamed",
                message=f"Identifier renamed. {consequence}",
                old_identifier=downstream["identifier"],
                new_identifier=upstream["identifier"],
                target_name=target.name,
            )
        )
    if upstream is None:
        referrers = change.change_set.target_referrers.get((change.type_key, change.origin_id), [])
        if referrers:
            names = [f"{REGISTRY[state.type_key].label} “{state.name}”" for state in referrers]
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
