"""The login throttle's budgets, waits, refunds and known devices, on a storage whose clock the
test moves, and its atomicity on the rate limiter's real memory storage."""
from __future__ import annotations

import threading

import pytest
from limits import parse
from limits.storage import MemoryStorage

from app.auth.throttle import (
    KNOWN_DEVICE_ACCOUNTS, KnownDevice, LoginThrottle, LoginThrottled, account_key,
)

SECRET = "a-test-secret-of-enough-length-0123456789"
ACCOUNT = account_key(SECRET, "owner@example.com")


class ClockedStorage:
    """The two storage calls the throttle makes, with fixed windows on a clock the test moves."""

    def __init__(self) -> None:
        self.now = 1_000_000.0
        self.counts: dict[str, tuple[int, float]] = {}

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        count, expires = self.counts.get(key, (0, 0.0))
        if expires <= self.now:
            count, expires = 0, self.now + expiry
        self.counts[key] = (count + amount, expires)
        return count + amount

    def get(self, key: str) -> int:
        count, expires = self.counts.get(key, (0, 0.0))
        return count if expires > self.now else 0

    def get_expiry(self, key: str) -> float:
        return self.counts.get(key, (0, self.now))[1]


@pytest.fixture
def storage() -> ClockedStorage:
    return ClockedStorage()


def throttle(storage, pair: str = "5 per 5 minutes", slowdown: str = "3 per day",
             max_wait: int = 300) -> LoginThrottle:
    return LoginThrottle(storage, parse(pair), parse(slowdown), max_wait,
                         clock=lambda: storage.now)


def stranger(n: int) -> tuple[KnownDevice, str]:
    return KnownDevice(f"device-{n}"), f"198.51.100.{n}"


def test_past_the_budget_each_guess_waits_longer_up_to_the_most(storage):
    login = throttle(storage)
    for n in range(3):
        login.reserve(ACCOUNT, *stranger(n))
    waits = []
    for n in range(3, 12):
        login.reserve(ACCOUNT, *stranger(n))  # the one guess of this turn
        with pytest.raises(LoginThrottled) as refused:
            login.reserve(ACCOUNT, *stranger(100 + n))
        waits.append(refused.value.retry_after)
        storage.now += refused.value.retry_after
    assert waits == [10, 20, 40, 80, 160, 300, 300, 300, 300]


def test_a_guess_refused_for_its_turn_costs_its_client_nothing(storage):
    login = throttle(storage, pair="2 per 5 minutes", slowdown="1 per day")
    login.reserve(ACCOUNT, *stranger(1))
    login.reserve(ACCOUNT, *stranger(2))
    device, address = stranger(3)
    for _ in range(10):
        with pytest.raises(LoginThrottled) as refused:
            login.reserve(ACCOUNT, device, address)
        assert "devices it has not been used on" in str(refused.value)
    for wait in (10, 20):
        storage.now += wait
        login.reserve(ACCOUNT, device, address)
    storage.now += 40
    with pytest.raises(LoginThrottled) as refused:
        login.reserve(ACCOUNT, device, address)
    assert "from here" in str(refused.value), "only its two guesses counted"


def test_a_login_that_succeeds_is_refunded(storage):
    login = throttle(storage, pair="2 per 5 minutes")
    for _ in range(10):
        login.refund(login.reserve(ACCOUNT, *stranger(1)))
    login.reserve(ACCOUNT, *stranger(1))
    login.reserve(ACCOUNT, *stranger(1))
    with pytest.raises(LoginThrottled) as refused:
        login.reserve(ACCOUNT, *stranger(1))
    assert refused.value.retry_after == 300
    assert "from here" in str(refused.value) and "5 minutes" in str(refused.value)


def test_a_refund_after_the_window_ended_gives_no_extra_guess(storage):
    login = throttle(storage, pair="2 per 5 minutes")
    attempt = login.reserve(ACCOUNT, *stranger(1))
    storage.now += 301  # the window ends while the password is checked
    login.refund(attempt)
    login.reserve(ACCOUNT, *stranger(1))
    login.reserve(ACCOUNT, *stranger(1))
    with pytest.raises(LoginThrottled):
        login.reserve(ACCOUNT, *stranger(1))


def test_a_known_device_is_not_held_up_and_has_a_budget_of_its_own(storage):
    login = throttle(storage, slowdown="1 per day")
    laptop = KnownDevice("laptop").remembering(ACCOUNT)
    for n in range(3):
        try:
            login.reserve(ACCOUNT, *stranger(n))
        except LoginThrottled:
            pass
    shared_address = "198.51.100.1"
    for _ in range(5):
        login.reserve(ACCOUNT, laptop, shared_address)
    with pytest.raises(LoginThrottled):
        login.reserve(ACCOUNT, laptop, shared_address)
    other_account = account_key(SECRET, "someone@example.com")
    assert not laptop.knows(other_account)


def test_known_devices_are_signed_and_bounded():
    device = KnownDevice("laptop")
    for n in range(KNOWN_DEVICE_ACCOUNTS + 3):
        device = device.remembering(account_key(SECRET, f"user{n}@example.com"))
    loaded = KnownDevice.load(device.dump(SECRET), SECRET)
    assert loaded == device and len(loaded.accounts) == KNOWN_DEVICE_ACCOUNTS
    assert loaded.accounts[0] == account_key(SECRET, f"user{KNOWN_DEVICE_ACCOUNTS + 2}@example.com")
    for forged in (device.dump("another-secret"), device.dump(SECRET)[:-2] + "xx", "", None):
        fresh = KnownDevice.load(forged, SECRET)
        assert fresh.accounts == () and fresh.id != "laptop"


def test_concurrent_reservations_never_pass_the_limit():
    login = LoginThrottle(MemoryStorage(), parse("5 per 5 minutes"), parse("7 per day"), 300)
    passed, start = [], threading.Barrier(40)

    def guess(n: int, address: str) -> None:
        start.wait()
        try:
            login.reserve(ACCOUNT, KnownDevice(f"d{n}"), address)
            passed.append(address)
        except LoginThrottled:
            pass

    addresses = ["198.51.100.1"] * 20 + [f"203.0.113.{n}" for n in range(20)]
    threads = [threading.Thread(target=guess, args=(n, a)) for n, a in enumerate(addresses)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert passed.count("198.51.100.1") <= 5
    assert len(passed) == 8, "the account's budget, then one guess for this turn"
