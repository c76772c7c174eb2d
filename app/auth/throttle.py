"""The login throttle: every password check is paid for before the slow hash is computed.

The counters live in the rate limiter's storage (memory, or one Redis shared by every host).
Each is moved by one atomic increment before the hash, so guesses sent at the same moment
cannot slip past a limit, and a login that succeeds gets its reservation back. The budgets:

- per account and client (`LOGIN_LIMIT_PER_ACCOUNT`): failed logins for one account from one
  address, or from one device that logged into the account before. Strangers who spend theirs
  shut out nobody but themselves;
- per account, from clients it does not know (`LOGIN_SLOWDOWN_PER_ACCOUNT`): past it, those
  clients share one guess per wait, the wait doubling with each further failure up to
  `LOGIN_SLOWDOWN_MAX_SECONDS`. The account is slowed down, never locked, and its known
  devices are not slowed at all.

(Every login attempt from an address also counts against `LOGIN_LIMIT_PER_CLIENT`, on the
route.) A device becomes known to an account by logging into it: a signed cookie carries a
random device id and keyed digests of the accounts it logged into, never their addresses.
"""
from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from flask_babel import LazyString, lazy_gettext as _l, ngettext
from itsdangerous import BadSignature, URLSafeTimedSerializer
from limits import RateLimitItem, parse
from limits.storage import Storage

KNOWN_DEVICE_COOKIE = "known_device"
KNOWN_DEVICE_SECONDS = 180 * 24 * 60 * 60
#: a device remembers the accounts it logged into most recently, at most this many
KNOWN_DEVICE_ACCOUNTS = 8
#: the first wait once an account's budget for unknown clients is spent; each failure doubles it
FIRST_WAIT_SECONDS = 10

SPENT_HERE = _l("Too many failed logins for this account from here. Please try again in "
                "%(wait)s.")
SLOWED_DOWN = _l("This account has had many failed logins from other places, so devices it has "
                 "not been used on wait their turn: please try again in %(wait)s. A device you "
                 "have logged in from before is not held up.")


class LoginThrottled(Exception):
    """No password was checked: too many failed logins; try again after `retry_after` s.

    The sentence is put together when it is shown, in the language of the page showing it.
    """

    def __init__(self, refusal: LazyString, retry_after: int) -> None:
        super().__init__(refusal, retry_after)
        self.refusal = refusal
        self.retry_after = retry_after

    def __str__(self) -> str:
        return str(self.refusal) % {"wait": _say(self.retry_after)}


@dataclass(frozen=True)
class KnownDevice:
    """A browser that logged in before: its id and the accounts (as digests) it logged into."""

    id: str
    accounts: tuple[str, ...] = ()

    @classmethod
    def load(cls, cookie: str | None, secret: str) -> KnownDevice:
        """The device the cookie names, or a new one when there is no valid cookie."""
        try:
            data = _serializer(secret).loads(cookie or "", max_age=KNOWN_DEVICE_SECONDS)
        except BadSignature:
            return cls(secrets.token_urlsafe(16))
        device_id, accounts = data.get("id"), data.get("accounts")
        if not isinstance(device_id, str) or not isinstance(accounts, list) \
                or not all(isinstance(a, str) for a in accounts):
            return cls(secrets.token_urlsafe(16))
        return cls(device_id, tuple(accounts[:KNOWN_DEVICE_ACCOUNTS]))

    def knows(self, account: str) -> bool:
        return account in self.accounts

    def remembering(self, account: str) -> KnownDevice:
        """This device, having logged into `account` just now."""
        others = tuple(a for a in self.accounts if a != account)
        return KnownDevice(self.id, ((account,) + others)[:KNOWN_DEVICE_ACCOUNTS])

    def dump(self, secret: str) -> str:
        return _serializer(secret).dumps({"id": self.id, "accounts": list(self.accounts)})


def account_key(secret: str, email: str) -> str:
    """A keyed digest naming the account an email (already normalised) would log into."""
    digest = hmac.new(secret.encode("utf-8"), b"login-account:" + email.encode("utf-8"),
                      hashlib.sha256)
    return digest.hexdigest()[:32]


@dataclass
class Reservation:
    """One password check paid for: the counters it moved, given back if the login succeeds."""

    account: str
    device: KnownDevice
    counters: list[tuple[str, int]] = field(default_factory=list)


class LoginThrottle:
    """The login budgets over one storage; knows nothing of requests."""

    def __init__(self, storage: Storage, per_pair: RateLimitItem, slowdown: RateLimitItem,
                 max_wait: int, clock: Callable[[], float] = time.time) -> None:
        self.storage = storage
        self.per_pair = per_pair
        self.slowdown = slowdown
        self.max_wait = max(1, max_wait)
        self.clock = clock

    @classmethod
    def from_config(cls, storage: Storage, config: Mapping) -> LoginThrottle:
        return cls(storage, parse(config["LOGIN_LIMIT_PER_ACCOUNT"]),
                   parse(config["LOGIN_SLOWDOWN_PER_ACCOUNT"]),
                   int(config["LOGIN_SLOWDOWN_MAX_SECONDS"]))

    def reserve(self, account: str, device: KnownDevice, address: str) -> Reservation:
        """Pay for one password check on `account`, or raise LoginThrottled."""
        known = device.knows(account)
        reservation = Reservation(account, device)
        client = f"device:{device.id}" if known else f"address:{address}"
        pair = self._key("pair", self.per_pair, account, client)
        if self._add(reservation, pair, self.per_pair) > self.per_pair.amount:
            raise LoginThrottled(SPENT_HERE, self._wait(pair))
        if known:
            return reservation
        failures = self._key("account", self.slowdown, account)
        past_budget = self._add(reservation, failures, self.slowdown) - self.slowdown.amount
        if past_budget > 0:
            turn = f"login/turn/{account}"
            if self.storage.incr(turn, self.wait_after(past_budget)) > 1:
                self.refund(reservation)
                raise LoginThrottled(SLOWED_DOWN, self._wait(turn))
        return reservation

    def wait_after(self, past_budget: int) -> int:
        """The wait before the next guess once `past_budget` guesses went past the budget."""
        return min(FIRST_WAIT_SECONDS * 2 ** min(past_budget - 1, 32), self.max_wait)

    def refund(self, reservation: Reservation) -> None:
        """Give back what the reservation paid: the login succeeded, or was never tried."""
        for key, expiry in reservation.counters:
            # A window that ended meanwhile starts again at zero, not at minus one.
            if self.storage.get(key) > 0:
                self.storage.incr(key, expiry, amount=-1)
        reservation.counters.clear()

    def _add(self, reservation: Reservation, key: str, item: RateLimitItem) -> int:
        reservation.counters.append((key, item.get_expiry()))
        return self.storage.incr(key, item.get_expiry())

    def _wait(self, key: str) -> int:
        return max(1, math.ceil(self.storage.get_expiry(key) - self.clock()))

    @staticmethod
    def _key(kind: str, item: RateLimitItem, *parts: str) -> str:
        return "/".join(("login", kind, str(item.amount), str(item.get_expiry()), *parts))


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt="known-device")


def _say(seconds: int) -> str:
    if seconds < 90:
        return ngettext("%(num)d second", "%(num)d seconds", seconds)
    return ngettext("%(num)d minute", "%(num)d minutes", math.ceil(seconds / 60))
