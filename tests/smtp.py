"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, for delivery tests."""

import email
import email.policy
import socket
from dataclasses import dataclass, field

from aiosmtpd.controller import Controller


@dataclass
class ReceivedMail:
    sender: str
    recipients: list[str]
    raw: bytes

    @property
    def message(self) -> email.message.EmailMessage:
        return email.message_from_bytes(self.raw, policy=email.policy.default)

    def part(self, content_type: str) -> str:
        for part in self.message.walk():
            if part.get_content_type() == content_type:
                return part.get_content()
        raise AssertionError(f"No {content_type} part in the message.")


@dataclass
class SmtpServer:
    port: int
    received: list[ReceivedMail] = field(default_factory=list)
    # What the server answers to the message; a test sets e.g. "451 4.3.0 Try again later".
    reply: str = "250 2.0.0 Ok: queued as H3RALD"

    async def handle_DATA(self, server, session, envelope):
        if self.reply.startswith("2"):
            self.received.append(
                ReceivedMail(envelope.mail_from, list(envelope.rcpt_tos), envelope.content)
            )
        return self.reply


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def running_smtp_server():
    """Start a server; the caller stops ``controller`` when done."""
    server = SmtpServer(port=free_port())
    controller = Controller(server, hostname="127.0.0.1", port=server.port)
    controller.start()
    return server, controller
