"""Passwords hashed with argon2id (by default argon2-cffi's parameters, RFC 9106's second
recommendation: 64 MiB, three passes)."""

from __future__ import annotations

from functools import cached_property

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 8


class Passwords:
    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self.hasher = hasher or PasswordHasher()
        if self.hasher.type is not Type.ID:
            raise ValueError("passwords are hashed with argon2id")

    @cached_property
    def _dummy_hash(self) -> str:
        # Verified when the email is unknown, so a miss takes as long as a wrong password.
        return self.hasher.hash("momentum-no-such-user")

    def hash(self, password: str) -> str:
        return self.hasher.hash(password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        try:
            matched = self.hasher.verify(password_hash or self._dummy_hash, password)
        except (VerificationError, InvalidHashError):
            return False
        return matched and password_hash is not None

    def needs_rehash(self, password_hash: str) -> bool:
        return self.hasher.check_needs_rehash(password_hash)
