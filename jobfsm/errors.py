"""Every error jobfsm raises: one base class, and subclasses that carry the facts as fields.

Messages are built when they are read, not when the error is raised, so that rejecting a move
stays cheap on the hot path of a scheduler.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jobfsm.vocabulary import Status

__all__ = [
    "BadLogLine",
    "CallbackError",
    "CheckFailure",
    "ConcurrentUpdate",
    "CorruptJob",
    "DiagramInputError",
    "GraphvizNotFound",
    "GuardError",
    "GuardRejected",
    "IllegalTransition",
    "InvalidArgument",
    "InvalidJobId",
    "InvalidLifecycle",
    "InvalidObservation",
    "InvalidTime",
    "JobExists",
    "JobFSMError",
    "JobNotFound",
    "JobNotTracked",
    "LifecycleFileError",
    "MissingExtra",
    "SnapshotError",
    "StoreUnavailable",
    "TransitionRejected",
    "UnknownEvent",
    "UnknownLifecycle",
    "UnknownMode",
    "UnknownStatus",
    "UnreadableLog",
    "UnusableJobId",
]


class JobFSMError(Exception):
    """Base class of every error jobfsm raises on purpose."""

    def __str__(self) -> str:
        return self.message

    @property
    def message(self) -> str:
        return super().__str__()


def _status(value: object) -> str:
    return str(value)


def _moves(allowed: Iterable[Status]) -> str:
    names = [str(s) for s in sorted(allowed)]
    return ", ".join(names) if names else "none"


#: What shows as nothing, or reorders what follows, or cannot be written at all: every format
#: character of Unicode 14 (category Cf: the bidirectional controls, which reorder the rest of the
#: line as shown, U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069; and the invisible ones,
#: with which one id can pass for another: soft hyphen, zero width space, word joiner, U+FEFF,
#: tags...) but the zero width non-joiner and joiner (U+200C, U+200D), which several scripts and
#: emoji are written with; line and paragraph separators; and lone surrogates (bytes that were not
#: UTF-8, decoded with surrogateescape), which no strict UTF-8 stream can write.
_INVISIBLE = (
    "\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b\u200e\u200f"
    "\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd"
    "\U00013430-\U00013438\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001"
    "\U000e0020-\U000e007f\ud800-\udfff"
)
#: Characters that act on a terminal instead of showing: C0 controls and DEL, C1 controls (U+009B
#: is a CSI, as ESC [ is), and the invisible ones above.
_UNSHOWABLE = re.compile(f"[\x00-\x1f\x7f-\x9f{_INVISIBLE}]")


def _escaped(match: re.Match[str]) -> str:
    return repr(match.group())[1:-1]


def escape(text: str) -> str:
    """``text`` as it may be shown on a terminal: each character of :data:`_UNSHOWABLE` as its
    Python escape (``\\x1b``, ``\\x9b``, ``\\u202e``), everything else (CJK, accents) as it is.

    Every piece of input that a message, a table or an error shows goes through it; it changes
    nothing it has already escaped.

    >>> print(escape("train-\\u202e1\\x9b2J"))
    train-\\u202e1\\x9b2J
    """
    return _UNSHOWABLE.sub(_escaped, text)


# json.dumps writes C0 controls as escapes already, and the newlines of its indentation are not
# in any string.
_UNSHOWABLE_IN_JSON = re.compile(f"[\x7f-\x9f{_INVISIBLE}]")


def _json_escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000  # JSON spells a character past U+FFFF as its UTF-16 surrogate pair
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def escape_json(text: str) -> str:
    """JSON text (from ``json.dumps(..., ensure_ascii=False)``) with every character
    :func:`escape` escapes written as a ``\\uXXXX`` escape: the same data to a JSON reader, and
    nothing that acts on a terminal (they only occur inside strings, where the escape is valid).

    >>> escape_json('{"job_id": "a\u202eb"}')
    '{"job_id": "a\\\\u202eb"}'
    """
    return _UNSHOWABLE_IN_JSON.sub(_json_escape, text)


def _shown(value: object) -> str:
    """A value as an error shows it: its repr, cut short when it is long.

    A long string is cut before its repr is made, so that showing a megabyte of it costs no
    megabyte (its first 80 characters give the 77 shown).
    """
    try:
        text = repr(value[:80] if isinstance(value, (str, bytes)) else value)
    except ValueError:  # an int past sys.get_int_max_str_digits() has no repr
        if not isinstance(value, int):
            raise
        return f"<an integer of about {int(value.bit_length() * 0.30103)} digits>"
    return text if len(text) <= 80 else f"{text[:77]}..."


class UnknownStatus(JobFSMError, ValueError):
    """A value that is not one of a lifecycle's statuses.

    Attributes:
        value: the input as given.
        suggestions: the closest valid names, best first.
        lifecycle: the vocabulary the value was read in (``"modelarts-v1"`` by default).
        accepted: what that vocabulary accepts, in words.
        hint: set when the value belongs to another known lifecycle, saying which to read it in.
    """

    def __init__(
        self,
        value: object,
        suggestions: Sequence[str] = (),
        *,
        lifecycle: str = "modelarts-v1",
        accepted: str = "a code 0–22 or a status name such as RUNNING or JOBSTAT_RUNNING",
        hint: str | None = None,
    ) -> None:
        super().__init__(value, tuple(suggestions))
        self.value = value
        self.suggestions = tuple(suggestions)
        self.lifecycle = lifecycle
        self.accepted = accepted
        self.hint = hint

    @property
    def message(self) -> str:
        if self.hint is not None:
            return f"{_shown(self.value)} {self.hint}"
        what = "a ModelArts job status" if self.lifecycle == "modelarts-v1" else "a status"
        where = "" if self.lifecycle == "modelarts-v1" else f" of the {self.lifecycle} lifecycle"
        text = f"{_shown(self.value)} is not {what}{where}; expected {self.accepted}"
        if self.suggestions:
            text += f" (did you mean {' or '.join(self.suggestions)}?)"
        return text


class UnknownEvent(JobFSMError, ValueError):
    """An event name the lifecycle does not declare.

    Attributes:
        event: the name that was asked for.
        known: every event the lifecycle declares.
    """

    def __init__(self, event: str, known: Iterable[str]) -> None:
        super().__init__(event)
        self.event = event
        self.known = tuple(sorted(known))

    @property
    def message(self) -> str:
        return (
            f"{self.event!r} is not an event of this lifecycle; events are: {', '.join(self.known)}"
        )


class TransitionRejected(JobFSMError):
    """A move that was refused; the job was left exactly as it was.

    Attributes:
        job_id: the job that was asked to move (None for a pure query).
        source: the status the job was in.
        target: the status it was asked to move to (None when an event had no move from source).
        event: the event that was fired or that declares the edge, if any.
        allowed: the statuses the job may move to from ``source``.
    """

    # The fields live in ``args`` and no Python ``__init__`` runs: schedulers reject moves on a hot
    # path, and exception construction in C is several times cheaper.
    if TYPE_CHECKING:

        def __init__(
            self,
            job_id: str | None,
            source: Status,
            target: Status | None,
            event: str | None,
            allowed: frozenset[Status],
            /,
        ) -> None: ...

    @property
    def job_id(self) -> str | None:
        return self.args[0]  # type: ignore[no-any-return]

    @property
    def source(self) -> Status:
        return self.args[1]  # type: ignore[no-any-return]

    @property
    def target(self) -> Status | None:
        return self.args[2]  # type: ignore[no-any-return]

    @property
    def event(self) -> str | None:
        return self.args[3]  # type: ignore[no-any-return]

    @property
    def allowed(self) -> frozenset[Status]:
        return self.args[4]  # type: ignore[no-any-return]

    def _subject(self) -> str:
        return f"job {escape(str(self.job_id))}: " if self.job_id is not None else ""

    def _attempt(self) -> str:
        if self.target is None:
            return f"cannot fire {self.event!r} from {_status(self.source)}"
        via = f" by {self.event!r}" if self.event else ""
        return f"cannot move {_status(self.source)} → {_status(self.target)}{via}"


class IllegalTransition(TransitionRejected):
    """A move the lifecycle does not declare, or any move out of a terminal status."""

    @property
    def message(self) -> str:
        if self.source.is_terminal:
            return (
                f"{self._subject()}{self._attempt()}; {_status(self.source)} is terminal and "
                "nothing leaves it (a re-run is a new job)"
            )
        return (
            f"{self._subject()}{self._attempt()}; from {self.source.name} the allowed moves are: "
            f"{_moves(self.allowed)}"
        )


class GuardRejected(TransitionRejected):
    """A declared move that a named guard refused.

    Attributes:
        guard: the guard's name.
        reason: why the guard said no.
    """

    if TYPE_CHECKING:

        def __init__(
            self,
            job_id: str | None,
            source: Status,
            target: Status,
            event: str | None,
            allowed: frozenset[Status],
            guard: str,
            reason: str,
            /,
        ) -> None: ...

    @property
    def guard(self) -> str:
        return self.args[5]  # type: ignore[no-any-return]

    @property
    def reason(self) -> str:
        return self.args[6]  # type: ignore[no-any-return]

    @property
    def message(self) -> str:
        return (
            f"{self._subject()}{self._attempt()}; rejected by guard {self.guard!r}: {self.reason}"
        )


class CheckFailure:
    """One rule of a lifecycle declaration that does not hold, with the statuses that break it."""

    __slots__ = ("check", "detail", "statuses")

    def __init__(self, check: str, statuses: Iterable[Status], detail: str) -> None:
        self.check = check
        self.statuses = tuple(sorted(set(statuses)))
        self.detail = detail

    def __repr__(self) -> str:
        return f"CheckFailure({self.check!r}, {list(self.statuses)!r}, {self.detail!r})"

    def __str__(self) -> str:
        listed = ", ".join(str(s) for s in self.statuses)
        return f"{self.check}: {self.detail}" + (f" [{listed}]" if listed else "")


class InvalidLifecycle(JobFSMError):
    """A lifecycle declaration that breaks one or more of the named checks.

    Attributes:
        failures: one entry per failed check, each naming the offending statuses.
    """

    def __init__(self, failures: Sequence[CheckFailure], *, path: str = "") -> None:
        super().__init__(tuple(failures))
        self.failures = tuple(failures)
        #: The file the declaration was read from, if it came from one.
        self.path = path

    @property
    def message(self) -> str:
        lines = "\n".join(f"  - {f}" for f in self.failures)
        where = f" in {escape(self.path)}" if self.path else ""
        return f"the lifecycle declaration{where} fails {len(self.failures)} check(s):\n{lines}"


class UnknownLifecycle(JobFSMError, ValueError):
    """A lifecycle named that is neither built in nor a file.

    Attributes:
        value: the name or path as given.
        builtin: the built-in lifecycles' names.
    """

    def __init__(self, value: str, builtin: Sequence[str]) -> None:
        super().__init__(value, tuple(builtin))
        self.value = value
        self.builtin = tuple(builtin)

    @property
    def message(self) -> str:
        return (
            f"unknown lifecycle {escape(_shown(self.value))}: expected a built-in lifecycle "
            f"({', '.join(self.builtin)}) or the path of a TOML file that declares one"
        )


class LifecycleFileError(JobFSMError, ValueError):
    """A lifecycle file that cannot be read or does not have the declaration's shape.

    Attributes:
        path: the file as given.
        where: the key or table at fault (``statuses[2].name``), or ``""`` for the whole file.
        problem: what is wrong and what would be accepted.
    """

    def __init__(self, path: str, where: str, problem: str) -> None:
        super().__init__(path, where, problem)
        self.path = path
        self.where = where
        self.problem = problem

    @property
    def message(self) -> str:
        at = f" at {self.where}" if self.where else ""
        return f"lifecycle file {escape(self.path)}{at}: {self.problem}"


class InvalidJobId(JobFSMError, ValueError):
    """A job id that is not a non-blank string.

    Attributes:
        job_id: the value given.
    """

    def __init__(self, job_id: object) -> None:
        super().__init__(job_id)
        self.job_id = job_id

    @property
    def message(self) -> str:
        return (
            f"{self.job_id!r} is not a job id; expected a non-empty string with a character "
            "other than white space, such as 'train-42'"
        )


class SnapshotError(JobFSMError, ValueError):
    """A job snapshot (``Job.from_dict``) that is malformed or contradicts the lifecycle.

    Attributes:
        field: where in the snapshot the problem is, for example ``history[3].target``.
        problem: what is wrong there.
    """

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(field, problem)
        self.field = field
        self.problem = problem

    @property
    def message(self) -> str:
        return f"invalid job snapshot at {self.field}: {self.problem}"


class CallbackError(JobFSMError):
    """A hook or listener raised while a move was being applied or announced.

    Attributes:
        job_id: the job that moved.
        source, target: the move.
        committed: True when the move stands (enter hooks and listeners run after the change).
        errors: the exceptions raised, in the order the callbacks ran.
    """

    def __init__(
        self,
        job_id: str,
        source: Status,
        target: Status,
        committed: bool,
        errors: Sequence[BaseException],
    ) -> None:
        super().__init__(job_id, source, target, committed, tuple(errors))
        self.job_id = job_id
        self.source = source
        self.target = target
        self.committed = committed
        self.errors = tuple(errors)

    @property
    def message(self) -> str:
        state = (
            "the move stands"
            if self.committed
            else f"the move was abandoned and the job stays {_status(self.source)}"
        )
        first = self.errors[0] if self.errors else None
        cause = f"{type(first).__name__}: {first}" if first is not None else "unknown error"
        more = f" (and {len(self.errors) - 1} more)" if len(self.errors) > 1 else ""
        return (
            f"job {escape(self.job_id)}: a callback raised during {_status(self.source)} → "
            f"{_status(self.target)}; {state}: {cause}{more}"
        )


class GuardError(JobFSMError):
    """A guard's check raised instead of answering; the move was not made.

    Attributes:
        job_id: the job that was asked to move (None for a pure query).
        guard: the guard's name.
        source, target: the move being judged.
        event: the event that declares the move.
        error: the exception the check raised (also the ``__cause__``).
    """

    def __init__(
        self,
        job_id: str | None,
        guard: str,
        source: Status,
        target: Status,
        event: str,
        error: BaseException,
    ) -> None:
        super().__init__(job_id, guard, source, target, event, error)
        self.job_id = job_id
        self.guard = guard
        self.source = source
        self.target = target
        self.event = event
        self.error = error

    @property
    def message(self) -> str:
        subject = f"job {escape(self.job_id)}: " if self.job_id is not None else ""
        stays = (
            f"; the move was not made and the job stays {_status(self.source)}"
            if self.job_id is not None
            else ""
        )
        return (
            f"{subject}guard {self.guard!r} raised while judging {_status(self.source)} → "
            f"{_status(self.target)} by {self.event!r}{stays}: {type(self.error).__name__}: "
            f"{self.error} (a guard's check must return True or False)"
        )


class InvalidArgument(JobFSMError, TypeError, ValueError):
    """An argument of the wrong kind: not a callable, not a lifecycle, a string for a list, ...

    Also a ``TypeError`` and a ``ValueError``: the built-in error for the same mistake is one or
    the other (a wrong type, or a sequence of the wrong length).

    Attributes:
        argument: the parameter, for example ``reason`` or ``observations[3]``.
        value: the value given.
        expected: what would be accepted.
    """

    def __init__(self, argument: str, value: object, expected: str) -> None:
        super().__init__(argument, value, expected)
        self.argument = argument
        self.value = value
        self.expected = expected

    @property
    def message(self) -> str:
        return f"{self.argument} {_shown(self.value)} is not accepted; expected {self.expected}"


class InvalidObservation(InvalidArgument):
    """An item of a :meth:`~jobfsm.tracker.Tracker.observe_many` batch that is not a
    ``(job_id, status, at)`` tuple. The observations before it were applied; the rest were not read.

    Attributes:
        index: the item's position in the batch (0 is the first).
        value: the item, when ``kept``.
        kept: False when the batch was an iterator that had already handed the item over (then
            ``value`` is None).
        problem: what is wrong with the item.
    """

    def __init__(self, index: int, value: object, problem: str, kept: bool = True) -> None:
        JobFSMError.__init__(self, index, value, problem, kept)
        self.argument = f"observations[{index}]"
        self.value = value
        self.expected = "a (job_id, status, at) tuple such as ('train-42', 'RUNNING', 1767225600.0)"
        self.index = index
        self.problem = problem
        self.kept = kept

    @property
    def message(self) -> str:
        item = f" {_shown(self.value)}" if self.kept else ""
        if self.index == 0:
            done = "nothing was applied"
        elif self.index == 1:
            done = "the observation before it was applied"
        else:
            done = f"the {self.index} observations before it were applied"
        return (
            f"{self.argument}{item} is not accepted ({self.problem}); expected {self.expected}; "
            f"{done} and the rest were not read"
        )


class UnknownMode(JobFSMError, ValueError):
    """A validation mode that is neither ``strict`` nor ``polled``.

    Attributes:
        value: the value given.
        accepted: the accepted mode names.
    """

    def __init__(self, value: object, accepted: Sequence[str]) -> None:
        super().__init__(value, tuple(accepted))
        self.value = value
        self.accepted = tuple(accepted)

    @property
    def message(self) -> str:
        choices = ", ".join(repr(m) for m in self.accepted)
        return f"{self.value!r} is not a validation mode; expected one of {choices}"


class DiagramInputError(InvalidArgument):
    """An input to the diagram builder that it cannot draw (a view, a path, a traffic count).

    An :class:`InvalidArgument` (so also a ValueError and a TypeError) whose ``argument`` is also
    called ``field``.

    Attributes:
        field: which input is wrong, for example ``view`` or ``traffic[(8, 9)]``.
        value: the input as given.
        expected: what would be accepted instead.
    """

    def __init__(self, field: str, value: object, expected: str) -> None:
        super().__init__(field, value, expected)
        self.field = field

    @property
    def message(self) -> str:
        return f"{self.field} {_shown(self.value)} cannot be drawn; expected {self.expected}"


class GraphvizNotFound(JobFSMError):
    """The Graphviz executable that renders SVG, PNG and PDF is not installed (or not on PATH).

    Attributes:
        executable: the program that was looked for (``dot``).
        format: the output format that needed it.
        install: how to install the package that provides it.
        without: the formats that work without it.
    """

    def __init__(
        self,
        executable: str,
        format: str,
        install: Sequence[str] = ("apt-get install graphviz", "brew install graphviz"),
        without: Sequence[str] = ("dot", "mermaid"),
    ) -> None:
        super().__init__(executable, format, tuple(install), tuple(without))
        self.executable = executable
        self.format = format
        self.install = tuple(install)
        self.without = tuple(without)

    @property
    def message(self) -> str:
        return (
            f"cannot render {self.format}: the Graphviz executable {self.executable!r} is not on "
            f"PATH; install the graphviz package ({' or '.join(self.install)}), or choose "
            f"{' or '.join(f'--format {f}' for f in self.without)}, which need no executable"
        )


class BadLogLine(JobFSMError, ValueError):
    """One line of a status log that could not be read as an observation; the rest is still judged.

    Attributes:
        source: the log's name (a path, or ``<stdin>``).
        line: the 1-based line number in the log.
        problem: what is wrong with the line and what would be accepted.
    """

    # One per rejected line, possibly many: fields in ``args``, no Python ``__init__``.
    if TYPE_CHECKING:

        def __init__(self, source: str, line: int, problem: str, /) -> None: ...

    @property
    def source(self) -> str:
        return self.args[0]  # type: ignore[no-any-return]

    @property
    def line(self) -> int:
        return self.args[1]  # type: ignore[no-any-return]

    @property
    def problem(self) -> str:
        return self.args[2]  # type: ignore[no-any-return]

    @property
    def message(self) -> str:
        return f"{escape(self.source)}:{self.line}: {self.problem}"


class UnreadableLog(JobFSMError):
    """A status log that cannot be read at all (missing, a directory, no permission, no columns).

    Attributes:
        source: the log's name as given.
        reason: why it cannot be read.
    """

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(source, reason)
        self.source = source
        self.reason = reason

    @property
    def message(self) -> str:
        return f"cannot read status log {escape(self.source)}: {self.reason}"


class ConcurrentUpdate(TransitionRejected):
    """A stored job that another worker moved under this one; nothing was written.

    Raised when the caller's ``expected`` status is not the one found, or when the
    compare-and-set lost the race ``attempts`` times in a row.

    Attributes:
        expected: the status the caller believed the job was in (None when it did not say).
        attempts: how many compare-and-set attempts were made.
    """

    if TYPE_CHECKING:

        def __init__(
            self,
            job_id: str | None,
            source: Status,
            target: Status | None,
            event: str | None,
            allowed: frozenset[Status],
            expected: Status | None,
            attempts: int,
            /,
        ) -> None: ...

    @property
    def expected(self) -> Status | None:
        return self.args[5]  # type: ignore[no-any-return]

    @property
    def attempts(self) -> int:
        return self.args[6]  # type: ignore[no-any-return]

    @property
    def message(self) -> str:
        target = _status(self.target)
        if self.expected is not None and self.expected != self.source:
            return (
                f"{self._subject()}expected {_status(self.expected)} but found "
                f"{_status(self.source)}, so the move to {target} was not applied; read the job "
                "again and decide from its current status"
            )
        return (
            f"{self._subject()}other workers moved the job {self.attempts} times while it was "
            f"being moved to {target} (last found {_status(self.source)}); try again"
        )


class JobNotFound(JobFSMError, LookupError):
    """A job id the store does not hold.

    Attributes:
        job_id: the id that was asked for.
    """

    def __init__(self, job_id: str) -> None:
        super().__init__(job_id)
        self.job_id = job_id

    @property
    def message(self) -> str:
        return f"job {self.job_id!r} is not in the store; create it first (`jobfsm store create`)"


class JobNotTracked(JobFSMError, KeyError):
    """A job id a :class:`~jobfsm.tracker.Tracker` is not tracking (never seen, or forgotten).

    Attributes:
        job_id: the id that was asked for.
    """

    def __init__(self, job_id: str) -> None:
        super().__init__(job_id)
        self.job_id = job_id

    @property
    def message(self) -> str:
        return f"job {self.job_id!r} is not tracked; observe it first (or it was forgotten)"


class InvalidTime(JobFSMError, ValueError, TypeError):
    """A time jobfsm cannot place: a naive datetime, a time before 1970, an absurd number, or not
    a time at all.

    Attributes:
        value: the value given.
        expected: what would be accepted.
        argument: the parameter it was given as, for example ``created_at``, when known.
    """

    def __init__(self, value: object, expected: str, argument: str | None = None) -> None:
        super().__init__(value, expected, argument)
        self.value = value
        self.expected = expected
        self.argument = argument

    @property
    def message(self) -> str:
        given = f"{self.argument} " if self.argument else ""
        return f"{given}{_shown(self.value)} is not a usable time; expected {self.expected}"


class JobExists(JobFSMError):
    """A create for a job id the store already holds; the stored job was left as it was.

    Attributes:
        job_id: the id that was asked for.
        status: the status the stored job is in.
    """

    def __init__(self, job_id: str, status: Status) -> None:
        super().__init__(job_id, status)
        self.job_id = job_id
        self.status = status

    @property
    def message(self) -> str:
        return (
            f"job {self.job_id!r} is already in the store (now {_status(self.status)}); "
            "move it instead, or create the re-run under a new id"
        )


class StoreUnavailable(JobFSMError):
    """A job store that cannot be opened or used: bad URL, unreachable server, no schema.

    Attributes:
        url: the database URL with any password masked.
        problem: what went wrong, in a phrase.
    """

    def __init__(self, url: str, problem: str) -> None:
        super().__init__(url, problem)
        self.url = url
        self.problem = problem

    @property
    def message(self) -> str:
        return f"cannot use the job store at {escape(self.url)}: {self.problem}"


class CorruptJob(JobFSMError, ValueError):
    """A stored job whose row holds a value jobfsm never writes (changed outside jobfsm); reads of
    other jobs are not affected.

    Attributes:
        job_id: the job the row belongs to.
        field: the column, for example ``status`` or ``history[3].at`` (the move with seq 3).
        value: the value found.
        problem: what jobfsm expected there.
    """

    def __init__(self, job_id: str, field: str, value: object, problem: str) -> None:
        super().__init__(job_id, field, value, problem)
        self.job_id = job_id
        self.field = field
        self.value = value
        self.problem = problem

    @property
    def message(self) -> str:
        return (
            f"job {self.job_id!r} in the store cannot be read: its {self.field} is "
            f"{_shown(self.value)}, not {self.problem}; the row was changed outside jobfsm "
            "(repair or delete it)"
        )


class MissingExtra(JobFSMError, ImportError):
    """An optional feature whose dependencies are not installed.

    Attributes:
        feature: what was asked for, for example ``"the job store"``.
        extra: the extra that installs it, for example ``"sql"``.
        missing: the module that could not be imported.
    """

    def __init__(self, feature: str, extra: str, missing: str) -> None:
        super().__init__(feature, extra, missing)
        self.feature = feature
        self.extra = extra
        self.missing = missing

    @property
    def message(self) -> str:
        return (
            f"{self.feature} needs {self.missing}, which is not installed; "
            f"run: pip install 'jobfsm[{self.extra}]'"
        )


#: Finds the first character no job id may hold: C0 controls and DEL, which would break every line
#: of output that shows the id (and PostgreSQL cannot compare a text holding NUL). Not
#: str.isprintable(), which would also refuse ids holding a no-break space or a zero-width joiner.
#: Status logs and job stores both refuse ids by it.
find_control_character = re.compile("[\x00-\x1f\x7f]").search


class UnusableJobId(InvalidJobId):
    """A non-blank job id that still cannot be used: a control character in it, or too long.

    A control character (U+0000–U+001F, U+007F: a newline, a tab, NUL...) would break every line
    of output that shows the id; a job store keeps ids of at most 255 characters.

    Attributes:
        job_id: the value given.
        problem: what is wrong with it, in a phrase.
    """

    def __init__(self, job_id: str, problem: str) -> None:
        super().__init__(job_id)
        self.args = (job_id, problem)
        self.problem = problem

    @property
    def message(self) -> str:
        return (
            f"{_shown(self.job_id)} is not a job id: {self.problem}; expected printable text "
            "such as 'train-42'"
        )


class LifecycleMismatch(JobFSMError):
    """A stored job whose lifecycle is not the store's: its codes mean other statuses there, so
    it is neither read nor moved; nothing was changed.

    Attributes:
        job_id: the job asked for.
        stored: the name of the lifecycle the job is stored under.
        expected: the name of the lifecycle the store judges moves by.

    >>> print(LifecycleMismatch("train-1", "modelarts-v1", "modelarts-v2"))
    job 'train-1' is stored under lifecycle 'modelarts-v1'; this store judges 'modelarts-v2'
    moves: open it with lifecycle=get_lifecycle('modelarts-v1') (on the command line,
    --lifecycle modelarts-v1) to read or move the job; nothing was changed
    """

    def __init__(self, job_id: str, stored: str, expected: str) -> None:
        super().__init__(job_id, stored, expected)
        self.job_id = job_id
        self.stored = stored
        self.expected = expected

    @property
    def message(self) -> str:
        stored = _shown(self.stored)
        return (
            f"job {self.job_id!r} is stored under lifecycle {stored}; this store judges "
            f"{_shown(self.expected)} moves: open it with lifecycle=get_lifecycle({stored}) "
            f"(on the command line, --lifecycle {escape(self.stored)}) to read or move the job; "
            "nothing was changed"
        )


# Here rather than in the list above, which other changes edit.
__all__ += ["LifecycleMismatch"]


# -- job sources (jobfsm.modelarts) ---------------------------------------------------------------

# Added here rather than in the list above, beside the classes.
__all__ += ["SourceError", "SourceNotConfigured"]


class SourceNotConfigured(JobFSMError, ValueError):
    """A job source that cannot be built: no credentials, or no endpoint to send them to.

    Attributes:
        what: what is missing, in words (``"credentials"``, ``"an endpoint"``).
        problem: what exactly is wrong (``"HUAWEICLOUD_SDK_SK is not set"``).
        settings: the environment variables or options that give it.
        remedy: how to give them, in a phrase that ends the message.
    """

    def __init__(self, what: str, problem: str, settings: Sequence[str], remedy: str) -> None:
        super().__init__(what, problem, tuple(settings), remedy)
        self.what = what
        self.problem = problem
        self.settings = tuple(settings)
        self.remedy = remedy

    @property
    def message(self) -> str:
        return f"the ModelArts source needs {self.what}: {escape(self.problem)}; {self.remedy}"


class SourceError(JobFSMError):
    """A request to a job source that failed, after its retries when the failure was transient;
    the poll it belonged to gave nothing.

    Attributes:
        request: what was asked, for example ``"list training jobs (page 3)"``.
        endpoint: where it was sent (a URL).
        attempts: how many times it was sent.
        status: the last HTTP status, or None when no answer came (a timeout, a refused
            connection).
        error_code: the service's own error code, when it gave one (``"ModelArts.0103"``).
        reason: the last failure, in a phrase.
        retryable: True for a failure a later poll may not meet (HTTP 429, 5xx, a timeout, a lost
            connection); False for one that lasts until something is changed (credentials,
            permissions, the endpoint).
    """

    def __init__(
        self,
        request: str,
        endpoint: str,
        attempts: int,
        status: int | None,
        error_code: str | None,
        reason: str,
        retryable: bool,
    ) -> None:
        super().__init__(request, endpoint, attempts, status, error_code, reason, retryable)
        self.request = request
        self.endpoint = endpoint
        self.attempts = attempts
        self.status = status
        self.error_code = error_code
        self.reason = reason
        self.retryable = retryable

    def _remedy(self) -> str:
        if self.status == 401:
            return "check HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK (an access key and its secret)"
        if self.status == 403:
            return (
                "the credentials may not read ModelArts training jobs: check their IAM "
                "permissions and HUAWEICLOUD_SDK_PROJECT_ID"
            )
        if self.status == 404:
            return "check the endpoint (or region) and HUAWEICLOUD_SDK_PROJECT_ID"
        if self.retryable:
            return "the service is busy or out of reach; a later poll may succeed"
        return "check the endpoint (or region) and the request"

    @property
    def message(self) -> str:
        got = f"HTTP {self.status}" if self.status is not None else "no answer"
        code = f" {self.error_code}" if self.error_code else ""
        tries = "attempt" if self.attempts == 1 else "attempts"
        return (
            f"ModelArts at {escape(self.endpoint)}: {self.request} failed after {self.attempts} "
            f"{tries} ({got}{code}: {escape(self.reason)}); {self._remedy()}"
        )


class InvalidIdentifier(JobFSMError, ValueError):
    """A table or column name that generated SQL cannot name as given; nothing was generated.

    Every name is written quoted (``"my jobs"``), so any other character is kept as it is.

    Attributes:
        argument: which name it is: ``"table"``, ``"column"``, ``"id_column"`` or
            ``"lifecycle_column"``.
        name: the value given.
        problem: what is wrong with it, in a phrase.
        dialect: the database the SQL is for (``"postgresql"``, ``"sqlite"``), or empty.

    >>> print(InvalidIdentifier("table", "ops.jobs", "it holds a '.'", "postgresql"))
    'ops.jobs' cannot be the table name in postgresql SQL: it holds a '.'; give the bare name
    exactly as the database spells it, such as jobs (it is quoted as given)
    """

    def __init__(self, argument: str, name: object, problem: str, dialect: str = "") -> None:
        super().__init__(argument, name, problem, dialect)
        self.argument = argument
        self.name = name
        self.problem = problem
        self.dialect = dialect

    @property
    def message(self) -> str:
        what = self.argument.replace("_", " ")
        if what == "column":
            what = "status column"
        where = f" in {self.dialect} SQL" if self.dialect else ""
        return (
            f"{_shown(self.name)} cannot be the {what} name{where}: {self.problem}; give the bare "
            "name exactly as the database spells it, such as "
            f"{_IDENTIFIER_EXAMPLES.get(self.argument, 'jobs')} (it is quoted as given)"
        )


_IDENTIFIER_EXAMPLES = {"column": "status", "id_column": "job_id", "lifecycle_column": "lifecycle"}

# Here rather than in the list above, which other changes edit.
__all__ += ["InvalidIdentifier"]


class MissingJava(MissingExtra):
    """Spark (the ``pyspark`` extra, :mod:`jobfsm.spark`) is installed but finds no Java to run.

    Attributes:
        feature: what was asked for, for example ``"Spark checking (jobfsm.spark)"``.

    >>> print(MissingJava("Spark checking (jobfsm.spark)"))
    Spark checking (jobfsm.spark) needs Java, which was not found (neither JAVA_HOME nor java on
    PATH); install it, for example: apt-get install default-jre-headless (make java)
    """

    def __init__(self, feature: str) -> None:
        Exception.__init__(self, feature)
        self.feature = feature
        self.extra = "pyspark"
        self.missing = "java"

    @property
    def message(self) -> str:
        return (
            f"{self.feature} needs Java, which was not found (neither JAVA_HOME nor java on PATH); "
            "install it, for example: apt-get install default-jre-headless (make java)"
        )


__all__ += ["MissingJava"]


class EngineFailed(JobFSMError):
    """A query engine that could not finish judging a log (out of memory, out of disk...).

    Attributes:
        engine: which engine (``"duckdb"``).
        reason: what it said.
        memory_limit: the memory limit it ran with.
    """

    def __init__(self, engine: str, reason: str, memory_limit: str) -> None:
        super().__init__(engine, reason, memory_limit)
        self.engine = engine
        self.reason = reason
        self.memory_limit = memory_limit

    @property
    def message(self) -> str:
        return (
            f"the {self.engine} engine could not finish: {escape(self.reason)} (memory limit "
            f"{self.memory_limit}; raise --memory-limit, or free disk space for what spills)"
        )


__all__ += ["EngineFailed"]
