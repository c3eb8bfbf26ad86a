"""Email over SMTP (stdlib ``smtplib``): one connection kept open across a batch and reopened
after an error.

Security: the connection is upgraded with STARTTLS whenever the server offers it
(``starttls="auto"``, the default; ``"required"`` refuses a server that does not offer it,
``"off"`` never upgrades), with the certificate checked against the system's authorities.
The login, and so the password, is never sent over a connection that is not encrypted unless
``allow_plaintext_login`` says so: a server that stops offering STARTTLS (or a machine in the
middle that strips it) gets no password, and the message waits and is retried.

An address with non-ASCII characters (the composer has already written a non-ASCII domain in
ASCII, as IDNA) goes out with SMTPUTF8 when the server offers it; otherwise that message fails
for good, saying why. Whatever goes wrong while a message is sent, the connection is dropped,
so the next message starts on a new one and never inherits a half-done transaction.
"""

from __future__ import annotations

import contextlib
import email.policy
import smtplib
import ssl
from email.message import Message
from email.policy import Compat32
from email.utils import getaddresses, parseaddr
from typing import Any

from momentum.dispatch.channels.base import PermanentFailure, TemporaryFailure
from momentum.errors import ConfigurationError

STARTTLS_MODES = ("auto", "required", "off")


class _NotEncrypted(Exception):
    """The connection is not encrypted and the configuration needs it to be."""


class _Wire(Compat32):
    """compat32 with CRLF line ends, as SMTP wants them, and a shortcut: a header that is
    plain ASCII and fits on one line is written as it is. That is what compat32's folding
    makes of it too, through a ``Header`` object per header: half the cost of flattening a
    message, at hundreds of messages a second."""

    def fold_binary(self, name: str, value: Any) -> bytes:
        if (
            isinstance(value, str)
            and value.isascii()
            and len(name) + len(value) + 2 <= (self.max_line_length or 0)
            and "\n" not in value
            and "\r" not in value
            and value.strip() == value
        ):
            return f"{name}: {value}{self.linesep}".encode("ascii")
        return super().fold_binary(name, value)


_WIRE = _Wire(linesep="\r\n")
# A message to or from an address with non-ASCII characters, sent with SMTPUTF8: headers in UTF-8.
_WIRE_UTF8 = email.policy.SMTPUTF8.clone(linesep="\r\n")


class SmtpSender:
    def __init__(
        self,
        *,
        host: str,
        port: int,
        starttls: str = "auto",
        allow_plaintext_login: bool = False,
        username: str | None = None,
        password: str | None = None,
        timeout: float = 10.0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        if starttls not in STARTTLS_MODES:
            raise ValueError(f"starttls must be one of {STARTTLS_MODES}, not {starttls!r}")
        if username and starttls == "off" and not allow_plaintext_login:
            raise ConfigurationError(
                "MOMENTUM_SMTP_STARTTLS=off with MOMENTUM_SMTP_USERNAME would send the SMTP "
                "password unencrypted: use STARTTLS (auto or required), or set "
                "MOMENTUM_SMTP_ALLOW_PLAINTEXT_LOGIN=true if the connection is safe"
            )
        self.host = host
        self.port = port
        self.starttls = starttls
        self.allow_plaintext_login = allow_plaintext_login
        self.username = username
        self.password = password
        self.timeout = timeout
        self.ssl_context = ssl_context
        self._connection: smtplib.SMTP | None = None

    def open(self) -> None:
        """Connections are made lazily, by the first message of a batch."""

    def _connect(self) -> smtplib.SMTP:
        if self._connection is not None:
            return self._connection
        connection = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            connection.ehlo()
            encrypted = False
            if self.starttls != "off" and connection.has_extn("starttls"):
                connection.starttls(context=self.ssl_context or ssl.create_default_context())
                connection.ehlo()
                encrypted = True
            elif self.starttls == "required":
                raise _NotEncrypted(
                    "does not offer STARTTLS, and MOMENTUM_SMTP_STARTTLS=required: nothing was sent"
                )
            if self.username:
                if not encrypted and not self.allow_plaintext_login:
                    raise _NotEncrypted(
                        "does not offer STARTTLS: the SMTP password is not sent over an "
                        "unencrypted connection, so nothing was sent (set "
                        "MOMENTUM_SMTP_ALLOW_PLAINTEXT_LOGIN=true if the connection is safe)"
                    )
                connection.login(self.username, self.password or "")
        except BaseException:
            with contextlib.suppress(OSError):
                connection.close()
            raise
        self._connection = connection
        return connection

    def _open(self) -> smtplib.SMTP:
        """The batch's connection, made on first use; why not, as a delivery error."""
        try:
            return self._connect()
        except _NotEncrypted as exc:
            # temporary: the server may offer it again (or whoever stripped it go away)
            raise TemporaryFailure(f"SMTP server {self.host}:{self.port} {exc}") from exc
        except smtplib.SMTPAuthenticationError as exc:
            raise PermanentFailure(
                f"SMTP login refused: {exc.smtp_code} {_text(exc.smtp_error)}"
            ) from exc
        except smtplib.SMTPNotSupportedError as exc:
            raise PermanentFailure(f"SMTP server {self.host}:{self.port}: {exc}") from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise TemporaryFailure(
                f"cannot reach SMTP server {self.host}:{self.port}: {exc}"
            ) from exc

    def send(self, message: Message) -> None:
        sender = parseaddr(str(message["From"]))[1]
        recipients = [address for _, address in getaddresses([str(message["To"])]) if address]
        connection = self._open()
        wide = [address for address in (sender, *recipients) if not address.isascii()]
        if wide and not connection.has_extn("smtputf8"):
            raise PermanentFailure(
                f"not sent: the SMTP server {self.host}:{self.port} does not accept addresses "
                f"with non-ASCII characters (it does not offer SMTPUTF8): {', '.join(wide)}"
            )
        data = message.as_bytes(policy=_WIRE_UTF8 if wide else _WIRE)
        try:
            refused = connection.sendmail(sender, recipients, data, ["SMTPUTF8"] if wide else [])
        except smtplib.SMTPRecipientsRefused as exc:
            self._drop()
            codes = [code for code, _ in exc.recipients.values()]
            detail = "; ".join(
                f"{to}: {code} {_text(text)}" for to, (code, text) in exc.recipients.items()
            )
            if all(500 <= code < 600 for code in codes):
                raise PermanentFailure(f"every recipient was refused: {detail}") from exc
            raise TemporaryFailure(f"recipients refused for now: {detail}") from exc
        except smtplib.SMTPResponseException as exc:
            self._drop()
            reason = f"SMTP {exc.smtp_code} {_text(exc.smtp_error)}"
            if 500 <= exc.smtp_code < 600:
                raise PermanentFailure(reason) from exc
            raise TemporaryFailure(reason) from exc
        except (TimeoutError, OSError, smtplib.SMTPException) as exc:
            self._drop()
            raise TemporaryFailure(f"SMTP connection failed: {exc}") from exc
        except BaseException:
            # a bug, perhaps, halfway through the transaction: the next message must not
            # inherit the session, so it gets a new connection
            self._drop()
            raise
        if refused:
            # some recipients took it: the message went out; the refusals are the server's
            # business now (a bounce), not a reason to send it again to the others.
            return

    def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(OSError):
                connection.close()

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            connection.quit()
        except (OSError, smtplib.SMTPException):
            connection.close()


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value
