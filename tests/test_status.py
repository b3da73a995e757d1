"""The 23 statuses: codes, names, descriptions, classification and parsing."""

from __future__ import annotations

import enum
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jobfsm import (
    Job,
    JobFSMError,
    JobStatus,
    Outcome,
    Phase,
    Tracker,
    UnknownStatus,
    validate_history,
)

# A copy of the ModelArts "job status reference" table, the source of the 23 statuses.
SEED = Path(__file__).parent / "data" / "modelarts-job-statuses.md"

TERMINAL = {3, 5, 6, 10, 11, 12, 13, 14, 16, 17, 21, 22}


def test_there_are_23_statuses_with_codes_0_to_22() -> None:
    """Every code 0–22 is a member and there are no others."""
    assert [s.value for s in JobStatus] == list(range(23))


def test_member_names_drop_the_prefix() -> None:
    """Members are named without JOBSTAT_ and compare equal to their code."""
    code: int = 8
    assert code == JobStatus.RUNNING
    assert JobStatus.RUNNING.code_name == "JOBSTAT_RUNNING"
    assert JobStatus.MOUNT_FAILED.code_name == "JOBSTAT_MOUNT_FAILED"


def test_english_descriptions_follow_the_api_reference() -> None:
    """A few English descriptions, verbatim from the official reference."""
    assert JobStatus.UNKNOWN.description == "Unknown status"
    assert JobStatus.WAITING.description == "The job is queuing"
    assert JobStatus.CHECK_RUNNING_COMPLETED.description == "The review job is completed"
    assert JobStatus.MOUNT_FAILED.description == "Failed to mount"


def test_chinese_descriptions_match_the_seed_table() -> None:
    """Each description_zh is the text of the seed table, trailing punctuation aside."""
    text = re.sub(r"<[^>]+>", "", SEED.read_text(encoding="utf-8"))
    rows = re.findall(r"^\s*(\d+)\s*\n\s*(?:JOBSTAT_)?[A-Z_]+\s*[，,]\s*(.+?)\s*$", text, re.M)
    table = {int(code): desc.rstrip("。.") for code, desc in rows}
    assert len(table) == 23
    for status in JobStatus:
        assert status.description_zh == table[status.value]


def test_terminal_statuses() -> None:
    """Exactly the documented terminal statuses are terminal; the rest are active."""
    assert {s.value for s in JobStatus if s.is_terminal} == TERMINAL
    assert all(s.is_active != s.is_terminal for s in JobStatus)


def test_outcomes() -> None:
    """COMPLETED succeeded, KILLED and CANCELED were canceled, other terminals failed."""
    assert JobStatus.COMPLETED.outcome is Outcome.SUCCEEDED
    assert {s for s in JobStatus if s.outcome is Outcome.CANCELED} == {
        JobStatus.KILLED,
        JobStatus.CANCELED,
    }
    failed = {s.value for s in JobStatus if s.outcome is Outcome.FAILED}
    assert failed == TERMINAL - {10, 12, 13}
    assert JobStatus.RUNNING.outcome is None


def test_phases() -> None:
    """Statuses group into review, creation, run, stop and unknown as documented."""
    by_phase = {p: {s.value for s in JobStatus if s.phase is p} for p in Phase}
    assert by_phase == {
        Phase.UNKNOWN: {0},
        Phase.REVIEW: {18, 19, 20, 21},
        Phase.CREATION: {1, 2, 3, 4, 5},
        Phase.RUN: {7, 8, 10, 11, 14, 15, 16, 17, 22},
        Phase.STOP: {6, 9, 12, 13},
    }


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (8, JobStatus.RUNNING),
        ("8", JobStatus.RUNNING),
        (" 8 ", JobStatus.RUNNING),
        ("08", JobStatus.RUNNING),
        ("RUNNING", JobStatus.RUNNING),
        ("running", JobStatus.RUNNING),
        ("JOBSTAT_RUNNING", JobStatus.RUNNING),
        ("jobstat_running", JobStatus.RUNNING),
        ("MOUNT_FAILED", JobStatus.MOUNT_FAILED),
        ("JOBSTAT_DEPLOYING", JobStatus.WAITING),
        ("deploying", JobStatus.WAITING),
        (JobStatus.KILLED, JobStatus.KILLED),
        (0, JobStatus.UNKNOWN),
    ],
)
def test_parse_accepts_what_clients_send(value: object, expected: JobStatus) -> None:
    """Codes, numeric strings, names in any case with or without the prefix, legacy names."""
    assert JobStatus.parse(value) is expected


def test_parse_accepts_other_int_subclasses_by_value() -> None:
    """An int subclass that is not bool (another IntEnum, say) is read by its value."""

    class Code(enum.IntEnum):
        RUN = 8

    assert JobStatus.parse(Code.RUN) is JobStatus.RUNNING


@pytest.mark.parametrize(
    "value", [True, False, 8.0, 8.5, -1, 23, 99, "23", "-1", "", "FOO", "8.5", None, b"8", [8]]
)
def test_parse_rejects_everything_else(value: object) -> None:
    """bool, floats, out-of-range codes and unknown names raise UnknownStatus."""
    with pytest.raises(UnknownStatus) as info:
        JobStatus.parse(value)
    assert isinstance(info.value, JobFSMError)
    assert isinstance(info.value, ValueError)
    assert repr(value) in str(info.value)
    assert "0–22" in str(info.value)


def test_parse_suggests_the_closest_names() -> None:
    """A misspelt name gets "did you mean" with the nearest status, by its short name."""
    with pytest.raises(UnknownStatus) as info:
        JobStatus.parse("RUNING")
    assert info.value.suggestions == ("RUNNING",)
    assert str(info.value).endswith("(did you mean RUNNING?)")


@pytest.mark.parametrize(
    ("typed", "suggested"),
    [
        ("waitng", ("WAITING",)),
        ("JOBSTAT_RUNING", ("RUNNING",)),
        ("KILL", ("KILLED", "KILLING")),
        ("SUBMIT", ("SUBMIT_TRYING", "SUBMIT_FAILED")),
        ("CANCELLED", ("CANCELED",)),
        ("xyz", ()),
    ],
)
def test_suggestions_are_short_names_about_as_close_as_the_best(
    typed: str, suggested: tuple[str, ...]
) -> None:
    """Suggestions are short names, best first; names far behind the best one are left out."""
    with pytest.raises(UnknownStatus) as info:
        JobStatus.parse(typed)
    assert info.value.suggestions == suggested
    assert "JOBSTAT_" not in str(info.value).partition("did you mean")[2]


@given(st.integers())
def test_parse_of_any_int_is_the_member_or_unknown_status(code: int) -> None:
    """Every int either is a code or is rejected; nothing else happens."""
    if 0 <= code <= 22:
        assert JobStatus.parse(code) == code
        assert JobStatus.parse(str(code)) == code
    else:
        with pytest.raises(UnknownStatus):
            JobStatus.parse(code)


@given(st.text(max_size=30))
def test_parse_of_any_text_never_raises_anything_but_unknown_status(text: str) -> None:
    """Arbitrary text parses to a status or raises UnknownStatus, never another error."""
    wanted = text.strip().upper().removeprefix("JOBSTAT_")
    known = wanted in JobStatus.__members__ or wanted == "DEPLOYING"
    known = known or (wanted.isascii() and wanted.isdigit() and int(wanted) <= 22)
    if known:
        assert isinstance(JobStatus.parse(text), JobStatus)
    else:
        with pytest.raises(UnknownStatus) as info:
            JobStatus.parse(text)
        assert info.value.value == text


def test_str_shows_name_and_code() -> None:
    """str() is the form used in every message: NAME(code)."""
    assert str(JobStatus.RUNNING) == "RUNNING(8)"


# -- a numeric string of any length: int() refuses over 4,300 digits with a bare ValueError --------

HUGE = "9" * 5000


@pytest.mark.parametrize("value", [HUGE, f" {HUGE} ", "1" + "0" * 4400, "100", "0" * 3 + "23"])
def test_parse_refuses_a_numeric_string_of_any_length_with_unknown_status(value: str) -> None:
    """A string of digits that is no code is UnknownStatus however long it is, and the message
    shows it cut short."""
    with pytest.raises(UnknownStatus) as info:
        JobStatus.parse(value)
    assert info.value.value == value
    assert info.value.suggestions == ()
    assert len(str(info.value)) < 300


@pytest.mark.parametrize(("value", "code"), [("0" * 5000 + "8", 8), ("00", 0), ("0022", 22)])
def test_leading_zeros_of_any_length_still_read_as_the_code(value: str, code: int) -> None:
    """As "08" is RUNNING, so is 8 after any number of zeros."""
    assert JobStatus.parse(value) == code


def test_an_int_too_long_to_print_is_unknown_status_with_a_message() -> None:
    """An int of over 4,300 digits has no decimal repr; the message still says what it was."""
    with pytest.raises(UnknownStatus) as info:
        JobStatus.parse(10**5000)
    assert str(info.value).startswith(
        "<an integer of about 5000 digits> is not a ModelArts job status"
    )


def test_a_long_name_gets_no_suggestion_and_a_short_message() -> None:
    """No status name is close to a text far longer than every name; the message cuts it."""
    with pytest.raises(UnknownStatus) as info:
        JobStatus.parse("RUNNING" * 1000)
    assert info.value.suggestions == ()
    assert len(str(info.value)) < 300


def _store_create(value: str, tmp_path: Path) -> object:
    from jobfsm.store import JobStore

    with JobStore(f"sqlite:///{tmp_path / 'jobs.db'}") as store:
        store.create_schema()
        return store.create("train-1", value)


def _store_transition(value: str, tmp_path: Path) -> object:
    from jobfsm.store import JobStore

    with JobStore(f"sqlite:///{tmp_path / 'jobs.db'}") as store:
        store.create_schema()
        store.create("train-1", JobStatus.WAITING)
        return store.transition("train-1", value)


def _store_list(value: str, tmp_path: Path) -> object:
    from jobfsm.store import JobStore

    with JobStore(f"sqlite:///{tmp_path / 'jobs.db'}") as store:
        store.create_schema()
        return store.list(status=[value])


@pytest.mark.parametrize(
    "entry",
    [
        lambda v, _: JobStatus.parse(v),
        lambda v, _: Job("train-1", JobStatus.WAITING).advance_to(v),
        lambda v, _: validate_history([7, v]),
        lambda v, _: Tracker().observe("train-1", v, 0),
        _store_create,
        _store_transition,
        _store_list,
    ],
    ids=["parse", "advance_to", "validate_history", "observe", "store.create",
         "store.transition", "store.list"],
)  # fmt: skip
def test_every_entry_point_refuses_a_huge_code_with_unknown_status(
    entry: Callable[[str, Path], object], tmp_path: Path
) -> None:
    """The library reads statuses through JobStatus.parse, so a huge code is UnknownStatus
    everywhere, not a ValueError from int()."""
    with pytest.raises(UnknownStatus) as info:
        entry(HUGE, tmp_path)
    assert info.value.value == HUGE
