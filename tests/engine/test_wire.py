"""The SMTP channel's flattening shortcut writes exactly what compat32 would."""

from __future__ import annotations

from email.policy import compat32

from hypothesis import given
from hypothesis import strategies as st

from momentum.dispatch.channels.smtp import _WIRE

REFERENCE = compat32.clone(linesep="\r\n")
NAMES = st.sampled_from(["Subject", "From", "To", "Reply-To", "Message-ID", "X-Momentum-Key"])
VALUES = st.text(
    alphabet=st.sampled_from([*"abcXYZ019", " ", "\t", *"<>@.,;:\"'=?_-()[]\\", "é", "·"]),
    max_size=120,
)


@given(NAMES, VALUES)
def test_every_header_is_folded_as_compat32_folds_it(name: str, value: str) -> None:
    assert _WIRE.fold_binary(name, value) == REFERENCE.fold_binary(name, value)


def test_the_headers_momentum_writes_take_the_shortcut_unchanged() -> None:
    for name, value in [
        ("From", "Rep rep000 via Momentum <momentum@bench.test>"),
        ("Subject", "=?utf-8?q?Acme_=C2=B7_our_meeting?="),
        ("Date", "Thu, 26 Nov 2026 07:16:07 +0000"),
        ("Message-ID", "<value-reminder.bench0000001@bench.test>"),
        ("To", "buyer0@buyer.test, buyer1@buyer.test"),
    ]:
        assert _WIRE.fold_binary(name, value) == f"{name}: {value}\r\n".encode()
        assert _WIRE.fold_binary(name, value) == REFERENCE.fold_binary(name, value)
