"""A Griffe extension: the package's reST-flavoured docstrings read as the Markdown they mean.

The docstrings are written for ``help()`` and doctest: examples are bare ``>>>`` lines, literal
blocks follow ``::`` and names are Sphinx roles (``:class:`~jobfsm.tracker.Tracker```). Markdown
would read the examples as block quotes and their output as links, so before mkdocstrings renders
a docstring, each run of ``>>>`` lines (up to the next blank line) is fenced as ``pycon``, a
closing ``::`` becomes ``:``, and a role becomes the code it names (``Tracker``).
"""

from __future__ import annotations

import re
from typing import Any

import griffe

ROLE = re.compile(r":(?:class|func|meth|mod|attr|data|exc|obj|const):`(~?)([^`]+)`")


def plain(match: re.Match[str]) -> str:
    tilde, target = match.groups()
    return f"`{target.rsplit('.', 1)[-1] if tilde else target}`"


def markdown(text: str) -> str:
    """``text`` with its doctest runs fenced, ``::`` closers and roles made Markdown."""
    out: list[str] = []
    lines = text.splitlines()
    fenced = False
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.lstrip()
        if stripped.startswith("```"):
            fenced = not fenced
        if fenced or not stripped.startswith(">>>"):
            if not fenced:
                line = ROLE.sub(plain, line)
                if line.endswith("::") and not line.endswith(" ::"):
                    line = line[:-1]
            out.append(line)
            i += 1
            continue
        indent = line[: len(line) - len(stripped)]
        out.append(f"{indent}```pycon")
        while i < len(lines) and lines[i].strip() and lines[i].startswith(indent):
            out.append(lines[i])
            i += 1
        out.append(f"{indent}```")
    return "\n".join(out)


class DoctestsAsMarkdown(griffe.Extension):
    def on_object(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = markdown(obj.docstring.value)
