"""What a provider answered, classified for retries and cleaned of secrets.

Every send returns a ``ProviderAnswer``; nothing a provider does raises out of the adapter.
Classification: timeouts, connection failures, HTTP 5xx and 429 (and SMTP's transient 4xx
replies) are retryable; any other 4xx (SMTP's permanent 5xx) never is.
"""

import json
import re
from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum

RAW_BODY_MAX_CHARACTERS = 2_000
REDACTED = "[redacted]"
# Answers sometimes echo credentials back under names like these.
SECRET_KEY_PATTERN = re.compile(
    r"(pass(word)?|secret|token|api[-_]?key|authori[sz]ation|credential|signature)",
    re.IGNORECASE,
)
# Secrets shorter than this are not searched for: "1" or "ok" would redact ordinary words.
SECRET_MIN_LENGTH = 4


class AnswerStatus(StrEnum):
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class ProviderAnswer:
    """The outcome of one attempt to deliver through an integration.

    ``raw`` is what the provider answered (status code and body, trimmed), with secrets
    redacted: it may be stored in execution logs and shown to operators. ``retry_after`` is the
    delay in seconds a 429 or 503 asked for, if any.
    """

    status: AnswerStatus
    detail: str
    retryable: bool = False
    raw: dict = field(default_factory=dict)
    provider_message_id: str = ""
    http_status: int | None = None
    retry_after: float | None = None
    provider_id: str = ""
    integration_identifier: str = ""

    @property
    def succeeded(self) -> bool:
        return self.status is AnswerStatus.SENT

    @property
    def body_text(self) -> str:
        """The provider's answer body as an operator reads it: text, or JSON indented."""
        body = self.raw.get("body")
        if body in (None, ""):
            return ""
        return body if isinstance(body, str) else json.dumps(body, indent=2, ensure_ascii=False)

    def as_record(self) -> dict:
        """A JSON-ready copy, for an execution log."""
        record = asdict(self)
        record["status"] = str(self.status)
        return record

    def redacted(self, secrets) -> "ProviderAnswer":
        return replace(
            self,
            detail=redact_text(self.detail, secrets),
            raw=redact_value(self.raw, secrets),
            provider_message_id=redact_text(self.provider_message_id, secrets),
        )


def sent(*, detail: str, raw: dict | None = None, message_id: str = "", http_status=None):
    return ProviderAnswer(
        status=AnswerStatus.SENT,
        detail=detail,
        raw=raw or {},
        provider_message_id=message_id,
        http_status=http_status,
    )


def failed(*, detail: str, retryable: bool, raw: dict | None = None, http_status=None, **extra):
    return ProviderAnswer(
        status=AnswerStatus.FAILED,
        detail=detail,
        retryable=retryable,
        raw=raw or {},
        http_status=http_status,
        **extra,
    )


def skipped(reason: str) -> ProviderAnswer:
    return ProviderAnswer(status=AnswerStatus.SKIPPED, detail=reason)


def http_status_is_retryable(status: int) -> bool:
    """5xx and 429 are worth another try; every other 4xx will fail the same way again."""
    return status == 429 or status >= 500


def retry_after_seconds(value: str | None) -> float | None:
    """A ``Retry-After`` header in seconds (the date form is ignored: providers send seconds)."""
    try:
        seconds = float(value) if value is not None else None
    except ValueError:
        return None
    return seconds if seconds is not None and 0 <= seconds <= 86_400 else None


def trimmed_body(text: str):
    """A response body for the record: parsed JSON when it is JSON, else text, both bounded."""
    text = text or ""
    if len(text) <= RAW_BODY_MAX_CHARACTERS:
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text[:RAW_BODY_MAX_CHARACTERS] + "…"


def redact_text(text: str, secrets) -> str:
    if not isinstance(text, str):
        return text
    for secret in sorted(_searchable(secrets), key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text


def redact_value(value, secrets):
    """``value`` (decoded JSON) with every secret replaced, and every value under a key that
    names a secret (password, token, apiKey…) replaced too."""
    if isinstance(value, dict):
        return {
            key: REDACTED
            if SECRET_KEY_PATTERN.search(str(key)) and value[key] not in (None, "", [], {})
            else redact_value(value[key], secrets)
            for key in value
        }
    if isinstance(value, list | tuple):
        return [redact_value(item, secrets) for item in value]
    if isinstance(value, str):
        return redact_text(value, secrets)
    return value


def _searchable(secrets) -> set[str]:
    return {str(secret) for secret in secrets if secret and len(str(secret)) >= SECRET_MIN_LENGTH}
