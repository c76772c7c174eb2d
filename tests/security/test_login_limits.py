"""Password guessing against one account is limited however the guesser varies the request.

tests/test_auth.py covers the limits per account and client and per client, and
test_login_abuse.py shows that strangers cannot lock the owner out; these cover the ways around
the limits: guesses from many addresses, and the same email written differently."""
from __future__ import annotations

import re

from limits import parse

WRONG = "Wrong-password-1"


def guess(browser, email: str, address: str = "127.0.0.1"):
    return browser.post("/login", {"email": email, "password": WRONG},
                        environ_base={"REMOTE_ADDR": address})


def test_guesses_from_many_addresses_count_against_the_account_then_wait(app, browser,
                                                                         make_user):
    # Each address has a budget of its own, so the account counts them all: past its budget,
    # clients it does not know get one guess per wait (they used to lock the owner out instead).
    make_user(email="target@example.com")
    budget = parse(app.config["LOGIN_SLOWDOWN_PER_ACCOUNT"]).amount
    responses = [guess(browser, "target@example.com", f"203.0.113.{n}")
                 for n in range(1, budget + 4)]
    codes = [response.status_code for response in responses]
    assert codes == [401] * (budget + 1) + [429] * 2, codes
    wait = re.search(r"try again in (\d+) seconds", responses[-1].get_data(as_text=True))
    assert wait and 1 <= int(wait.group(1)) <= 10, "the first wait is the shortest"


def test_the_same_email_written_differently_is_the_same_account(browser, make_user):
    make_user(email="target@example.com")
    spellings = ["target@example.com", "TARGET@example.com", " Target@Example.com ",
                 "target@EXAMPLE.COM", "tArGeT@example.com", "TARGET@EXAMPLE.COM"]
    codes = [guess(browser, email).status_code for email in spellings]
    assert codes == [401] * 5 + [429], codes
