"""Fixtures of the scheduler's tests: a real SMTP server on loopback (aiosmtpd)."""
from __future__ import annotations

import email
import socket
import threading
from email import policy

import pytest
from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """What the SMTP server accepted: one entry per message, parsed, with its envelope."""

    def __init__(self):
        self.received: list[dict] = []
        self.lock = threading.Lock()
        self.rcpt_hook = None  # called with the number of messages accepted so far

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.rcpt_hook is not None:
            self.rcpt_hook(len(self.received))
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.received.append({"from": envelope.mail_from, "to": list(envelope.rcpt_tos),
                                  "message": message})
        return "250 Message accepted for delivery"

    @property
    def messages(self):
        with self.lock:
            return [r["message"] for r in self.received]

    def message_ids(self) -> list[str]:
        return [str(m["Message-ID"]) for m in self.messages]


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    inbox.port = controller.port
    yield inbox
    controller.stop()


@pytest.fixture
def mail_config(app, smtp_server) -> dict:
    """The test app's settings pointed at the loopback SMTP server (a copy: config stays put)."""
    return {**app.config, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp_server.port,
            "MAIL_USE_TLS": False, "MAIL_SENDER": "giaoban@hanoi.test",
            "PUBLIC_URL": "https://giaoban.hanoi.test"}
