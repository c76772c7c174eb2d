"""Password hashing (argon2id) and the strength rule."""
from __future__ import annotations

import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hashers: dict[tuple[int, int], PasswordHasher] = {}

COMMON_PASSWORDS = {
    "password", "password1", "password123", "passw0rd", "123456789", "1234567890", "qwertyuiop",
    "iloveyou", "letmein123", "welcome123", "admin12345", "changeme123", "okracademy",
}


def hasher(time_cost: int = 3, memory_cost: int = 65536) -> PasswordHasher:
    key = (time_cost, memory_cost)
    if key not in _hashers:
        _hashers[key] = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost)
    return _hashers[key]


def hash_password(password: str, ph: PasswordHasher) -> str:
    return ph.hash(password)


def check_password(password_hash: str, password: str, ph: PasswordHasher) -> bool:
    try:
        return ph.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def password_problems(password: str, *, min_length: int, email: str = "", name: str = "") -> list[str]:
    """Sentences explaining why a password is too weak (empty when it is acceptable)."""
    problems = []
    if len(password) < min_length:
        problems.append(f"Use at least {min_length} characters.")
    if len(password) > 256:
        problems.append("Use at most 256 characters.")
    kinds = sum(bool(re.search(p, password)) for p in (r"[a-z]", r"[A-Z]", r"\d", r"[^A-Za-z0-9]"))
    if kinds < 3:
        problems.append("Mix at least three of: lower case, upper case, digits, symbols.")
    lowered = password.lower()
    if lowered in COMMON_PASSWORDS or len(set(password)) < 5:
        problems.append("This password is too easy to guess.")
    local_part = email.split("@")[0].lower()
    if local_part and len(local_part) >= 4 and local_part in lowered:
        problems.append("Do not use your email address in the password.")
    if name and any(len(part) >= 4 and part.lower() in lowered for part in name.split()):
        problems.append("Do not use your name in the password.")
    return problems
