"""Watching ModelArts: v2 training jobs polled through Huawei Cloud's SDK, judged and stored.

- :mod:`~jobfsm.modelarts.source`: :class:`ModelArtsSource` pages through (or shows) a
  project's v2 training jobs with the SDK (the ``modelarts`` extra), retrying throttled and
  failed requests, and reads each record into an :class:`Observation` or a :class:`BadRecord`;
- :mod:`~jobfsm.modelarts.records`: those two, and how a record is read;
- :mod:`~jobfsm.modelarts.retry`: the :class:`RetryPolicy` (exponential backoff, full jitter);
- :mod:`~jobfsm.modelarts.watch`: the :class:`Watcher` loop, poll → judgment → store, and the
  :class:`CycleReport` of each cycle with its events and where the time went.

Importing this package needs neither extra: the SDK is imported when a ModelArtsSource is made
(:class:`~jobfsm.errors.MissingExtra` names the extra when it is missing), and a Watcher takes any
source with ``lifecycle`` and ``poll()``.
"""

from __future__ import annotations

from jobfsm.modelarts.records import BadRecord, Observation
from jobfsm.modelarts.retry import DEFAULT_RETRY, RetryPolicy
from jobfsm.modelarts.source import ModelArtsSource, Poll, PollCancelled
from jobfsm.modelarts.watch import CycleReport, EventKind, Watcher, WatchEvent

__all__ = [
    "DEFAULT_RETRY",
    "BadRecord",
    "CycleReport",
    "EventKind",
    "ModelArtsSource",
    "Observation",
    "Poll",
    "PollCancelled",
    "RetryPolicy",
    "WatchEvent",
    "Watcher",
]
