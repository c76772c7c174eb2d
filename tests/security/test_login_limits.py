"""Password guessing against one account is limited however the guesser varies the request.

tests/test_auth.py covers the limits per account and per client; these cover the ways around
them: guesses from many addresses, and the same email written differently."""
from __future__ import annotations

WRONG = "Wrong-password-1"


def guess(browser, email: str, address: str = "127.0.0.1"):
    return browser.post("/login", {"email": email, "password": WRONG},
                        environ_base={"REMOTE_ADDR": address})


def test_guesses_from_many_addresses_still_count_against_the_account(browser, make_user):
    make_user(email="target@example.com")
    codes = [guess(browser, "target@example.com", f"203.0.113.{n}").status_code
             for n in range(1, 7)]
    assert codes[:5] == [401] * 5 and codes[5] == 429, codes


def test_the_same_email_written_differently_is_the_same_account(browser, make_user):
    make_user(email="target@example.com")
    spellings = ["target@example.com", "TARGET@example.com", " Target@Example.com ",
                 "target@EXAMPLE.COM", "tArGeT@example.com", "TARGET@EXAMPLE.COM"]
    codes = [guess(browser, email).status_code for email in spellings]
    assert codes[:5] == [401] * 5 and codes[5] == 429, codes
