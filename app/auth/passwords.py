"""Password hashing (argon2id) and the strength rule."""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import LazyString, lazy_gettext as _l, lazy_ngettext

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


#: a password with fewer different characters than this is too easy to guess
MIN_DISTINCT_CHARACTERS = 5
MAX_LENGTH = 256
#: the parts of an email's local part or of a name shorter than this may appear in a password
MIN_PERSONAL_PART = 4


@dataclass(frozen=True)
class PasswordRule:
    """One rule a password must meet.

    `text` states the rule before anything is typed; `problem(password, email, name)` gives the
    sentence that says how a password breaks it, or None. `key` and `params` let the page's
    script tick the same rule as the password is typed; the server's check stays the one that
    counts.
    """

    key: str
    text: str | LazyString
    problem: Callable[[str, str, str], str | LazyString | None]
    params: tuple[tuple[str, str], ...] = ()


def password_rules(min_length: int) -> tuple[PasswordRule, ...]:
    """Every rule of the password policy, in the order they are shown and reported."""
    def length(password: str, email: str, name: str) -> LazyString | None:
        if len(password) < min_length:
            return lazy_ngettext("Use at least %(num)d character.",
                                 "Use at least %(num)d characters.", min_length)
        if len(password) > MAX_LENGTH:
            return _l("Use at most %(max)d characters.", max=MAX_LENGTH)
        return None

    return (
        PasswordRule("length", lazy_ngettext("At least %(num)d character (and at most %(max)d)",
                                             "At least %(num)d characters (and at most %(max)d)",
                                             min_length, max=MAX_LENGTH),
                     length, (("min", str(min_length)), ("max", str(MAX_LENGTH)))),
        PasswordRule("mix", _l("Three of: lower case, upper case, digits, symbols"), _mix),
        PasswordRule("guessable", _l("Not a common password, with at least %(num)d different "
                                     "characters", num=MIN_DISTINCT_CHARACTERS), _guessable,
                     (("distinct", str(MIN_DISTINCT_CHARACTERS)),
                      ("common", " ".join(sorted(COMMON_PASSWORDS))))),
        PasswordRule("email", _l("Not your email address"), _contains_email,
                     (("part", str(MIN_PERSONAL_PART)),)),
        PasswordRule("name", _l("Not your name"), _contains_name,
                     (("part", str(MIN_PERSONAL_PART)),)),
    )


def _mix(password: str, email: str, name: str) -> LazyString | None:
    kinds = sum(bool(re.search(p, password)) for p in (r"[a-z]", r"[A-Z]", r"\d", r"[^A-Za-z0-9]"))
    return _l("Mix at least three of: lower case, upper case, digits, symbols.") \
        if kinds < 3 else None


def _guessable(password: str, email: str, name: str) -> LazyString | None:
    if password.lower() in COMMON_PASSWORDS or len(set(password)) < MIN_DISTINCT_CHARACTERS:
        return _l("This password is too easy to guess.")
    return None


def _contains_email(password: str, email: str, name: str) -> LazyString | None:
    local_part = email.split("@")[0].lower()
    if len(local_part) >= MIN_PERSONAL_PART and local_part in password.lower():
        return _l("Do not use your email address in the password.")
    return None


def _contains_name(password: str, email: str, name: str) -> LazyString | None:
    if any(len(part) >= MIN_PERSONAL_PART and part.lower() in password.lower()
           for part in name.split()):
        return _l("Do not use your name in the password.")
    return None


def sentences(parts: list) -> LazyString:
    """The sentences as one text, each translated when the text is shown."""
    return LazyString(lambda: " ".join(str(part) for part in parts))


def broken_rules(password: str, *, min_length: int, email: str = "",
                 name: str = "") -> list[tuple[PasswordRule, LazyString]]:
    """The rules `password` breaks, each with the sentence that says how."""
    found = ((rule, rule.problem(password, email, name)) for rule in password_rules(min_length))
    return [(rule, problem) for rule, problem in found if problem]


def password_problems(password: str, *, min_length: int, email: str = "",
                      name: str = "") -> list[LazyString]:
    """Sentences explaining why a password is too weak (empty when it is acceptable)."""
    return [problem for _, problem in broken_rules(password, min_length=min_length, email=email,
                                                   name=name)]
