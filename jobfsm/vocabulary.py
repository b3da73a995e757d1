"""A lifecycle's statuses as data: names, codes, aliases, descriptions, outcome, group.

Every lifecycle is declared over one vocabulary: an enum class derived from :class:`Status`, whose
members carry what the declaration says of them. ModelArts v1's :class:`~jobfsm.JobStatus` is one;
:func:`declare_statuses` builds others (ModelArts v2's phases, a lifecycle read from a TOML file).
Members are ints, so they sort, hash and compare as cheaply as the v1 codes always did.
"""

from __future__ import annotations

import difflib
import enum
import importlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Final, TypeVar

from jobfsm.errors import InvalidArgument, UnknownStatus

__all__ = ["Outcome", "Status", "StatusInfo", "Vocabulary", "declare_statuses"]


class Outcome(enum.Enum):
    """How a terminal status ended the job."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"


@dataclass(frozen=True)
class StatusInfo:
    """One row of a vocabulary's declaration.

    >>> StatusInfo("Running", 2, "The job is running", group="run").terminal
    False
    """

    name: str
    code: int
    description: str = ""
    outcome: Outcome | None = None
    group: str = ""
    aliases: tuple[str, ...] = ()
    description_zh: str = ""
    #: True when nothing leaves the status; by default a status is terminal when it has an outcome.
    terminal: bool = False
    #: Secondary phases (internal details) the platform reports together with this status.
    details: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.outcome is not None:
            object.__setattr__(self, "terminal", True)


@dataclass(frozen=True, eq=False)
class Vocabulary:
    """What a :class:`Status` enum class knows of its members: read it as ``Status.vocabulary``."""

    name: str
    infos: Mapping[Any, StatusInfo]
    #: A prefix the API writes before names (``JOBSTAT_``), accepted and optional when read.
    prefix: str = ""
    #: True when clients report the integer codes themselves (v1); else codes are internal.
    numeric: bool = False
    labels: dict[Any, str] = field(default_factory=dict)
    by_value: dict[object, Any] = field(default_factory=dict)
    by_text: dict[str, Any] = field(default_factory=dict)
    terminal: frozenset[Any] = frozenset()
    #: Every secondary phase declared, with the statuses it may accompany.
    details: Mapping[str, frozenset[Any]] = field(default_factory=dict)
    longest: int = 0
    #: The name error messages give as an example.
    example: str = ""
    #: Where every job starts.
    initial: Any = None
    #: The status a poller reports when the platform could not say, if the vocabulary has one.
    gap: Any = None
    #: The statuses' groups in drawing order.
    groups: tuple[str, ...] = ()
    #: What one status is called in messages ("ModelArts v2 phase").
    noun: str = "status"

    def accepted(self) -> str:
        """What a reader of this vocabulary accepts, for error messages."""
        members = list(self.infos)
        example = self.example or (members[0].name if members else "?")
        if self.numeric:
            codes = [int(m) for m in members]
            return (
                f"a code {min(codes)}–{max(codes)} or a status name such as {example} or "
                f"{self.prefix}{example}"
            )
        names = ", ".join(m.name for m in members)
        return f"one of {names}"


class Status(enum.IntEnum):
    """Base of every vocabulary's status enum; a member's int value is its code.

    >>> from jobfsm import JobStatus
    >>> JobStatus.RUNNING.description
    'The job is running'
    >>> JobStatus.parse("jobstat_running") is JobStatus.RUNNING
    True
    """

    vocabulary: ClassVar[Vocabulary]

    def __str__(self) -> str:
        return type(self).vocabulary.labels[self]

    @property
    def reported(self) -> int | str:
        """The status as clients report it and reports write it: the code where the vocabulary's
        codes are public (v1), else the name."""
        return int(self) if type(self).vocabulary.numeric else self.name

    @property
    def code_name(self) -> str:
        """The name the API documents, for example ``"JOBSTAT_RUNNING"`` or ``"Running"``."""
        return type(self).vocabulary.prefix + self.name

    @property
    def description(self) -> str:
        """The English description from the declaration."""
        return type(self).vocabulary.infos[self].description

    @property
    def description_zh(self) -> str:
        """The Chinese description from the declaration, where it has one."""
        return type(self).vocabulary.infos[self].description_zh

    @property
    def is_terminal(self) -> bool:
        """True when the job can never leave this status (a re-run is a new job)."""
        return self in type(self).vocabulary.terminal

    @property
    def is_active(self) -> bool:
        """True for every status that is not terminal."""
        return self not in type(self).vocabulary.terminal

    @property
    def outcome(self) -> Outcome | None:
        """How a terminal status ended the job; None for an active status."""
        return type(self).vocabulary.infos[self].outcome

    @property
    def group(self) -> str:
        """The part of the lifecycle the status belongs to; reports and diagrams group by it."""
        return type(self).vocabulary.infos[self].group

    @property
    def aliases(self) -> tuple[str, ...]:
        """Other names clients report for this status."""
        return type(self).vocabulary.infos[self].aliases

    @property
    def details(self) -> tuple[str, ...]:
        """The secondary phases declared for this status (empty where there are none)."""
        return type(self).vocabulary.infos[self].details

    @classmethod
    def parse(cls: type[_S], value: object) -> _S:
        """Read a status the way real clients send it: a member, a name in any case, with or
        without the vocabulary's prefix, an alias, and (where clients report codes) an int code or
        a numeric string.

        Raises:
            UnknownStatus: for anything else, naming the input, what is accepted and the closest
                names.
        """
        if type(value) is cls:
            return value
        vocab = cls.vocabulary
        # Plain codes and exact names (what JSON and the API give) cost one dict lookup.
        if type(value) is int or type(value) is str:
            found = vocab.by_value.get(value)
            if found is not None:
                return found  # type: ignore[no-any-return]
        if isinstance(value, Status) and vocab.numeric and type(value).vocabulary.numeric:
            # A member of another numeric vocabulary is read by its code, as an int would be.
            value = int(value)
        if isinstance(value, int) and not isinstance(value, (bool, Status)) and vocab.numeric:
            found = vocab.by_value.get(int(value))
            if found is None:
                raise _unknown(vocab, value, ())
            return found  # type: ignore[no-any-return]
        if isinstance(value, str):
            text = value.strip()
            if vocab.numeric and text.isascii() and text.isdigit():
                # Codes are short once leading zeros are gone; int() of the rest would also
                # refuse strings of over 4,300 digits with a bare ValueError.
                digits = text.lstrip("0")
                found = vocab.by_value.get(int(digits or "0")) if len(digits) <= 6 else None
                if found is None:
                    raise _unknown(vocab, value, ())
                return found  # type: ignore[no-any-return]
            found = vocab.by_text.get(text.upper())
            if found is not None:
                return found  # type: ignore[no-any-return]
            raise _unknown(vocab, value, _suggest(vocab, text))
        raise _unknown(vocab, value, ())


_S = TypeVar("_S", bound=Status)


def _unknown(vocab: Vocabulary, value: object, suggestions: tuple[str, ...]) -> UnknownStatus:
    # A word of another built-in lifecycle ("Pending" read as v1) says which lifecycle reads it,
    # instead of suggesting a look-alike of this one.
    hint = importlib.import_module("jobfsm.lifecycles").foreign_hint(vocab.name, value)
    return UnknownStatus(
        value,
        () if hint else suggestions,
        lifecycle=vocab.name,
        accepted=vocab.accepted(),
        hint=hint,
    )


def readable(vocab: Vocabulary, value: object) -> bool:
    """True when ``value`` reads as a status of ``vocab`` (without raising or suggesting)."""
    if type(value) is str:
        text = value.strip()
        if vocab.numeric and text.isascii() and text.isdigit():
            return len(text.lstrip("0")) <= 6 and int(text) in vocab.by_value
        return value in vocab.by_value or text.upper() in vocab.by_text
    if type(value) is int:
        return vocab.numeric and value in vocab.by_value
    return False


# A name this much less similar than the closest one is noise, not a candidate: RUNING is
# RUNNING, not CHECK_RUNNING.
_SUGGEST_MARGIN: Final = 0.15


def _suggest(vocab: Vocabulary, text: str) -> tuple[str, ...]:
    """Up to three names closest to ``text``, best first (ties in code order)."""
    wanted = text.strip().upper()
    if vocab.prefix:
        wanted = wanted.removeprefix(vocab.prefix.upper())
    # A ratio of 0.5 or more needs the text at most three times as long as the name: anything
    # longer has no candidate, and a long text (a megabyte from a log) costs no difflib pass.
    if len(wanted) > vocab.longest:
        return ()
    matcher = difflib.SequenceMatcher()
    matcher.set_seq2(wanted)
    scored: list[tuple[float, int, str]] = []
    for status in vocab.infos:
        matcher.set_seq1(status.name.upper())
        ratio = matcher.ratio()
        if ratio >= 0.5:
            scored.append((-ratio, int(status), status.name))
    scored.sort()
    if not scored:
        return ()
    floor = -scored[0][0] - _SUGGEST_MARGIN
    return tuple(name for minus, _, name in scored[:3] if -minus >= floor)


def install(
    cls: type[Status],
    infos: Iterable[StatusInfo],
    *,
    name: str,
    prefix: str = "",
    numeric: bool = False,
    example: str = "",
    initial: str | int | None = None,
    gap: str | int | None = None,
    groups: Iterable[str] = (),
    noun: str = "",
) -> None:
    """Attach the declaration ``infos`` to the enum ``cls`` (one row per member, by code)."""
    rows = {info.code: info for info in infos}
    members = list(cls)
    missing = [m.name for m in members if int(m) not in rows]
    if missing:
        raise InvalidArgument("infos", missing, "one StatusInfo per member of the enum")
    by_member = {m: rows[int(m)] for m in members}
    labels = {m: f"{m.name}({int(m)})" if numeric else m.name for m in members}
    by_text: dict[str, Status] = {}
    for member, info in by_member.items():
        for text in (member.name, *info.aliases):
            by_text.setdefault(text.upper(), member)
            if prefix:
                by_text.setdefault((prefix + text).upper(), member)
    by_value: dict[object, Status] = {}
    if numeric:
        by_value.update({int(m): m for m in members})
    for member, info in by_member.items():
        by_value[member.name] = member
        if prefix:
            by_value[prefix + member.name] = member
        for alias in info.aliases:
            by_value.setdefault(alias, member)
    details: dict[str, set[Status]] = {}
    for member, info in by_member.items():
        for detail in info.details:
            details.setdefault(detail, set()).add(member)
    cls.vocabulary = Vocabulary(
        name=name,
        infos=by_member,
        prefix=prefix,
        numeric=numeric,
        labels=labels,
        by_value=by_value,
        by_text=by_text,
        terminal=frozenset(m for m, info in by_member.items() if info.terminal),
        details={d: frozenset(s) for d, s in details.items()},
        longest=3 * max((len(m.name) for m in members), default=0),
        example=example,
        initial=_member(members, initial, "initial") if initial is not None else members[0],
        gap=_member(members, gap, "gap") if gap is not None else None,
        # Declared order first, then any other group in the order its first status appears.
        groups=tuple(dict.fromkeys([*groups, *(info.group for info in by_member.values())])),
        noun=noun or f"{name} status",
    )


def _member(members: list[Status], key: str | int, argument: str) -> Status:
    for member in members:
        if key in (member.name, int(member)):
            return member
    raise InvalidArgument(argument, key, f"one of {', '.join(m.name for m in members)}")


def declare_statuses(
    class_name: str,
    infos: Iterable[StatusInfo],
    *,
    name: str,
    prefix: str = "",
    numeric: bool = False,
    initial: str | int | None = None,
    gap: str | int | None = None,
    example: str = "",
    groups: Iterable[str] = (),
) -> type[Status]:
    """A new status enum built from its declaration.

    >>> rows = [StatusInfo("Queued", 0), StatusInfo("Done", 1, terminal=True)]
    >>> Phase = declare_statuses("Phase", rows, name="tiny")
    >>> Phase.parse("queued"), Phase.Done.is_terminal
    (<Phase.Queued: 0>, True)
    """
    rows = tuple(infos)
    # The functional enum API, which mypy cannot follow through a subclass.
    make: Any = Status
    cls: type[Status] = make(class_name, [(info.name, info.code) for info in rows])
    install(
        cls,
        rows,
        name=name,
        prefix=prefix,
        numeric=numeric,
        initial=initial,
        gap=gap,
        example=example,
        groups=groups,
    )
    return cls
