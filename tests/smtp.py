"""A real SMTP server on 127.0.0.1 that keeps what it receives (aiosmtpd), for tests and benchmarks.

It can refuse chosen recipients with a 5xx, answer some DATA commands with a temporary 451,
and be stopped and started again on the same port to simulate an outage.
"""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from collections import Counter
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from survey.mail.backends import OUTBOX_ID_HEADER


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Recorder:
    """The aiosmtpd handler: stores each accepted message's bytes (or only counts them)."""

    def __init__(self, *, keep: bool = True) -> None:
        self.keep = keep
        self.messages: list[bytes] = []
        self.accepted = 0
        self.data_commands = 0
        self.temporary_failures = 0
        #: recipients refused with 550 at RCPT
        self.refuse: set[str] = set()
        #: given the DATA command's number (from 0), whether to answer 451 instead of accepting
        self.fail_data: Callable[[int], bool] = lambda _number: False
        self._lock = threading.Lock()

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if address.lower() in self.refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._lock:
            number = self.data_commands
            self.data_commands += 1
            if self.fail_data(number):
                self.temporary_failures += 1
                return "451 4.3.0 Temporary failure, try again later"
            self.accepted += 1
            if self.keep:
                self.messages.append(bytes(envelope.content))
        return "250 Message accepted for delivery"


class SmtpSink:
    """A controllable SMTP server: ``start()``, ``stop()``, and what it received."""

    def __init__(self, *, port: int | None = None, keep: bool = True) -> None:
        self.port = port or free_port()
        self.handler = Recorder(keep=keep)
        self._controller: Controller | None = None

    def start(self) -> SmtpSink:
        self._controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def config(self) -> dict[str, Any]:
        """Settings that point the application's SMTP backend here."""
        return {
            "MAIL_BACKEND": "smtp",
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": self.port,
            "MAIL_USE_SSL": False,
            "MAIL_USE_STARTTLS": False,
            "MAIL_USERNAME": None,
            "MAIL_TIMEOUT": 10,
        }

    def received(self) -> list[EmailMessage]:
        """Every accepted message, parsed."""
        with self.handler._lock:
            raw = list(self.handler.messages)
        return [email.message_from_bytes(data, policy=email.policy.default) for data in raw]  # type: ignore[misc]

    def outbox_ids(self) -> Counter[int]:
        """How many times each outbox message arrived."""
        return Counter(int(message[OUTBOX_ID_HEADER]) for message in self.received())


def _serve_over_stdio() -> None:
    """Run a counting sink in this process for another one (the benchmark): print the port,
    answer each ``count`` line on stdin with the number accepted, stop at end of input."""
    import sys

    sink = SmtpSink(keep=False).start()
    print(sink.port, flush=True)
    try:
        for line in sys.stdin:
            if line.strip() == "count":
                print(sink.handler.accepted, flush=True)
    finally:
        sink.stop()


if __name__ == "__main__":
    _serve_over_stdio()
