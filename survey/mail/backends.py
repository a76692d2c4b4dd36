"""Ways to hand a message over: files in the instance outbox folder (default) or SMTP."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any, Protocol


class TemporaryFailure(Exception):
    """The message was not accepted, but trying again later may work."""


class ServerUnavailable(TemporaryFailure):
    """The mail server could not be reached at all; nothing was handed over."""


class PermanentFailure(Exception):
    """The recipient will never accept this message (a 5xx answer)."""


class AmbiguousFailure(Exception):
    """The connection failed after the message was handed over: it may or may not have arrived."""


class MailBackend(Protocol):
    def send(self, message: EmailMessage) -> None: ...

    def close(self) -> None: ...


class FileBackend:
    """Writes each message as an ``.eml`` file, so the demo needs no mail server."""

    def __init__(self, directory: str) -> None:
        self.directory = Path(directory)

    def send(self, message: EmailMessage) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        name = message["Message-ID"].strip("<>").replace("@", "_at_") + ".eml"
        partial = self.directory / (name + ".part")
        partial.write_bytes(bytes(message))
        partial.replace(self.directory / name)

    def close(self) -> None:
        return None


class SmtpBackend:
    """Delivers over one reused SMTP connection, reconnecting when the server drops it."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.host: str = config["MAIL_SERVER"]
        self.port: int = int(config["MAIL_PORT"])
        self.use_ssl: bool = bool(config["MAIL_USE_SSL"])
        self.use_starttls: bool = bool(config["MAIL_USE_STARTTLS"])
        self.username: str | None = config.get("MAIL_USERNAME")
        self.password: str | None = config.get("MAIL_PASSWORD")
        self.timeout: float = float(config.get("MAIL_TIMEOUT", 30))
        self._connection: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        try:
            if self.use_ssl:
                connection: smtplib.SMTP = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout, context=ssl.create_default_context()
                )
            else:
                connection = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
                if self.use_starttls:
                    connection.starttls(context=ssl.create_default_context())
            if self.username:
                connection.login(self.username, self.password or "")
        except smtplib.SMTPResponseException as error:
            raise _classify(error) from error
        except (OSError, smtplib.SMTPException) as error:
            raise ServerUnavailable(f"cannot connect to {self.host}:{self.port}: {error}") from error
        return connection

    def send(self, message: EmailMessage) -> None:
        if self._connection is None:
            self._connection = self._connect()
        try:
            refused = self._connection.send_message(message)
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _text in error.recipients.values()]
            if codes and all(code >= 500 for code in codes):
                raise PermanentFailure(f"recipient refused: {codes}") from error
            raise TemporaryFailure(f"recipient deferred: {codes}") from error
        except smtplib.SMTPServerDisconnected as error:
            self._connection = None
            raise AmbiguousFailure(f"server disconnected during the message: {error}") from error
        except smtplib.SMTPResponseException as error:
            self._reset()
            raise _classify(error) from error
        except OSError as error:
            self._connection = None
            raise AmbiguousFailure(f"connection lost during the message: {error}") from error
        if refused:
            raise PermanentFailure(f"recipient refused: {refused}")

    def _reset(self) -> None:
        try:
            if self._connection is not None:
                self._connection.rset()
        except (OSError, smtplib.SMTPException):
            self._connection = None

    def close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.quit()
            except (OSError, smtplib.SMTPException):
                pass
            self._connection = None


def _classify(error: smtplib.SMTPResponseException) -> Exception:
    if error.smtp_code >= 500:
        return PermanentFailure(f"{error.smtp_code} {error.smtp_error!r}")
    return TemporaryFailure(f"{error.smtp_code} {error.smtp_error!r}")


def backend_from_config(config: dict[str, Any]) -> MailBackend:
    if config["MAIL_BACKEND"] == "smtp":
        return SmtpBackend(config)
    return FileBackend(config["MAIL_OUTBOX_DIR"])


def build_message(
    *, sender: str, reply_to: str | None, recipient: str, subject: str, text: str, html: str
) -> EmailMessage:
    """A multipart plain text + HTML message."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = recipient
    if reply_to:
        message["Reply-To"] = reply_to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="assure360.invalid")
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message
