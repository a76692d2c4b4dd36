"""Ways to hand a message over: files in the instance outbox folder (default) or SMTP."""

from __future__ import annotations

import base64
import functools
import secrets
import smtplib
import ssl
from email._policybase import Compat32
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate, make_msgid, parseaddr
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
    def send(self, message: Message) -> None: ...

    def close(self) -> None: ...


class FileBackend:
    """Writes each message as an ``.eml`` file, so the demo needs no mail server."""

    def __init__(self, directory: str) -> None:
        self.directory = Path(directory)

    def send(self, message: Message) -> None:
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
            raise ServerUnavailable(
                f"cannot connect to {self.host}:{self.port}: {error}"
            ) from error
        return connection

    def send(self, message: Message) -> None:
        if self._connection is None:
            self._connection = self._connect()
        try:
            recipient, sender = str(message["To"]), str(message["From"])
            if recipient.isascii() and sender.isascii():
                refused = self._connection.sendmail(
                    _envelope_address(sender), [recipient], message.as_bytes(policy=_WIRE)
                )
            else:  # an internationalised address: smtplib negotiates SMTPUTF8
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


#: names the outbox row a message came from, so bounces and duplicates can be traced back
OUTBOX_ID_HEADER = "X-Assure360-Outbox-Id"


def _header(value: str) -> str:
    """ASCII header values as they are; others as RFC 2047 base64 encoded-words.

    Each word holds at most 45 bytes of UTF-8 (so it stays under 75 characters) and never
    splits a character; the words share one line, well under RFC 5322's 998 characters.
    ``email.header.Header`` does the same but measures the text character by character.
    """
    if value.isascii():
        return value
    words, chunk = [], b""
    for character in value:
        encoded = character.encode("utf-8")
        if len(chunk) + len(encoded) > 45:
            words.append(chunk)
            chunk = b""
        chunk += encoded
    words.append(chunk)
    return " ".join(f"=?utf-8?b?{base64.b64encode(word).decode('ascii')}?=" for word in words)


@functools.lru_cache(maxsize=16)
def _address(value: str) -> str:
    name, address = parseaddr(value)
    return formataddr((name, address), charset="utf-8") if name else address


@functools.lru_cache(maxsize=16)
def message_id_domain(sender: str) -> str:
    """The sender's own domain, so Message-IDs are unique to the deployment (RFC 5322 3.6.4)
    and mail systems that check them against the From domain accept them."""
    domain = parseaddr(sender)[1].rpartition("@")[2].strip().lower()
    return domain or "localhost"


@functools.lru_cache(maxsize=16)
def _envelope_address(value: str) -> str:
    return parseaddr(value)[1]


class _WirePolicy(Compat32):
    """compat32 that writes short plain ASCII headers as they are.

    compat32 runs every header through ``email.header.Header`` to fold it, which cost more than
    the rest of a message's flattening; an ASCII value up to RFC 5322's 998-character line
    limit needs no folding.
    """

    def _fold(self, name: str, value: Any, sanitize: bool) -> str:
        if (
            isinstance(value, str)
            and value.isascii()
            and len(name) + len(value) < 996
            and "\r" not in value
            and "\n" not in value
        ):
            return f"{name}: {value}{self.linesep}"
        return str(super()._fold(name, value, sanitize))  # type: ignore[misc]


#: how messages are written on the wire (SMTP wants CRLF line ends)
_WIRE = _WirePolicy(linesep="\r\n")


def build_message(
    *,
    sender: str,
    reply_to: str | None,
    recipient: str,
    subject: str,
    text: str,
    html: str,
    unsubscribe_url: str | None = None,
    outbox_id: int | None = None,
) -> Message:
    """A multipart plain text + HTML message, with one-click opt-out headers when given a URL.

    RFC 8058: ``List-Unsubscribe`` carries the HTTPS URL and ``List-Unsubscribe-Post`` tells
    mail providers they may POST ``List-Unsubscribe=One-Click`` to it. Built with the
    ``email.mime`` classes (the compat32 policy), several times faster than ``EmailMessage``:
    the sender builds one per message, so this is on its hot path.
    """
    # A boundary of our own: otherwise the generator compiles a regex and scans the whole body
    # for a free one, for every message. Base64 parts cannot contain this line.
    message = MIMEMultipart("alternative", boundary="==assure360-" + secrets.token_hex(16))
    message["From"] = _address(sender)
    message["To"] = recipient
    if reply_to:
        message["Reply-To"] = _address(reply_to)
    message["Subject"] = _header(subject)
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(domain=message_id_domain(sender))
    if unsubscribe_url:
        message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    if outbox_id is not None:
        message[OUTBOX_ID_HEADER] = str(outbox_id)
    # base64 bodies: encoded in C, so much faster than quoted-printable, and safe for any line
    message.attach(MIMEText(text, "plain", "utf-8"))
    message.attach(MIMEText(html, "html", "utf-8"))
    return message
