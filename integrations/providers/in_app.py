"""In-app: Herald's own notification feed. Delivering is storing the message in the
subscriber's feed, which the pipeline does; there is nothing outside to call."""

from integrations.answers import sent
from integrations.providers.base import Provider


class FeedProvider(Provider):
    def send(self, *, credentials, message, label):
        return sent(detail="Stored in the subscriber's in-app feed.")
