"""No SMTP password over a plaintext connection unless the configuration allows it; STARTTLS
whenever the server offers it. Against aiosmtpd on loopback, with and without TLS."""

from __future__ import annotations

import ssl
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword

from momentum.config import Settings
from momentum.dispatch.channels.base import TemporaryFailure
from momentum.dispatch.channels.smtp import SmtpSender
from momentum.errors import ConfigurationError
from tests.engine.conftest import start_smtp
from tests.engine.test_smtp_tls import _certificate


class _Recorder:
    """What the server saw: each message with whether it came over TLS, and each login."""

    def __init__(self) -> None:
        self.messages: list[tuple[bytes, bool]] = []
        self.logins: list[tuple[bytes, bytes, bool]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((envelope.content, session.ssl is not None))
        return "250 OK"

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        self.logins.append((data.login, data.password, session.ssl is not None))
        return AuthResult(success=data.password == b"s3cret", handled=False)


def _message() -> Message:
    message = Message()
    message["From"] = "momentum@example.test"
    message["To"] = "buyer@acme.test"
    message["Subject"] = "hello"
    message["Message-ID"] = "<sec-1@example.test>"
    message.set_payload("hello")
    return message


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    cert, key = _certificate(tmp_path)
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert, key)
    return server, ssl.create_default_context(cafile=str(cert))


def _server(recorder: _Recorder, tls: ssl.SSLContext | None) -> tuple[Any, int]:
    return start_smtp(
        recorder,
        tls_context=tls,
        authenticator=recorder.authenticate,
        auth_require_tls=False,  # the server would take a password in the clear: we must not
        auth_exclude_mechanism=["LOGIN"],
    )


def test_auto_upgrades_with_starttls_when_offered_and_logs_in_over_tls(
    certificate: tuple[ssl.SSLContext, ssl.SSLContext],
) -> None:
    server_tls, client_tls = certificate
    recorder = _Recorder()
    controller, port = _server(recorder, server_tls)
    try:
        sender = SmtpSender(
            host="127.0.0.1",
            port=port,
            username="momentum",
            password="s3cret",
            ssl_context=client_tls,
        )
        sender.send(_message())
        sender.close()
        anonymous = SmtpSender(host="127.0.0.1", port=port, ssl_context=client_tls)
        anonymous.send(_message())
        anonymous.close()
    finally:
        controller.stop()
    assert recorder.logins == [(b"momentum", b"s3cret", True)]
    assert [tls for _, tls in recorder.messages] == [True, True]


def test_no_password_over_a_server_without_starttls(
    certificate: tuple[ssl.SSLContext, ssl.SSLContext],
) -> None:
    recorder = _Recorder()
    controller, port = _server(recorder, None)
    try:
        sender = SmtpSender(host="127.0.0.1", port=port, username="momentum", password="s3cret")
        with pytest.raises(TemporaryFailure) as refused:
            sender.send(_message())
        assert "does not offer STARTTLS: the SMTP password is not sent" in refused.value.reason
        assert "s3cret" not in refused.value.reason
        required = SmtpSender(host="127.0.0.1", port=port, starttls="required")
        with pytest.raises(TemporaryFailure, match="MOMENTUM_SMTP_STARTTLS=required"):
            required.send(_message())
        assert recorder.logins == [] and recorder.messages == []

        # without a login, auto sends over the plain connection the server offers
        anonymous = SmtpSender(host="127.0.0.1", port=port)
        anonymous.send(_message())
        anonymous.close()
        # and with the plaintext login explicitly allowed, it logs in
        allowed = SmtpSender(
            host="127.0.0.1",
            port=port,
            username="momentum",
            password="s3cret",
            allow_plaintext_login=True,
        )
        allowed.send(_message())
        allowed.close()
    finally:
        controller.stop()
    assert recorder.logins == [(b"momentum", b"s3cret", False)]
    assert [tls for _, tls in recorder.messages] == [False, False]


def test_starttls_off_with_a_login_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="MOMENTUM_SMTP_ALLOW_PLAINTEXT_LOGIN=true"):
        SmtpSender(host="127.0.0.1", port=25, starttls="off", username="momentum", password="x")
    SmtpSender(
        host="127.0.0.1",
        port=25,
        starttls="off",
        username="momentum",
        password="x",
        allow_plaintext_login=True,
    )


@pytest.mark.parametrize(
    ("value", "mode"),
    [("auto", "auto"), ("required", "required"), ("true", "required"), ("false", "off")],
)
def test_the_starttls_setting_reads_its_modes_and_the_old_booleans(
    value: str, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MOMENTUM_SMTP_STARTTLS", value)
    assert Settings(_env_file=None).smtp_starttls == mode  # type: ignore[call-arg]


def test_the_worker_refuses_starttls_off_with_a_login_in_one_line(tmp_path: Path) -> None:
    from tests.cli_process import momentum

    (tmp_path / "m.db").touch()  # an empty SQLite file is a store the worker may open
    run = momentum(
        "worker",
        "--once",
        "--no-sweep",
        cwd=tmp_path,
        env={
            "MOMENTUM_DATABASE_URL": f"sqlite:///{tmp_path / 'm.db'}",
            "MOMENTUM_SMTP_STARTTLS": "off",
            "MOMENTUM_SMTP_USERNAME": "momentum",
            "MOMENTUM_SMTP_PASSWORD": "s3cret",
        },
    )
    assert run.code == 78, run.stderr
    assert len(run.error_lines) == 1 and run.error_lines[0].startswith(
        "error: MOMENTUM_SMTP_STARTTLS=off with MOMENTUM_SMTP_USERNAME"
    )
    assert "s3cret" not in run.stderr + run.stdout
