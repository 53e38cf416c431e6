"""Writes of subscribers, their preferences and credentials, and topics.

This is runtime data: an API key of the environment writes it in every environment, Production
included, and members write test data only where content is edited (``Write.RUNTIME``). Every
service asks the policy again, so the dashboard and the API get the same answer. Services run
inside the environment's scope (the request's, or a command's).

Invalid values raise ``ValidationError`` keyed by model field; a conflict (a duplicate topic
key, a topic that still has subscribers) carries ``status = 409`` for the API.
"""

import copy
from dataclasses import dataclass, field

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from environments import policy
from environments.models import Environment
from environments.policy import Write
from subscribers.models import (
    CREDENTIAL_PROVIDER_IDS,
    PREFERENCE_CHANNELS,
    SUBSCRIBER_ID_MAX_LENGTH,
    Subscriber,
    SubscriberCredential,
    SubscriberPreference,
    Topic,
    TopicSubscription,
    is_storable_text,
)
from subscribers.selectors import EffectivePreference, effective_preference
from workflows.models import Workflow

PROFILE_FIELDS = ("email", "first_name", "last_name", "phone", "avatar", "locale", "data")
BULK_MAX = 500
TOPIC_SUBSCRIBERS_PER_CALL = 100
CHANNELS_PER_CALL = 20


def conflict(field_name: str, message: str) -> ValidationError:
    """A ValidationError that the API answers with 409."""
    error = ValidationError({field_name: message}, code="conflict")
    error.status = 409
    return error


@dataclass(frozen=True)
class SubscriberProfile:
    """Profile fields to write. ``None`` leaves a field as it is; ``""`` (``{}`` for ``data``)
    clears it. Novu's clients send ``null`` for every field they were not given."""

    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    avatar: str | None = None
    locale: str | None = None
    data: dict | None = None

    def changes(self) -> dict:
        values = {name: getattr(self, name) for name in PROFILE_FIELDS}
        return {
            name: value.strip() if isinstance(value, str) else value
            for name, value in values.items()
            if value is not None
        }


@dataclass(frozen=True)
class ChannelCredentials:
    """Where ``provider_id`` delivers to a subscriber. ``None`` keeps what is stored; device
    tokens, when given, replace the stored ones."""

    provider_id: str
    webhook_url: str | None = None
    device_tokens: list[str] | None = None
    integration_identifier: str | None = None


def _require(environment: Environment, actor) -> None:
    policy.require(Write.RUNTIME, environment=environment, actor=actor)


# Subscribers ---------------------------------------------------------------------------------


def subscriber_id_problem(subscriber_id) -> str | None:
    """Why ``subscriber_id`` cannot name a subscriber, or None. It appears in API paths, so it
    has no slashes, control characters or surrounding spaces."""
    if not isinstance(subscriber_id, str) or not subscriber_id.strip():
        return "Give the subscriber an ID."
    if len(subscriber_id) > SUBSCRIBER_ID_MAX_LENGTH:
        return f"Keep the ID to {SUBSCRIBER_ID_MAX_LENGTH} characters."
    if subscriber_id != subscriber_id.strip():
        return "Remove the spaces around the ID."
    if "/" in subscriber_id or any(character < " " for character in subscriber_id):
        return "Use an ID without slashes or control characters."
    if not is_storable_text(subscriber_id):
        return "Use an ID without unpaired surrogates."
    return None


def _validate_subscriber(subscriber: Subscriber) -> None:
    problem = subscriber_id_problem(subscriber.subscriber_id)
    errors = {"subscriber_id": [problem]} if problem else {}
    try:
        subscriber.full_clean(
            exclude=["environment", "subscriber_id"],
            validate_unique=False,
            validate_constraints=False,
        )
    except ValidationError as invalid:
        errors.update(invalid.message_dict)
    if errors:
        raise ValidationError(errors)


def _apply(subscriber: Subscriber, profile: SubscriberProfile, *, now) -> None:
    for name, value in profile.changes().items():
        setattr(subscriber, name, value)
    subscriber.updated_at = now


def _locked(subscriber_id: str) -> Subscriber | None:
    return Subscriber.objects.select_for_update().filter(subscriber_id=subscriber_id).first()


def _credentials_apply(*, subscriber: Subscriber, channels: list[ChannelCredentials], now) -> None:
    if len(channels) > CHANNELS_PER_CALL:
        raise ValidationError({"channels": f"Send at most {CHANNELS_PER_CALL} channels."})
    for credentials in channels:
        _credential_write(subscriber=subscriber, credentials=credentials, now=now)


@dataclass(frozen=True)
class Identified:
    subscriber: Subscriber
    created: bool


@transaction.atomic
def subscriber_identify(
    *,
    environment: Environment,
    subscriber_id: str,
    profile: SubscriberProfile,
    channels: list[ChannelCredentials] | None = None,
    actor,
) -> Identified:
    """Create the subscriber ``subscriber_id``, or update the fields ``profile`` gives.

    Two identifies of a new ID that race both succeed: the loser of the insert updates.
    """
    _require(environment, actor)
    problem = subscriber_id_problem(subscriber_id)
    if problem:
        raise ValidationError({"subscriber_id": problem})
    now = timezone.now()
    subscriber = _locked(subscriber_id)
    created = subscriber is None
    if created:
        candidate = Subscriber(
            environment=environment, subscriber_id=subscriber_id, created_at=now, updated_at=now
        )
        _apply(candidate, profile, now=now)
        _validate_subscriber(candidate)
        try:
            with transaction.atomic():
                candidate.save()
            subscriber = candidate
        except IntegrityError:
            subscriber, created = _locked(subscriber_id), False
            if subscriber is None:
                raise
    if not created:
        _apply(subscriber, profile, now=now)
        _validate_subscriber(subscriber)
        subscriber.save()
    _credentials_apply(subscriber=subscriber, channels=channels or [], now=now)
    return Identified(subscriber=subscriber, created=created)


@transaction.atomic
def subscriber_update(
    *,
    subscriber: Subscriber,
    profile: SubscriberProfile,
    channels: list[ChannelCredentials] | None = None,
    actor,
) -> Subscriber:
    """Change the fields ``profile`` gives; ``Subscriber.DoesNotExist`` if it was deleted."""
    _require(subscriber.environment, actor)
    now = timezone.now()
    locked = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
    _apply(locked, profile, now=now)
    _validate_subscriber(locked)
    locked.save()
    _credentials_apply(subscriber=locked, channels=channels or [], now=now)
    return locked


@transaction.atomic
def subscriber_delete(*, subscriber: Subscriber, actor) -> None:
    """Delete the subscriber with its preferences, credentials and topic memberships."""
    _require(subscriber.environment, actor)
    Subscriber.objects.filter(pk=subscriber.pk).delete()


@dataclass(frozen=True)
class BulkEntry:
    subscriber_id: str
    profile: SubscriberProfile = field(default_factory=SubscriberProfile)


@dataclass(frozen=True)
class BulkFailure:
    subscriber_id: str
    message: str


@dataclass
class BulkOutcome:
    """Novu's report: which IDs were created, which updated, which failed and why."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    failed: list[BulkFailure] = field(default_factory=list)


def _failure_message(invalid: ValidationError) -> str:
    if hasattr(invalid, "error_dict"):
        return " ".join(
            f"{name}: {message}"
            for name, messages in invalid.message_dict.items()
            for message in messages
        )
    return " ".join(invalid.messages)


@transaction.atomic
def subscribers_bulk_create(
    *, environment: Environment, entries: list[BulkEntry], actor
) -> BulkOutcome:
    """Create or update up to BULK_MAX subscribers in a few queries.

    An invalid entry fails alone and is reported with its reason; the others are written. An
    ID given twice is written once, the later fields winning.
    """
    _require(environment, actor)
    if len(entries) > BULK_MAX:
        raise ValidationError({"subscribers": f"Send at most {BULK_MAX} subscribers at a time."})
    now = timezone.now()
    outcome = BulkOutcome()
    valid_ids = [
        entry.subscriber_id for entry in entries if not subscriber_id_problem(entry.subscriber_id)
    ]
    existing = {
        subscriber.subscriber_id: subscriber
        for subscriber in Subscriber.objects.select_for_update().filter(subscriber_id__in=valid_ids)
    }
    new: dict[str, Subscriber] = {}
    for entry in entries:
        subscriber_id = entry.subscriber_id
        current = new.get(subscriber_id) or existing.get(subscriber_id)
        if current is None:
            trial = Subscriber(environment=environment, subscriber_id=subscriber_id, created_at=now)
        else:
            trial = copy.copy(current)
        _apply(trial, entry.profile, now=now)
        try:
            _validate_subscriber(trial)
        except ValidationError as invalid:
            outcome.failed.append(BulkFailure(str(subscriber_id), _failure_message(invalid)))
            continue
        if subscriber_id in existing:
            existing[subscriber_id] = trial
            if subscriber_id not in outcome.updated:
                outcome.updated.append(subscriber_id)
        else:
            new[subscriber_id] = trial
            if subscriber_id not in outcome.created:
                outcome.created.append(subscriber_id)
    touched = [existing[subscriber_id] for subscriber_id in outcome.updated]
    if touched:
        Subscriber.objects.bulk_update(touched, [*PROFILE_FIELDS, "updated_at"], batch_size=100)
    if new:
        try:
            with transaction.atomic():
                Subscriber.objects.bulk_create(new.values(), batch_size=100)
        except IntegrityError:
            # Someone created some of these IDs meanwhile: write them one by one instead.
            for subscriber in new.values():
                _save_new_or_merge(subscriber, now=now, outcome=outcome)
    return outcome


def _save_new_or_merge(subscriber: Subscriber, *, now, outcome: BulkOutcome) -> None:
    # The failed bulk insert may have numbered some rows before it was rolled back.
    subscriber.pk = None
    subscriber._state.adding = True
    try:
        with transaction.atomic():
            subscriber.save()
        return
    except IntegrityError:
        pass
    subscriber_id = subscriber.subscriber_id
    stored = _locked(subscriber_id)
    for name in PROFILE_FIELDS:
        setattr(stored, name, getattr(subscriber, name))
    stored.updated_at = now
    stored.save()
    outcome.created.remove(subscriber_id)
    outcome.updated.append(subscriber_id)


# Preferences ---------------------------------------------------------------------------------


@transaction.atomic
def preference_update(
    *,
    subscriber: Subscriber,
    workflow: Workflow,
    enabled: bool | None = None,
    channels: dict[str, bool] | None = None,
    actor,
) -> EffectivePreference:
    """Record the subscriber's choice for ``workflow``: on or off, and per channel.

    Critical workflows ignore preferences, so a change to one is refused (ValidationError), as
    Novu refuses it; so is a change that changes nothing.
    """
    _require(subscriber.environment, actor)
    if workflow.environment_id != subscriber.environment_id:
        raise ValidationError({"workflow": "Choose a workflow of the subscriber's environment."})
    if workflow.critical:
        raise ValidationError(
            f"“{workflow.name}” is critical: it ignores subscriber preferences, so they cannot "
            "be changed."
        )
    channels = channels or {}
    unknown = sorted(set(channels) - set(PREFERENCE_CHANNELS))
    if unknown:
        choices = ", ".join(PREFERENCE_CHANNELS)
        raise ValidationError({"channel": f"Unknown channel {unknown[0]}; use one of {choices}."})
    if enabled is None and not channels:
        raise ValidationError("Send `enabled`, or a channel and whether it is enabled.")
    preference = (
        SubscriberPreference.objects.select_for_update()
        .filter(subscriber=subscriber, workflow=workflow)
        .first()
    )
    if preference is None:
        preference = SubscriberPreference(
            environment=subscriber.environment, subscriber=subscriber, workflow=workflow
        )
    if enabled is not None:
        preference.enabled = enabled
    for channel, on in channels.items():
        setattr(preference, channel, on)
    preference.updated_at = timezone.now()
    try:
        with transaction.atomic():
            preference.save()
    except IntegrityError:
        # A concurrent first choice won the insert: apply this one over it.
        stored = SubscriberPreference.objects.select_for_update().get(
            subscriber=subscriber, workflow=workflow
        )
        if enabled is not None:
            stored.enabled = enabled
        for channel, on in channels.items():
            setattr(stored, channel, on)
        stored.save()
        preference = stored
    return effective_preference(workflow=workflow, chosen=preference)


# Credentials ---------------------------------------------------------------------------------


def _provider_problem(provider_id) -> str | None:
    if provider_id in CREDENTIAL_PROVIDER_IDS:
        return None
    return f"Unknown provider “{provider_id}”. Use one of: {', '.join(CREDENTIAL_PROVIDER_IDS)}."


def _credential_write(
    *, subscriber: Subscriber, credentials: ChannelCredentials, now
) -> SubscriberCredential:
    problem = _provider_problem(credentials.provider_id)
    if problem:
        raise ValidationError({"provider_id": problem})
    stored = (
        SubscriberCredential.objects.select_for_update()
        .filter(subscriber=subscriber, provider_id=credentials.provider_id)
        .first()
    )
    credential = stored or SubscriberCredential(
        environment=subscriber.environment,
        subscriber=subscriber,
        provider_id=credentials.provider_id,
        created_at=now,
    )
    if credentials.webhook_url is not None:
        credential.webhook_url = credentials.webhook_url.strip()
    if credentials.device_tokens is not None:
        credential.device_tokens = list(dict.fromkeys(credentials.device_tokens))
    if credentials.integration_identifier is not None:
        credential.integration_identifier = credentials.integration_identifier.strip()
    credential.updated_at = now
    credential.full_clean(
        exclude=["environment", "subscriber"], validate_unique=False, validate_constraints=False
    )
    try:
        with transaction.atomic():
            credential.save()
    except IntegrityError as clash:
        raise conflict(
            "provider_id", f"{credentials.provider_id} credentials were set meanwhile; retry."
        ) from clash
    Subscriber.objects.filter(pk=subscriber.pk).update(updated_at=now)
    subscriber.updated_at = now
    return credential


@transaction.atomic
def credentials_set(
    *, subscriber: Subscriber, credentials: ChannelCredentials, actor
) -> SubscriberCredential:
    """Set where ``credentials.provider_id`` delivers to the subscriber (one row per provider)."""
    _require(subscriber.environment, actor)
    return _credential_write(subscriber=subscriber, credentials=credentials, now=timezone.now())


@transaction.atomic
def credentials_delete(*, subscriber: Subscriber, provider_id: str, actor) -> bool:
    """Forget the subscriber's credentials for ``provider_id``; False if there were none."""
    _require(subscriber.environment, actor)
    problem = _provider_problem(provider_id)
    if problem:
        raise ValidationError({"provider_id": problem})
    deleted, _ = SubscriberCredential.objects.filter(
        subscriber=subscriber, provider_id=provider_id
    ).delete()
    if deleted:
        Subscriber.objects.filter(pk=subscriber.pk).update(updated_at=timezone.now())
    return bool(deleted)


# Topics --------------------------------------------------------------------------------------


def _validate_topic(topic: Topic) -> None:
    topic.full_clean(exclude=["environment"], validate_unique=False, validate_constraints=False)


@transaction.atomic
def topic_create(*, environment: Environment, key: str, name: str, actor) -> Topic:
    """A new topic; a key already used in this environment is a conflict (409)."""
    _require(environment, actor)
    now = timezone.now()
    topic = Topic(
        environment=environment, key=key.strip(), name=name.strip(), created_at=now, updated_at=now
    )
    _validate_topic(topic)
    taken = conflict("key", f"{environment.name} already has a topic with the key “{topic.key}”.")
    if Topic.objects.filter(key=topic.key).exists():
        raise taken
    try:
        with transaction.atomic():
            topic.save()
    except IntegrityError as clash:
        raise taken from clash
    return topic


@transaction.atomic
def topic_rename(*, topic: Topic, name: str, actor) -> Topic:
    _require(topic.environment, actor)
    topic.name = name.strip()
    topic.updated_at = timezone.now()
    _validate_topic(topic)
    topic.save(update_fields=["name", "updated_at"])
    return topic


@transaction.atomic
def topic_delete(*, topic: Topic, actor, with_subscriptions: bool = False) -> None:
    """Delete the topic. One that still has subscribers is a conflict (409), as in Novu, unless
    ``with_subscriptions`` says to remove them too."""
    _require(topic.environment, actor)
    subscriptions = TopicSubscription.objects.filter(topic=topic)
    if not with_subscriptions and subscriptions.exists():
        raise conflict(
            NON_FIELD_ERRORS,
            f"The topic “{topic.key}” still has subscribers. Remove them before deleting it.",
        )
    Topic.objects.filter(pk=topic.pk).delete()


@dataclass(frozen=True)
class MembershipOutcome:
    """Novu's report: the subscriber IDs handled, and those unknown in this environment."""

    succeeded: list[str]
    not_found: list[str]


def _members_of_request(subscriber_ids: list[str]) -> tuple[list[str], dict[str, Subscriber]]:
    if len(subscriber_ids) > TOPIC_SUBSCRIBERS_PER_CALL:
        raise ValidationError(
            {"subscribers": f"Send at most {TOPIC_SUBSCRIBERS_PER_CALL} subscribers at a time."}
        )
    wanted = list(dict.fromkeys(subscriber_ids))
    lookupable = [subscriber_id for subscriber_id in wanted if is_storable_text(subscriber_id)]
    found = {
        subscriber.subscriber_id: subscriber
        for subscriber in Subscriber.objects.filter(subscriber_id__in=lookupable).only(
            "pk", "subscriber_id", "environment_id"
        )
    }
    return wanted, found


@transaction.atomic
def topic_subscribers_add(*, topic: Topic, subscriber_ids: list[str], actor) -> MembershipOutcome:
    """Subscribe the known IDs to ``topic`` (members already in it stay, once)."""
    _require(topic.environment, actor)
    wanted, found = _members_of_request(subscriber_ids)
    now = timezone.now()
    TopicSubscription.objects.bulk_create(
        [
            TopicSubscription(
                environment=topic.environment, topic=topic, subscriber=subscriber, created_at=now
            )
            for subscriber in found.values()
        ],
        ignore_conflicts=True,
    )
    if found:
        Topic.objects.filter(pk=topic.pk).update(updated_at=now)
    return MembershipOutcome(
        succeeded=[subscriber_id for subscriber_id in wanted if subscriber_id in found],
        not_found=[subscriber_id for subscriber_id in wanted if subscriber_id not in found],
    )


@transaction.atomic
def topic_subscribers_remove(
    *, topic: Topic, subscriber_ids: list[str], actor
) -> MembershipOutcome:
    """Unsubscribe the known IDs from ``topic``; non-members are left as they are."""
    _require(topic.environment, actor)
    wanted, found = _members_of_request(subscriber_ids)
    if found:
        TopicSubscription.objects.filter(topic=topic, subscriber__in=found.values()).delete()
        Topic.objects.filter(pk=topic.pk).update(updated_at=timezone.now())
    return MembershipOutcome(
        succeeded=[subscriber_id for subscriber_id in wanted if subscriber_id in found],
        not_found=[subscriber_id for subscriber_id in wanted if subscriber_id not in found],
    )
