"""STARTTLS and login against a real SMTP server on loopback with a throwaway certificate."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword

from momentum.dispatch.channels.base import PermanentFailure
from momentum.dispatch.channels.smtp import SmtpSender
from tests.engine.conftest import SmtpServer, _Inbox, start_smtp


def _certificate(folder: Path) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def _check_login(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"momentum", b"s3cret")
    return AuthResult(success=ok, handled=False)  # let the server answer 535


def _message() -> Message:
    message = Message()
    message["From"] = "momentum@example.test"
    message["To"] = "buyer@acme.test"
    message["Subject"] = "over TLS"
    message["Message-ID"] = "<tls-1@example.test>"
    message.set_payload("hello")
    return message


def test_starttls_and_login(tmp_path: Path) -> None:
    cert, key = _certificate(tmp_path)
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    inbox = _Inbox()

    controller, port = start_smtp(
        inbox,
        tls_context=server_context,
        require_starttls=True,
        auth_required=True,
        auth_require_tls=True,
        authenticator=_check_login,
        auth_exclude_mechanism=["LOGIN"],  # PLAIN only: a refused login is one 535
    )
    client_context = ssl.create_default_context(cafile=str(cert))
    try:

        def login_as(password: str) -> SmtpSender:
            return SmtpSender(
                host="127.0.0.1",
                port=port,
                starttls="required",
                username="momentum",
                password=password,
                ssl_context=client_context,
            )

        sender = login_as("s3cret")
        sender.send(_message())
        sender.close()
        assert SmtpServer("127.0.0.1", port, inbox).message_ids() == ["<tls-1@example.test>"]
        with pytest.raises(PermanentFailure, match="SMTP login refused: 535"):
            login_as("wrong").send(_message())
        plain = SmtpSender(host="127.0.0.1", port=port, starttls="off")  # the server refuses
        with pytest.raises(PermanentFailure, match="530"):
            plain.send(_message())
    finally:
        controller.stop()
