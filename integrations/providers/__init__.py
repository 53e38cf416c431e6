"""The provider registry: every provider Herald delivers through, under Novu's provider ids.

Each entry declares its credential fields (type, whether secret, whether required), how it
sends, and what a test needs from the operator. Pages, forms, the API and delivery all read
this one registry; a new provider is a new entry here and its mark in
``static/herald/providers/<id>.svg``.
"""

from integrations.providers.base import (
    SECRET_MASK,
    CredentialField,
    DestinationPrompt,
    FieldKind,
    OutgoingMessage,
    Provider,
    ProviderGroup,
)
from integrations.providers.chat import WebhookChatProvider
from integrations.providers.email import (
    AnymailProvider,
    SmtpProvider,
    requests_options,
    ses_options,
)
from integrations.providers.in_app import FeedProvider
from integrations.providers.sms import GenericSmsProvider, TwilioProvider
from workflows.models import Channel

FROM = CredentialField(
    "from", "From address", FieldKind.EMAIL, required=True, help_text="The sender's address."
)
SENDER_NAME = CredentialField(
    "senderName", "Sender name", help_text="Shown as the sender, e.g. your product's name."
)
API_KEY = CredentialField("apiKey", "API key", secret=True, required=True)
EMAIL_TEST = DestinationPrompt(
    "Send the test to", FieldKind.EMAIL, help_text="An address you can read."
)
CHAT_TEST = DestinationPrompt(
    "Webhook URL",
    FieldKind.URL,
    help_text="The incoming webhook of a channel to post the test in. Leave it empty to use the "
    "integration's default webhook.",
    required=False,
)
DEFAULT_WEBHOOK = CredentialField(
    "webhookUrl",
    "Default webhook URL",
    FieldKind.URL,
    secret=True,
    help_text="Used for subscribers without a webhook URL of their own (set through the "
    "subscriber's channel credentials).",
)
SMS_TEST = DestinationPrompt(
    "Send the test to", FieldKind.TEXT, help_text="A phone number in international form, +1555…"
)

PROVIDERS: dict[str, Provider] = {
    provider.id: provider
    for provider in [
        SmtpProvider(
            id="nodemailer",
            name="Custom SMTP",
            channel=Channel.EMAIL,
            description="Any SMTP server, with your own host and login.",
            fields=(
                CredentialField("host", "Host", required=True, help_text="e.g. smtp.example.com"),
                CredentialField(
                    "port", "Port", FieldKind.INTEGER, required=True, minimum=1, maximum=65535
                ),
                CredentialField(
                    "secure",
                    "Secure (TLS from the start, usually port 465)",
                    FieldKind.BOOLEAN,
                ),
                CredentialField(
                    "requireTls",
                    "Require STARTTLS (usually port 587)",
                    FieldKind.BOOLEAN,
                ),
                CredentialField("user", "User"),
                CredentialField("password", "Password", secret=True),
                FROM,
                SENDER_NAME,
            ),
            test_destination=EMAIL_TEST,
        ),
        AnymailProvider(
            id="sendgrid",
            name="SendGrid",
            channel=Channel.EMAIL,
            description="Twilio SendGrid's v3 Mail Send API.",
            fields=(API_KEY, FROM, SENDER_NAME),
            backend="anymail.backends.sendgrid.EmailBackend",
            options=lambda credentials: requests_options(
                credentials, api_key=credentials["apiKey"]
            ),
            test_destination=EMAIL_TEST,
        ),
        AnymailProvider(
            id="mailgun",
            name="Mailgun",
            channel=Channel.EMAIL,
            description="Mailgun's messages API, in the US or EU region.",
            fields=(
                API_KEY,
                CredentialField(
                    "domain", "Sending domain", required=True, help_text="e.g. mg.example.com"
                ),
                CredentialField(
                    "baseUrl",
                    "API base URL",
                    FieldKind.URL,
                    help_text="Leave empty for the US region; "
                    "https://api.eu.mailgun.net/v3 for the EU.",
                ),
                FROM,
                SENDER_NAME,
            ),
            backend="anymail.backends.mailgun.EmailBackend",
            options=lambda credentials: requests_options(
                credentials,
                api_key=credentials["apiKey"],
                sender_domain=credentials["domain"],
                **({"api_url": credentials["baseUrl"]} if credentials.get("baseUrl") else {}),
            ),
            test_destination=EMAIL_TEST,
        ),
        AnymailProvider(
            id="postmark",
            name="Postmark",
            channel=Channel.EMAIL,
            description="Postmark's email API, with a server token.",
            fields=(
                CredentialField("apiKey", "Server token", secret=True, required=True),
                FROM,
                SENDER_NAME,
            ),
            backend="anymail.backends.postmark.EmailBackend",
            options=lambda credentials: requests_options(
                credentials, server_token=credentials["apiKey"]
            ),
            test_destination=EMAIL_TEST,
        ),
        AnymailProvider(
            id="ses",
            name="Amazon SES",
            channel=Channel.EMAIL,
            description="Amazon Simple Email Service (v2 API), with an IAM access key.",
            fields=(
                CredentialField("apiKey", "Access key ID", required=True),
                CredentialField("secretKey", "Secret access key", secret=True, required=True),
                CredentialField("region", "Region", required=True, help_text="e.g. eu-west-1"),
                FROM,
                SENDER_NAME,
            ),
            backend="anymail.backends.amazon_ses.EmailBackend",
            options=ses_options,
            test_destination=EMAIL_TEST,
        ),
        WebhookChatProvider(
            id="slack",
            name="Slack",
            channel=Channel.CHAT,
            description="Slack incoming webhooks.",
            fields=(DEFAULT_WEBHOOK,),
            body=lambda content: {"text": content},
            test_destination=CHAT_TEST,
        ),
        WebhookChatProvider(
            id="discord",
            name="Discord",
            channel=Channel.CHAT,
            description="Discord channel webhooks.",
            fields=(DEFAULT_WEBHOOK,),
            body=lambda content: {"content": content},
            # wait=true makes Discord answer with the message it posted, and so its id.
            params={"wait": "true"},
            message_id=lambda response: response.json()["id"],
            test_destination=CHAT_TEST,
        ),
        WebhookChatProvider(
            id="msteams",
            name="Microsoft Teams",
            channel=Channel.CHAT,
            description="Microsoft Teams incoming webhooks.",
            fields=(DEFAULT_WEBHOOK,),
            body=lambda content: {"text": content},
            test_destination=CHAT_TEST,
        ),
        TwilioProvider(
            id="twilio",
            name="Twilio",
            channel=Channel.SMS,
            description="Twilio Programmable Messaging.",
            fields=(
                CredentialField("accountSid", "Account SID", required=True),
                CredentialField("token", "Auth token", secret=True, required=True),
                CredentialField(
                    "from", "From number", required=True, help_text="A Twilio number, +1555…"
                ),
            ),
            test_destination=SMS_TEST,
        ),
        GenericSmsProvider(
            id="generic-sms",
            name="SMS webhook",
            channel=Channel.SMS,
            description='Any HTTP gateway: Herald POSTs {"to", "from", "content"} as JSON.',
            fields=(
                CredentialField("baseUrl", "Gateway URL", FieldKind.URL, required=True),
                CredentialField(
                    "apiKeyRequestHeader",
                    "Key header",
                    help_text="The header that carries the key; Authorization when empty.",
                ),
                CredentialField("apiKey", "Key", secret=True),
                CredentialField("from", "From", help_text="A sender number or name."),
            ),
            test_destination=SMS_TEST,
        ),
        FeedProvider(
            id="novu",
            name="Herald in-app feed",
            channel=Channel.IN_APP,
            description="The notification feed your app reads with the Application Identifier. "
            "Every environment has it.",
            built_in=True,
        ),
    ]
}

IN_APP_PROVIDER_ID = "novu"


def provider_get(provider_id: str) -> Provider | None:
    return PROVIDERS.get(provider_id)


def provider_groups() -> list[ProviderGroup]:
    """The providers by channel, in the order of ``Channel``."""
    return [
        ProviderGroup(
            channel=channel,
            label=label,
            providers=[provider for provider in PROVIDERS.values() if provider.channel == channel],
        )
        for channel, label in Channel.choices
    ]


__all__ = [
    "IN_APP_PROVIDER_ID",
    "PROVIDERS",
    "SECRET_MASK",
    "CredentialField",
    "FieldKind",
    "OutgoingMessage",
    "Provider",
    "provider_get",
    "provider_groups",
]
