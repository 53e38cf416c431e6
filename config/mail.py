"""Email in development: `make run` prints each email in the terminal."""

from django.core.mail.backends import console


class ReadableConsoleBackend(console.EmailBackend):
    """Django's console backend prints the encoded message, and quoted-printable breaks long
    lines, such as a sign-up link, with ``=``. This prints the text as the recipient reads it,
    so a link can be followed from the terminal."""

    def write_message(self, message):
        self.stream.write(
            f"Subject: {message.subject}\n"
            f"From: {message.from_email}\n"
            f"To: {', '.join(message.to)}\n\n"
            f"{message.body}\n{'-' * 79}\n"
        )
