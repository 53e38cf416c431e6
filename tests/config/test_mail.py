"""`make run` prints emails in the terminal, with links whole so they can be followed."""

import io

from django.core.mail import send_mail

LINK = "http://127.0.0.1:8000/accounts/signup/" + "eyJlbWFpbCI6InJpdGFAZXhhbXBsZS5jb20ifQ" * 3 + "/"


def test_the_development_console_prints_a_long_link_on_one_line(settings):
    terminal = io.StringIO()
    settings.MAILERS = {
        "default": {
            "BACKEND": "config.mail.ReadableConsoleBackend",
            "OPTIONS": {"stream": terminal},
        }
    }
    send_mail(
        "Finish signing up for Herald", f"Finish here:\n\n{LINK}\n", None, ["rita@example.com"]
    )
    printed = terminal.getvalue()
    assert f"\n{LINK}\n" in printed
    assert "Subject: Finish signing up for Herald\n" in printed
    assert "To: rita@example.com\n" in printed
