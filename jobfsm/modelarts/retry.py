"""How a job source retries a request that failed for a while: exponential backoff with full jitter.

A request that met HTTP 429, a 5xx, a timeout, a lost connection or a body it could not read is
sent again, up to :attr:`RetryPolicy.attempts` times in all. Before retry ``n`` (1 for the first)
the source waits a random time between 0 and ``min(cap, base * 2 ** (n - 1))`` seconds ("full
jitter": many pollers throttled at once do not come back in step); when the service said how long
to wait (``Retry-After``), at least that, up to ``cap``.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

from jobfsm.errors import InvalidArgument

__all__ = ["DEFAULT_RETRY", "RetryPolicy", "retry_after"]


@dataclass(frozen=True)
class RetryPolicy:
    """How many times a request is sent, and the backoff between two sends.

    Attributes:
        attempts: sends in all, 1 or more (1: no retry).
        base: the first retry's longest wait, in seconds (more than 0).
        cap: the longest wait before any retry, in seconds (``base`` or more); also the most a
            ``Retry-After`` is honoured.

    >>> policy = RetryPolicy(attempts=4, base=0.5, cap=2.0)
    >>> [policy.ceiling(n) for n in (1, 2, 3)]
    [0.5, 1.0, 2.0]
    >>> 0.0 <= policy.delay(3, random.Random(1)) <= 2.0
    True
    >>> policy.delay(1, random.Random(1), retry_after=10.0)   # the service's wait, up to cap
    2.0
    """

    attempts: int = 5
    base: float = 0.5
    cap: float = 30.0

    def __post_init__(self) -> None:
        if type(self.attempts) is not int or self.attempts < 1:
            raise InvalidArgument("attempts", self.attempts, "a whole number of 1 or more")
        for name in ("base", "cap"):
            value = getattr(self, name)
            if type(value) not in (int, float) or not 0 < value < math.inf:
                raise InvalidArgument(name, value, "a finite number of seconds above 0")
        if self.cap < self.base:
            raise InvalidArgument("cap", self.cap, f"at least base ({self.base!r} s)")

    def ceiling(self, retry: int) -> float:
        """The longest wait before retry number ``retry`` (1 for the first)."""
        # Compared as logarithms first: base * 2 ** 1100 is no float.
        if retry - 1 >= math.log2(self.cap / self.base):
            return float(self.cap)
        return float(self.base * 2.0 ** (retry - 1))

    def delay(self, retry: int, rng: random.Random, *, retry_after: float | None = None) -> float:
        """A wait before retry number ``retry``: uniform in ``[0, ceiling(retry)]``, and at least
        ``retry_after`` (the service's ``Retry-After``) up to :attr:`cap`."""
        wait = rng.uniform(0.0, self.ceiling(retry))
        if retry_after is not None and retry_after > 0:
            wait = max(wait, min(retry_after, self.cap))
        return wait


#: What a source retries by when given no policy: 5 sends, waits of up to 0.5, 1, 2 and 4 s.
DEFAULT_RETRY = RetryPolicy()


def retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """The seconds a ``Retry-After`` header asks to wait (a number, or an HTTP date), or None
    when it is missing or says nothing usable.

    >>> retry_after("3"), retry_after(" 1.5 "), retry_after("soon"), retry_after(None)
    (3.0, 1.5, None, None)
    >>> retry_after("Thu, 01 Jan 2026 00:00:30 GMT", datetime(2026, 1, 1, tzinfo=timezone.utc))
    30.0
    """
    if value is None:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = (when - (now or datetime.now(timezone.utc))).total_seconds()
    return seconds if 0 <= seconds < math.inf else None
