"""Status values read as codes of one lifecycle, each distinct spelling looked up once; and the
rule that a log is read in one lifecycle, never half in another."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from jobfsm.errors import UnknownStatus, UnreadableLog, _shown
from jobfsm.lifecycles import BUILTIN, builtin, foreign_word
from jobfsm.vocabulary import readable

if TYPE_CHECKING:
    from jobfsm.lifecycle import Lifecycle

#: How many distinct status spellings (read or refused) a reader remembers: enough for any real
#: log, and a bound for one that writes a new one on every line.
_NAME_CACHE: Final = 4096
#: No status name is this long: a longer value is refused without looking for a similar name.
_LONGEST_NAME: Final = 64


class _StatusReading:
    """How the readers of one log read its status values, for the log's lifecycle.

    Spellings are remembered both ways: ``names`` maps read ones to their code, ``refused`` maps
    refused ones to the bad-line reason, which readers look up before calling :meth:`code`, so the
    search for similar names and the message run once per distinct value, not once per line.

    It also keeps the evidence for :meth:`check_one_lifecycle`: the first value that only this
    lifecycle reads, and the values that only another built-in lifecycle reads.
    """

    def __init__(self, lifecycle: Lifecycle) -> None:
        self.lifecycle = lifecycle
        self.statuses = lifecycle.statuses
        vocab = self.vocabulary = lifecycle.statuses.vocabulary
        codes = sorted(int(s) for s in lifecycle.statuses)
        #: Int statuses below this are codes as they are (0 when ints are no codes here).
        self.limit = len(codes) if vocab.numeric and codes == list(range(len(codes))) else 0
        self.names: dict[str, int] = {}
        self.refused: dict[str, str] = {}
        self.others = [
            found.statuses.vocabulary
            for other in BUILTIN
            if other != lifecycle.name and (found := builtin(other)) is not None
        ]
        #: The first line whose value only this lifecycle reads (an int code counts when
        #: no other reads ints), and the value.
        self.own: tuple[int, object] | None = None
        #: The first line whose value only another built-in lifecycle reads, that lifecycle and
        #: what the value is there; and how many such lines there were.
        self.foreign: tuple[int, object, str, str] | None = None
        self.foreign_lines = 0
        self._foreign_values: dict[str, tuple[str, str]] = {}

    def code(self, value: object, number: int) -> int:
        """The status code of ``value`` on line ``number``, or raise UnknownStatus."""
        if isinstance(value, int) and not isinstance(value, bool):
            if 0 <= value < self.limit:
                self.saw_int(number, value)
                return value
            if self.vocabulary.numeric and value in self.vocabulary.by_value:
                self.saw_int(number, value)
                return int(self.vocabulary.by_value[value])
            raise self._refuse(value, number, None)
        if not isinstance(value, str):
            raise UnknownStatus(value, lifecycle=self.vocabulary.name)
        code = self.names.get(value)
        if code is not None:
            return code
        if len(value) > _LONGEST_NAME and len(value.strip()) > _LONGEST_NAME:
            raise UnknownStatus(
                value, lifecycle=self.vocabulary.name, accepted=self.vocabulary.accepted()
            )
        try:
            code = int(self.statuses.parse(value))
        except UnknownStatus as exc:
            raise self._refuse(value, number, exc) from None
        if self.own is None and not any(readable(v, value) for v in self.others):
            self.own = (number, value)
        if len(self.names) < _NAME_CACHE:
            self.names[value] = code
        return code

    def saw_int(self, number: int, value: int) -> None:
        """Note an int code read on line ``number`` (readers call it once per batch at most)."""
        if self.own is None and not any(v.numeric for v in self.others):
            self.own = (number, value)

    def _refuse(self, value: object, number: int, error: UnknownStatus | None) -> UnknownStatus:
        if error is None:
            try:
                self.statuses.parse(value)
            except UnknownStatus as exc:
                error = exc
            else:  # pragma: no cover - code() only refuses what parse refuses
                raise AssertionError(value)
        found = foreign_word(self.lifecycle.name, value) if error.hint is not None else None
        if found is not None:
            self.note_foreign(number, value, found)
            if isinstance(value, str):
                self._foreign_values[value] = found
        if isinstance(value, str) and len(self.refused) < _NAME_CACHE:
            self.refused[value] = f"unknown status: {error.message}"
        return error

    def handed_over(self) -> _StatusReading:
        """This reading, to read the same lines again once they chose the lifecycle: spellings
        stay cached, so the first line only this lifecycle reads is kept (a cached spelling is
        not classified again), and lines of another lifecycle are counted again as met."""
        self.foreign = None
        self.foreign_lines = 0
        return self

    def refused_again(self, number: int, value: str) -> None:
        """A line whose value was refused before (found in ``refused``)."""
        other = self._foreign_values.get(value)
        if other is not None:
            self.note_foreign(number, value, other)

    def note_foreign(self, number: int, value: object, found: tuple[str, str]) -> None:
        self.foreign_lines += 1
        if self.foreign is None:
            self.foreign = (number, value, *found)

    def check_one_lifecycle(self, source: str) -> None:
        """Refuse the whole log when it holds values of another built-in lifecycle.

        Half-reading it would be wrong output, not a few bad lines: ``Creating, Pending, Running,
        Completed`` read as v1 keeps Running and Completed and calls the job succeeded.

        Raises:
            UnreadableLog: it mixes two lifecycles, or belongs to another one (naming which).
        """
        if self.foreign is None:
            return
        line, value, other, noun = self.foreign
        more = f" (and {self.foreign_lines - 1} more line(s))" if self.foreign_lines > 1 else ""
        shown = f"line {line}" + ("" if value is None else f": {_shown(value)}")
        if self.own is not None:
            own_line, own_value = self.own
            raise UnreadableLog(
                source,
                f"it mixes {self.lifecycle.name} statuses (line {own_line}: {_shown(own_value)}) "
                f"with {other} ones ({shown}{more}); a log is read in one lifecycle: split it, "
                "and read each part with its own --lifecycle",
            )
        raise UnreadableLog(
            source,
            f"{shown} is a {noun}{more}, and nothing in the log is read by "
            f"{self.lifecycle.name} alone; read this log with --lifecycle {other}",
        )
