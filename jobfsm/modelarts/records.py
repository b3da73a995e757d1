"""What a poll of ModelArts gives: an :class:`Observation` per v2 training job it read, a
:class:`BadRecord` per record (or body) it could not read, and the reading of both.

A record is read as status logs read v2 records (:func:`jobfsm.logs.modelarts._v2_fields`): the
job id is ``metadata.id``, the phase ``status.phase``, and the observation time
``metadata.create_time + status.duration`` in milliseconds, since the API gives no time of the
observation itself.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import orjson

from jobfsm.errors import UnknownStatus, _shown
from jobfsm.lifecycle import Lifecycle
from jobfsm.logs.modelarts import V2_SHAPE, _v2_fields
from jobfsm.logs.reader import _ACCEPTED_JOB, _job_id_problem
from jobfsm.vocabulary import Status

__all__ = ["BadRecord", "Observation", "read_page", "read_record"]


class Observation(NamedTuple):
    """A training job seen in a phase: what one record of a poll says.

    ``observed_at`` is in seconds since the epoch (``create_time + duration``);
    ``secondary_phase`` is the platform's finer status, or None when it gave none.
    """

    job_id: str
    phase: Status
    secondary_phase: str | None
    observed_at: float


class BadRecord(NamedTuple):
    """A record, or a whole answer, that could not be read; the rest of the poll is still used.

    ``where`` says which (``"page 3, item 7"``, ``"job 'a1b2'"``, ``"page 2"``), ``reason`` what
    is wrong with it, and ``job_id`` is the job's id when it could be read.
    """

    where: str
    reason: str
    job_id: str | None = None

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


def read_record(record: object, lifecycle: Lifecycle) -> Observation:
    """The observation a v2 training-job record gives.

    >>> from jobfsm.lifecycles import get_lifecycle
    >>> v2 = get_lifecycle("modelarts-v2")
    >>> read_record({"metadata": {"id": "a1", "create_time": 1767225600000},
    ...              "status": {"phase": "Running", "secondary_phase": "Running",
    ...                         "duration": 60000}}, v2)
    Observation(job_id='a1', phase=<Phase2.Running: 2>, secondary_phase='Running',
                observed_at=1767225660.0)

    Raises:
        ValueError: naming the field that is missing or wrong, and what is expected.
    """
    if type(record) is not dict:
        raise ValueError(f"a JSON {_json_type(record)}; expected {V2_SHAPE}")
    raw_id, phase, detail, when = _v2_fields(record)
    # Read as status logs read ids: 42 and "42" are one job.
    if type(raw_id) is int:
        job_id = str(raw_id)
    elif type(raw_id) is str:
        job_id = raw_id
    else:
        raise ValueError(f"metadata.id {_shown(raw_id)} is not a job id; expected {_ACCEPTED_JOB}")
    problem = _job_id_problem("metadata.id", job_id)
    if problem is not None:
        raise ValueError(problem)
    if type(phase) is not str:
        raise ValueError(f"status.phase {_shown(phase)} is not a phase; expected a phase name")
    try:
        status = lifecycle.statuses.parse(phase)
    except UnknownStatus as exc:
        raise ValueError(f"status.phase: {exc.message}") from None
    if detail is not None and type(detail) is not str:
        detail = _shown(detail)
    return Observation(job_id, status, detail or None, when)


def _json_type(value: object) -> str:
    names = {list: "array", str: "string", int: "number", float: "number", bool: "boolean"}
    return names.get(type(value), "null" if value is None else type(value).__name__)


def read_page(body: bytes) -> tuple[list[Any], int | None]:
    """The items of a list answer's body and the ``count`` of jobs it says match (None when it
    gives none).

    >>> read_page(b'{"count": 2, "items": [{"metadata": {}}, {}]}')
    ([{'metadata': {}}, {}], 2)

    Raises:
        ValueError: the body is not JSON (cut short, or garbage), or not an object with a list of
            ``items``.
    """
    found = read_json(body)
    if type(found) is not dict:
        raise ValueError(
            f"the body is a JSON {_json_type(found)}; expected an object with a list of items"
        )
    items = found.get("items")
    if type(items) is not list:
        raise ValueError(f"items is {_shown(items)}; expected a list of training jobs")
    count = found.get("count")
    return items, count if type(count) is int and count >= 0 else None


def read_json(body: bytes) -> object:
    """``body`` parsed as JSON.

    Raises:
        ValueError: it is not JSON, saying how long it was and how it starts.
    """
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        what = f"{len(body):,} bytes starting {body[:40]!r}" if body.strip() else "an empty body"
        raise ValueError(f"the body is not JSON ({exc}): {what}") from None
