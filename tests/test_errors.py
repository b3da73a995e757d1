"""The error classes: structured fields that survive pickling, and the built-ins they also are."""

from __future__ import annotations

import pickle
from datetime import datetime

import pytest

from jobfsm import (
    GuardError,
    InvalidArgument,
    InvalidObservation,
    InvalidTime,
    JobFSMError,
    JobStatus,
    UnknownMode,
)

ERRORS: list[JobFSMError] = [
    GuardError("j", "quota", JobStatus.WAITING, JobStatus.RUNNING, "start", KeyError("gpus")),
    InvalidArgument("reason", 5, "a string or None"),
    InvalidObservation(3, ("a", 8), "not enough values to unpack (expected 3, got 2)"),
    InvalidObservation(0, None, "cannot unpack non-iterable int object", False),
    UnknownMode("lenient", ("strict", "polled")),
    InvalidTime(datetime(2026, 1, 1), "a datetime with a time zone", "created_at"),
    InvalidTime(-1, "epoch seconds"),
]


@pytest.mark.parametrize("error", ERRORS, ids=lambda e: type(e).__name__)
def test_errors_pickle_with_their_fields_and_message(error: JobFSMError) -> None:
    """Errors cross process boundaries (worker pools) unchanged."""
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert str(copy) == str(error)
    assert vars(copy).keys() == vars(error).keys()
    assert all(str(getattr(copy, name)) == str(getattr(error, name)) for name in vars(error))


def test_argument_errors_are_also_the_builtins_callers_catch() -> None:
    """InvalidArgument is a TypeError and a ValueError; UnknownMode a ValueError."""
    assert issubclass(InvalidArgument, TypeError)
    assert issubclass(InvalidArgument, ValueError)
    assert issubclass(InvalidObservation, InvalidArgument)
    assert issubclass(UnknownMode, ValueError)
    assert not issubclass(GuardError, ValueError)


def test_invalid_time_names_the_argument_when_known() -> None:
    """InvalidTime names the parameter when it was given one, and reads as before otherwise."""
    assert str(InvalidTime(5, "a datetime", "now")) == (
        "now 5 is not a usable time; expected a datetime"
    )
    assert str(InvalidTime(5, "a datetime")) == "5 is not a usable time; expected a datetime"


def test_a_long_value_is_cut_short_in_the_message() -> None:
    """A huge argument does not flood the message."""
    message = str(InvalidArgument("statuses", "R" * 500, "a list"))
    assert len(message) < 150
    assert "..." in message
