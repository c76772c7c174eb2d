"""Public certificate codes: 80 random bits, Crockford base32, a check symbol.

A code reads ``OKR-7K3M-Q9TB-X2HD-4FRW-9``: the ``OKR`` prefix, four groups of four
data symbols (80 bits) and Crockford's mod-37 check symbol. People may type it with
or without the prefix, in lower case, with spaces or any dashes, and with the
look-alikes O (for 0) and I or L (for 1): :func:`parse_code` accepts all of these
and tells a malformed code (wrong length or characters) apart from a mistyped one
(well formed, but the check symbol disagrees).

The check symbol is the 80-bit value modulo 37. Because 37 is prime and divides
neither 32 nor 31, it catches every single-symbol substitution (the value changes by
``k * 32**i`` with ``0 < |k| < 32``) and every swap of two adjacent symbols (the value
changes by ``k * 31 * 32**i``).
"""

from __future__ import annotations

import enum
import re
import secrets
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

CODE_PREFIX = "OKR"
DATA_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CHECK_ALPHABET = DATA_ALPHABET + "*~$=U"
DATA_SYMBOLS = 16
DATA_BITS = 5 * DATA_SYMBOLS
GROUP_SIZE = 4
#: Length of the canonical form, e.g. ``OKR-7K3M-Q9TB-X2HD-4FRW-9``.
CODE_LENGTH = len(CODE_PREFIX) + DATA_SYMBOLS + 1 + (DATA_SYMBOLS // GROUP_SIZE + 1)

_CHECK_MODULUS = len(CHECK_ALPHABET)
_LOOK_ALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212_./]+")
_PREFIX_NORMALISED = CODE_PREFIX.translate(_LOOK_ALIKES)


class CodeStatus(enum.StrEnum):
    """How a typed code fared: usable, malformed, or well formed with a wrong check symbol."""

    OK = "ok"
    MALFORMED = "malformed"
    MISTYPED = "mistyped"


@dataclass(frozen=True, slots=True)
class ParsedCode:
    """The outcome of reading a code typed by a person."""

    status: CodeStatus
    canonical: str | None
    #: why the code is unusable, in the reader's language when it is shown ("" when it is ok)
    message: str | LazyString

    @property
    def ok(self) -> bool:
        """True when the code is well formed and its check symbol agrees."""
        return self.status is CodeStatus.OK


#: Check symbols a new code never ends with: Windows forbids ``*`` in file names,
#: so browsers rename the downloaded ``<code>.pdf``, and shells expand it.
#: Codes already issued with it stay valid.
UNSAFE_CHECK_SYMBOLS = frozenset("*")


def new_code() -> str:
    """Return a fresh random certificate code in canonical form (file-name safe)."""
    while True:
        code = _format(secrets.randbits(DATA_BITS))
        if code[-1] not in UNSAFE_CHECK_SYMBOLS:
            return code


def check_symbol(data: str) -> str:
    """Return the mod-37 check symbol for 16 data symbols (canonical alphabet)."""
    return CHECK_ALPHABET[_decode(data) % _CHECK_MODULUS]


def parse_code(text: str) -> ParsedCode:
    """Read a typed code leniently and return its canonical form or why it is unusable."""
    symbols = _strip_prefix(_normalise(text)).translate(_LOOK_ALIKES)
    if not symbols:
        return _malformed(_l("Please enter a certificate code, for example %(example)s.",
                             example=_EXAMPLE))
    if len(symbols) != DATA_SYMBOLS + 1:
        return _malformed(_l(
            "A certificate code has %(expected)d letters and digits after %(prefix)s-, for "
            "example %(example)s; this one has %(typed)d.",
            expected=DATA_SYMBOLS + 1, prefix=CODE_PREFIX, example=_EXAMPLE, typed=len(symbols),
        ))
    data, check = symbols[:-1], symbols[-1]
    bad = sorted({c for c in data if c not in DATA_ALPHABET} | ({check} - set(CHECK_ALPHABET)))
    if bad:
        return _malformed(_l(
            "A certificate code contains only digits and the letters A to Z except U "
            "(its last character may also be U, *, ~, $ or =); this one contains %(found)s.",
            found=" ".join(bad),
        ))
    if check_symbol(data) != check:
        return ParsedCode(
            CodeStatus.MISTYPED,
            None,
            _l("This code looks mistyped: a character is wrong, or two neighbouring "
               "characters are swapped. Please compare it with the certificate again."),
        )
    return ParsedCode(CodeStatus.OK, _format(_decode(data)), "")


def _format(value: int) -> str:
    data = "".join(
        DATA_ALPHABET[(value >> (5 * shift)) & 31] for shift in reversed(range(DATA_SYMBOLS))
    )
    groups = [data[i : i + GROUP_SIZE] for i in range(0, DATA_SYMBOLS, GROUP_SIZE)]
    return "-".join([CODE_PREFIX, *groups, CHECK_ALPHABET[value % _CHECK_MODULUS]])


def _decode(data: str) -> int:
    value = 0
    for symbol in data:
        value = value * 32 + DATA_ALPHABET.index(symbol)
    return value


def _normalise(text: str) -> str:
    return _SEPARATORS.sub("", text).upper()


def _strip_prefix(symbols: str) -> str:
    # A bare code may itself begin with "0KR", so a 17-symbol input keeps its start.
    # "0KR" counts as the prefix typed with a zero: the look-alike rule applies here too.
    has_prefix = symbols[: len(CODE_PREFIX)].translate(_LOOK_ALIKES) == _PREFIX_NORMALISED
    if has_prefix and len(symbols) != DATA_SYMBOLS + 1:
        return symbols[len(CODE_PREFIX) :]
    return symbols


def _malformed(message: LazyString) -> ParsedCode:
    return ParsedCode(CodeStatus.MALFORMED, None, message)


_EXAMPLE = "OKR-7K3M-Q9TB-X2HD-4FRW-9"
