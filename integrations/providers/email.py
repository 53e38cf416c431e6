"""Email providers: SMTP through Django's SMTP backend, and email APIs through django-anymail.

Each send builds its backend from the integration's own credentials (a mailer made on the
spot, named after the Provider Identifier): no global email setting is read or changed, and
two integrations of one provider never share anything. Adding an email API that anymail
supports is one ``AnymailProvider`` entry in the registry.
"""

import smtplib
import ssl
import warnings
from collections.abc import Callable
from email.utils import formataddr, make_msgid

from anymail.exceptions import (
    AnymailError,
    AnymailNotSupportedWarning,
    AnymailRecipientsRefused,
)
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.utils.module_loading import import_string

from integrations.answers import (
    ProviderAnswer,
    failed,
    http_status_is_retryable,
    sent,
    trimmed_body,
)
from integrations.outbound import provider_timeout
from integrations.plain_text import html_to_text
from integrations.providers.base import OutgoingMessage, Provider

# Anymail warns on every SendGrid backend it builds; Herald offers SendGrid knowingly.
warnings.filterwarnings("ignore", category=AnymailNotSupportedWarning)


def email_message(*, credentials: dict, message: OutgoingMessage) -> EmailMultiAlternatives:
    """The message with its HTML and a plain-text alternative (derived when not given)."""
    sender = formataddr((credentials.get("senderName") or "", credentials["from"]))
    text = message.text or html_to_text(message.html)
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=text,
        from_email=sender,
        to=[message.to],
        headers={"Message-ID": make_msgid(domain=credentials["from"].rpartition("@")[2])},
    )
    if message.html:
        email.attach_alternative(message.html, "text/html")
    return email


# SMTP ------------------------------------------------------------------------------------------


class _RecordingSMTP(smtplib.SMTP):
    """Keeps the server's reply to the message (``250 queued as …``): the provider's answer."""

    last_reply: tuple[int, bytes] | None = None

    def data(self, msg):
        self.last_reply = super().data(msg)
        return self.last_reply


class _RecordingSMTPSSL(smtplib.SMTP_SSL):
    last_reply: tuple[int, bytes] | None = None

    def data(self, msg):
        self.last_reply = super().data(msg)
        return self.last_reply


class IntegrationSmtpBackend(SmtpBackend):
    @property
    def connection_class(self):
        return _RecordingSMTPSSL if self.use_ssl else _RecordingSMTP


def _smtp_reply_text(reply) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)


def _caused_by(error: BaseException | None, kind: type) -> bool:
    """Whether ``error`` or an error it was raised from (smtplib re-raises a socket timeout
    as SMTPServerDisconnected) is a ``kind``."""
    while error is not None:
        if isinstance(error, kind):
            return True
        error = error.__cause__ or error.__context__
    return False


def smtp_failure(error: Exception) -> ProviderAnswer:
    """SMTP's own classes: a 4xx reply is transient (retry), a 5xx reply is permanent."""
    if _caused_by(error, TimeoutError):
        return failed(
            detail=f"The SMTP server did not answer within {provider_timeout():g} s.",
            retryable=True,
        )
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        replies = [_smtp_reply_text(reply) for _, reply in error.recipients.values()]
        return failed(
            detail="The SMTP server refused the recipient.",
            retryable=bool(codes) and all(400 <= code < 500 for code in codes),
            raw={"status": codes[0] if codes else None, "body": "; ".join(replies)},
        )
    if isinstance(error, smtplib.SMTPResponseException):
        code, reply = error.smtp_code, _smtp_reply_text(error.smtp_error)
        kind = "refused the login" if code in (530, 534, 535) else f"answered {code}"
        return failed(
            detail=f"The SMTP server {kind}.",
            retryable=400 <= code < 500,
            raw={"status": code, "body": reply},
        )
    if isinstance(error, ssl.SSLError):
        return failed(detail=f"TLS failed: {error.reason or 'handshake error'}.", retryable=False)
    if isinstance(error, ConnectionRefusedError):
        return failed(
            detail="Could not connect to the SMTP server: connection refused.", retryable=True
        )
    if isinstance(error, smtplib.SMTPServerDisconnected | ConnectionError):
        return failed(detail="The SMTP server closed the connection.", retryable=True)
    if isinstance(error, smtplib.SMTPNotSupportedError):
        return failed(detail=f"The SMTP server does not support this: {error}", retryable=False)
    if isinstance(error, OSError):
        return failed(
            detail=f"Could not connect to the SMTP server: {error.strerror or error}.",
            retryable=True,
        )
    return failed(detail=f"The message was refused before sending: {error}", retryable=False)


class SmtpProvider(Provider):
    """Novu's ``nodemailer``: any SMTP server. ``secure`` is TLS from the first byte (port 465);
    ``requireTls`` upgrades a plain connection with STARTTLS and fails without it."""

    def send(self, *, credentials, message, label):
        try:
            backend = IntegrationSmtpBackend(
                alias=f"integration:{label}",
                host=credentials["host"],
                port=credentials["port"],
                username=credentials.get("user") or "",
                password=credentials.get("password") or "",
                use_ssl=bool(credentials.get("secure")),
                use_tls=bool(credentials.get("requireTls")) and not credentials.get("secure"),
                timeout=provider_timeout(),
            )
            email = email_message(credentials=credentials, message=message)
            backend.open()
            try:
                backend.send_messages([email])
                code, reply = backend.connection.last_reply or (250, b"")
            finally:
                backend.close()
        except (smtplib.SMTPException, OSError, ValueError) as error:
            return smtp_failure(error)
        return sent(
            detail=f"The SMTP server accepted the message ({code}).",
            raw={"status": code, "body": _smtp_reply_text(reply)},
            message_id=email.extra_headers["Message-ID"],
            http_status=None,
        )


# Email APIs through anymail --------------------------------------------------------------------


def _status_of(error: AnymailError) -> int | None:
    if error.status_code is not None:
        return error.status_code
    response = error.response
    if isinstance(response, dict):  # boto3's ClientError answer (Amazon SES)
        return response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return None


def _body_of(response):
    if response is None:
        return None
    if isinstance(response, dict):
        return {key: value for key, value in response.items() if key != "ResponseMetadata"}
    return trimmed_body(getattr(response, "text", "") or "")


def _is_timeout(error: BaseException | None) -> bool:
    from botocore.exceptions import ConnectTimeoutError, ReadTimeoutError
    from requests import Timeout

    while error is not None:
        if isinstance(error, Timeout | ReadTimeoutError | ConnectTimeoutError | TimeoutError):
            return True
        error = error.__cause__
    return False


def _is_unreachable(error: BaseException | None) -> bool:
    from botocore.exceptions import EndpointConnectionError
    from requests import ConnectionError as RequestsConnectionError

    while error is not None:
        if isinstance(error, RequestsConnectionError | EndpointConnectionError | ConnectionError):
            return True
        error = error.__cause__
    return False


def anymail_failure(error: AnymailError, *, provider_name: str) -> ProviderAnswer:
    if _is_timeout(error):
        return failed(
            detail=f"{provider_name} did not answer within {provider_timeout():g} s.",
            retryable=True,
        )
    status = _status_of(error)
    raw = {"status": status, "body": _body_of(error.response)}
    if isinstance(error, AnymailRecipientsRefused):
        return failed(detail=f"{provider_name} refused the recipient.", retryable=False, raw=raw)
    if status is not None:
        return failed(
            detail=f"{provider_name} answered {status}.",
            retryable=http_status_is_retryable(status),
            raw=raw,
            http_status=status,
        )
    if _is_unreachable(error):
        return failed(detail=f"Could not connect to {provider_name}.", retryable=True)
    # Raised before any request (an unsupported feature, a configuration problem).
    return failed(
        detail=f"{provider_name} could not send: {error.args[0] if error.args else error}",
        retryable=False,
    )


class AnymailProvider(Provider):
    """An email API through one of anymail's backends. ``options(credentials)`` gives the
    backend's keyword arguments (its API key and such) from the integration's credentials."""

    def __init__(self, *, backend: str, options: Callable[[dict], dict], **attributes):
        super().__init__(**attributes)
        self.backend = backend
        self.options = options

    def send(self, *, credentials, message, label):
        email = email_message(credentials=credentials, message=message)
        try:
            backend_class = import_string(self.backend)
            connection = backend_class(alias=f"integration:{label}", **self.options(credentials))
            connection.send_messages([email])
        except AnymailError as error:
            return anymail_failure(error, provider_name=self.name)
        except (ValueError, TypeError) as refused:
            return failed(
                detail=f"The message was refused before sending: {refused}", retryable=False
            )
        status = email.anymail_status
        response = status.esp_response
        http_status = getattr(response, "status_code", None)
        if isinstance(response, dict):
            http_status = response.get("ResponseMetadata", {}).get("HTTPStatusCode", 200)
        message_id = status.message_id
        if isinstance(message_id, set):
            message_id = ", ".join(sorted(str(item) for item in message_id if item))
        return sent(
            detail=f"{self.name} accepted the message ({http_status or 'ok'}).",
            raw={"status": http_status, "body": _body_of(response)},
            message_id=str(message_id or ""),
            http_status=http_status,
        )


def requests_options(credentials: dict, **options) -> dict:
    """Options every requests-based anymail backend takes: the timeout of every call."""
    return {"timeout": provider_timeout(), **options}


def ses_options(credentials: dict) -> dict:
    """Amazon SES through boto3: this integration's keys and region, boto3's own retries off
    (Herald schedules retries), the same timeout as every provider call. An endpoint set in
    ``ANYMAIL["AMAZON_SES_CLIENT_PARAMS"]`` is kept (a test stands in for SES there)."""
    from anymail.utils import get_anymail_setting

    configured = get_anymail_setting("client_params", esp_name="Amazon SES", default={})
    timeout = provider_timeout()
    return {
        "session_params": {
            "aws_access_key_id": credentials["apiKey"],
            "aws_secret_access_key": credentials["secretKey"],
            "region_name": credentials["region"],
        },
        "client_params": {
            **{key: value for key, value in configured.items() if key == "endpoint_url"},
            "config": {
                "connect_timeout": timeout,
                "read_timeout": timeout,
                "retries": {"total_max_attempts": 1, "mode": "standard"},
            },
        },
    }
