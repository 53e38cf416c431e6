"""Chat through incoming webhooks. The destination is the subscriber's webhook URL for the
provider (their channel credentials), else the integration's default webhook."""

from collections.abc import Callable

from integrations.outbound import http_send
from integrations.providers.base import Provider


class WebhookChatProvider(Provider):
    """POSTs ``body(content)`` as JSON to the webhook URL in ``message.to``."""

    def __init__(
        self,
        *,
        body: Callable[[str], dict],
        params: dict | None = None,
        message_id: Callable | None = None,
        **attributes,
    ):
        super().__init__(**attributes)
        self.body = body
        self.params = params or {}
        self.message_id = message_id

    def send(self, *, credentials, message, label):
        return http_send(
            "POST",
            message.to,
            json=self.body(message.content),
            params=self.params,
            success_id=self.message_id,
        )
