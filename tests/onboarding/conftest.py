import re

import pytest
from django.core import mail

FINISH = {
    "name": "Rita Operator",
    "password": "a-long-unusual-passphrase",
    "organization_name": "Initech",
}


def link_in(message) -> str | None:
    found = re.search(r"https?://\S+/accounts/signup/\S+/", message.body)
    return found.group(0) if found else None


@pytest.fixture
def sign_up_link(client):
    """Ask for a sign-up link as a visitor would, and return the one that was emailed."""

    def request_link(email: str, **extra) -> str:
        sent = len(mail.outbox)
        response = client.post("/accounts/signup/", {"email": email}, **extra)
        assert response.status_code == 200, response.content.decode()
        assert len(mail.outbox) == sent + 1
        link = link_in(mail.outbox[-1])
        assert link is not None, mail.outbox[-1].body
        return link

    return request_link
