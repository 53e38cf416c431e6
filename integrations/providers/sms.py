"""SMS: Twilio's REST API, and a generic HTTP gateway that takes JSON."""

from django.conf import settings

from integrations.outbound import http_send
from integrations.providers.base import Provider

TWILIO_API_URL = "https://api.twilio.com"


class TwilioProvider(Provider):
    """Twilio's Messages resource, authenticated with the account SID and auth token."""

    def send(self, *, credentials, message, label):
        base = getattr(settings, "TWILIO_API_URL", TWILIO_API_URL).rstrip("/")
        account = credentials["accountSid"]
        return http_send(
            "POST",
            f"{base}/2010-04-01/Accounts/{account}/Messages.json",
            auth=(account, credentials["token"]),
            data={"To": message.to, "From": credentials["from"], "Body": message.content},
            success_id=lambda response: response.json()["sid"],
        )


class GenericSmsProvider(Provider):
    """Any gateway that takes ``{"to", "from", "content"}`` as JSON, with its key in a header."""

    def send(self, *, credentials, message, label):
        headers = {}
        if credentials.get("apiKey"):
            headers[credentials.get("apiKeyRequestHeader") or "Authorization"] = credentials[
                "apiKey"
            ]
        return http_send(
            "POST",
            credentials["baseUrl"],
            json={
                "to": message.to,
                "from": credentials.get("from", ""),
                "content": message.content,
            },
            headers=headers,
            success_id=lambda response: (
                response.json().get("id") or response.json().get("messageId")
            ),
        )
