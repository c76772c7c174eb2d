"""Public certificate codes: format, lenient parsing, and the check symbol's guarantees."""

import re
import secrets

import pytest

from app.certificates.codes import (
    CHECK_ALPHABET,
    CODE_LENGTH,
    DATA_ALPHABET,
    CodeStatus,
    check_symbol,
    new_code,
    parse_code,
)

CANONICAL = re.compile(r"OKR-(?:[0-9A-HJKMNP-TV-Z]{4}-){4}[0-9A-HJKMNP-TV-Z*~$=U]")
KNOWN = "OKR-7K3M-Q9TB-X2HD-4FRW-9"


def data_part(code: str) -> str:
    return code.replace("-", "")[3:-1]


def test_new_codes_are_canonical_and_round_trip():
    codes = [new_code() for _ in range(2000)]
    assert len(set(codes)) == len(codes)
    for code in codes:
        assert CANONICAL.fullmatch(code), code
        assert len(code) == CODE_LENGTH
        parsed = parse_code(code)
        assert parsed.ok and parsed.canonical == code


def test_new_codes_make_file_names_every_browser_keeps():
    # Chromium saved OKR-…-*.pdf as OKR-…-_.pdf: 1 code in 37 ended with "*".
    endings = {new_code()[-1] for _ in range(3000)}
    assert "*" not in endings
    assert len(endings) == 36


def test_codes_carry_eighty_random_bits():
    data = data_part(new_code())
    assert len(data) == 16 and set(data) <= set(DATA_ALPHABET)
    assert len(DATA_ALPHABET) ** len(data) == 2**80


@pytest.mark.parametrize(
    "typed",
    [
        KNOWN,
        KNOWN.lower(),
        "okr 7k3m q9tb x2hd 4frw 9",
        "OKR7K3MQ9TBX2HD4FRW9",
        "7K3M-Q9TB-X2HD-4FRW-9",
        "7k3mq9tbx2hd4frw9",
        "  OKR--7K3M - Q9TB-X2HD-4FRW-9 \n",
        "0KR-7K3M-Q9TB-X2HD-4FRW-9",
        "OKR\u20137K3M\u2013Q9TB\u2013X2HD\u20134FRW\u20139",
    ],
)
def test_lenient_input_gives_the_canonical_code(typed):
    parsed = parse_code(typed)
    assert parsed.status is CodeStatus.OK
    assert parsed.canonical == KNOWN


def test_look_alike_letters_read_as_digits():
    code = "OKR-1000-0000-0000-0000-" + check_symbol("1000000000000000")
    typed = code.replace("1", "l", 1).replace("-0000-", "-OOOO-", 1)
    assert parse_code(typed).canonical == code
    assert parse_code(code.replace("1", "I", 1)).canonical == code


def test_a_code_whose_data_starts_like_the_prefix_is_not_cut():
    data = "0KR" + "0" * 13
    code = f"OKR-{data[:4]}-{data[4:8]}-{data[8:12]}-{data[12:]}-{check_symbol(data)}"
    assert parse_code(code).canonical == code
    assert parse_code(data + check_symbol(data)).canonical == code


@pytest.mark.parametrize(
    "typed",
    ["", "   ", "OKR-7K3M", KNOWN + "7", "OKR-7K3M-Q9TB-X2HD-4FRU-9", "OKR-7K3M-Q9TB-X2HD-4FR!-9"],
)
def test_malformed_codes_are_told_apart(typed):
    parsed = parse_code(typed)
    assert parsed.status is CodeStatus.MALFORMED
    assert parsed.canonical is None and parsed.message


def test_a_wrong_check_symbol_is_mistyped_not_malformed():
    parsed = parse_code(KNOWN[:-1] + "A")
    assert parsed.status is CodeStatus.MISTYPED
    assert parsed.canonical is None
    assert "mistyped" in parsed.message


def test_check_symbol_is_the_value_modulo_37():
    for value in [*range(0, 37 * 40, 7), 2**80 - 1]:
        data = "".join(DATA_ALPHABET[(value >> 5 * i) & 31] for i in reversed(range(16)))
        assert check_symbol(data) == CHECK_ALPHABET[value % 37]


@pytest.mark.parametrize("seed", range(40))
def test_every_single_substitution_is_caught(seed):
    data = data_part(new_code()) if seed else "0" * 16
    for position in range(len(data)):
        for symbol in DATA_ALPHABET:
            if symbol == data[position]:
                continue
            typo = data[:position] + symbol + data[position + 1 :]
            assert parse_code(typo + check_symbol(data)).status is CodeStatus.MISTYPED


@pytest.mark.parametrize("seed", range(40))
def test_every_adjacent_transposition_is_caught(seed):
    data = data_part(new_code()) if seed else "0123456789ABCDEF"
    check = check_symbol(data)
    for position in range(len(data) - 1):
        left, right = data[position], data[position + 1]
        if left == right:
            continue
        swapped = data[:position] + right + left + data[position + 2 :]
        assert parse_code(swapped + check).status is CodeStatus.MISTYPED


def test_substituting_the_check_symbol_is_caught():
    data = data_part(KNOWN)
    for symbol in set(CHECK_ALPHABET) - {check_symbol(data)}:
        assert parse_code(data + symbol).status is CodeStatus.MISTYPED


def test_codes_are_unpredictable(monkeypatch):
    drawn = []
    real = secrets.randbits

    def spy(bits):
        drawn.append(bits)
        return real(bits)

    monkeypatch.setattr(secrets, "randbits", spy)
    new_code()
    assert drawn and set(drawn) == {80}  # a second draw when the first ended in "*"


def test_a_code_that_would_end_in_a_star_is_drawn_again(monkeypatch):
    values = iter([CHECK_ALPHABET.index("*"), 0])  # 32 mod 37 checks as "*"; 0 as "0"
    monkeypatch.setattr(secrets, "randbits", lambda bits: next(values))
    assert new_code() == "OKR-0000-0000-0000-0000-0"
