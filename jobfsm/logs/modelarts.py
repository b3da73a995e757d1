"""ModelArts records: v1 ``get_job_info()`` and create-job responses (the job and version ids,
the time ``create_time + duration`` in milliseconds), v2 training-job records as the SDK returns
them (``metadata.id``, ``status.phase``, ``status.secondary_phase``), and failed API responses."""

from __future__ import annotations

import math
from typing import Any, Final

from jobfsm.errors import _shown
from jobfsm.logs.reader import _job_id_problem
from jobfsm.logs.times import _ACCEPTED_RANGE, MAX_TIME, MIN_TIME

_ACCEPTED_MS: Final = {
    "create_time": "epoch milliseconds, 0 or more",
    "duration": "a finite number of milliseconds, 0 or more",
}


def _ms(value: object, field: str) -> float:
    """A ModelArts millisecond field: a finite number, never negative (time does not run back)."""
    try:
        number = float(value.strip() if type(value) is str else value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        number = math.nan
    # One comparison refuses NaN, infinities and negatives alike; the reason is found after.
    if 0.0 <= number < math.inf and type(value) is not bool:
        return number
    if type(value) is bool or not math.isfinite(number):
        raise ValueError(
            f"{field} {_shown(value)} is not a number of milliseconds; "
            f"expected {_ACCEPTED_MS[field]}"
        )
    raise ValueError(f"{field} {_shown(value)} is negative; expected {_ACCEPTED_MS[field]}")


def _modelarts_time(create_time: object, duration: object) -> float:
    """The observation time of a ModelArts record: ``create_time + duration``, in seconds."""
    total = _ms(create_time, "create_time") + _ms(duration, "duration")
    seconds = total / 1000.0
    if MIN_TIME <= seconds <= MAX_TIME:
        return seconds
    raise ValueError(
        f"create_time + duration ({total!r} ms) is out of range; expected a time {_ACCEPTED_RANGE}"
    )


def _failed(record: dict[str, Any]) -> str:
    """The bad-line reason of a failed ModelArts API response (``is_success`` false)."""
    # ModelArts v1 answers with error_msg; error_message is read when a client renamed it.
    text = record.get("error_msg", record.get("error_message"))
    return (
        f"a failed API response (error_code {_shown(record.get('error_code'))}, "
        f"error_msg {_shown(text)}), not a job status"
    )


def _modelarts_fields(record: dict[str, Any]) -> tuple[object, float]:
    """The job key and observation time of a ``get_job_info()`` record."""
    if record.get("is_success") is False:
        raise ValueError(_failed(record))
    job_id = record["job_id"]
    # The create-job response has no duration: the job was just created.
    when = _modelarts_time(record["create_time"], record.get("duration", 0))
    version = record.get("version_id")
    if version is not None and type(job_id) in (int, str) and type(version) in (int, str):
        # A blank part would hide in the joined id; control characters are found in the whole.
        if type(job_id) is str and not job_id.strip():
            raise ValueError(_job_id_problem("job_id", job_id))
        if type(version) is str and not version.strip():
            raise ValueError(_job_id_problem("version_id", version))
        job_id = f"{job_id}/{version}"
    return job_id, when


#: What a v2 training-job record holds, for messages.
V2_SHAPE: Final = (
    "a v2 training job: metadata.id, metadata.create_time, status.phase and status.duration"
)


def _v2_fields(record: dict[str, Any]) -> tuple[object, object, object, float]:
    """The job id, phase, secondary phase (or None) and observation time of a v2 record.

    The time is ``metadata.create_time + status.duration`` in milliseconds, as for v1 records:
    the API gives no time of the observation itself.

    Raises:
        ValueError: a field is missing or of the wrong kind, naming it and :data:`V2_SHAPE`.
    """
    metadata, status = record.get("metadata"), record.get("status")
    if type(metadata) is not dict or type(status) is not dict:
        missing = "metadata" if type(metadata) is not dict else "status"
        raise ValueError(f"{missing} is {_shown(record.get(missing))}; expected {V2_SHAPE}")
    for field, where in (("id", metadata), ("create_time", metadata), ("phase", status)):
        if field not in where:
            part = "metadata" if where is metadata else "status"
            raise ValueError(f"missing field {part}.{field}; expected {V2_SHAPE}")
    job_id = metadata["id"]
    # A job that has not started has no duration yet (the SDK leaves it out or None).
    duration = status.get("duration")
    when = _modelarts_time(metadata["create_time"], 0 if duration is None else duration)
    return job_id, status["phase"], status.get("secondary_phase"), when
