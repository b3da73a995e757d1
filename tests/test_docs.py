"""Every code block of the README and of the documentation pages runs, each on its own.

A block is run by its language, in a fresh temporary directory with nothing of the other blocks:

- ``python``: with ``>>>`` prompts, a doctest (ELLIPSIS, NORMALIZE_WHITESPACE); else a script;
- ``sh``: a bash script with ``set -e -o pipefail``, which must exit 0;
- ``console``: a transcript; each ``$ command`` runs in bash (as typed: no pipefail), and what
  it prints (stdout and stderr) must match the lines below it (``...`` matches anything); it
  must exit 0 unless its comment says ``# exit N`` or the next command is ``echo $?``;
- ``toml``: a lifecycle file, which must load and pass its checks;
- ``text``, ``json``, ``mermaid``, ``dot``: shown, not run.

A block that must not run here (an install, a server on another host) follows a line
``<!-- not run: REASON -->``; it still needs a language.
"""

from __future__ import annotations

import doctest
import io
import os
import re
import subprocess
import sys
from contextlib import redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import pytest

from jobfsm import get_lifecycle

ROOT = Path(__file__).resolve().parent.parent
PAGES = ROOT / "docs" / "pages"
DOCUMENTS = [ROOT / "README.md", *sorted(PAGES.rglob("*.md"))]
RUN = {"python", "sh", "console", "toml"}
SHOWN = {"text", "json", "mermaid", "dot"}
FENCE = re.compile(r"^(?P<indent> *)(?P<fence>`{3,})(?P<lang>[\w-]*)\s*$")
NOT_RUN = re.compile(r"^\s*<!-- not run: .+ -->\s*$")
EXIT = re.compile(r"#.*\bexit (\d+)\b")
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


@dataclass(frozen=True)
class Block:
    path: Path
    line: int  # of the opening fence, from 1
    lang: str
    code: str
    run: bool

    @property
    def name(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def blocks(path: Path) -> list[Block]:
    """The fenced code blocks of a Markdown file, with their language and line."""
    found = []
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        indent, fence = opening["indent"], opening["fence"]
        previous = next((line for line in reversed(lines[:i]) if line.strip()), "")
        body = []
        j = i + 1
        while not re.fullmatch(rf" {{0,{len(indent)}}}{fence}`*\s*", lines[j]):
            body.append(lines[j].removeprefix(indent))
            j += 1
        code = "\n".join(body) + "\n"
        found.append(Block(path, i + 1, opening["lang"], code, not NOT_RUN.match(previous)))
        i = j + 1
    return found


ALL = [block for path in DOCUMENTS for block in blocks(path)]
RUNNABLE = [block for block in ALL if block.run and block.lang in RUN]


def environment() -> dict[str, str]:
    """This interpreter's ``jobfsm`` first on PATH, and a fixed width for anything that asks."""
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env["COLUMNS"] = "100"
    env["PYTHONIOENCODING"] = "utf-8"
    return env


def test_the_documents_have_code_blocks() -> None:
    """The collection reads the README and every page (a renamed folder would test nothing)."""
    assert len(DOCUMENTS) > 10
    assert {block.path.name for block in RUNNABLE} >= {"README.md", "lifecycle.md", "store.md"}


@pytest.mark.parametrize("block", ALL, ids=lambda block: block.name)
def test_every_block_has_a_known_language(block: Block) -> None:
    """A block without a language, or with an unknown one, would silently go unrun."""
    assert block.lang in RUN | SHOWN, f"{block.name}: language {block.lang!r}"


@pytest.mark.parametrize("block", RUNNABLE, ids=lambda block: block.name)
def test_block_runs(block: Block, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    if block.lang == "python" and ">>>" in block.code:
        run_doctest(block)
    elif block.lang == "python":
        exec(compile(block.code, block.name, "exec"), {"__name__": "__docs__"})
    elif block.lang == "sh":
        done = subprocess.run(
            ["bash", "-e", "-o", "pipefail", "-c", block.code],
            cwd=tmp_path,
            env=environment(),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, f"{block.name} exited {done.returncode}:\n{done.stderr}"
    elif block.lang == "console":
        run_transcript(block, tmp_path)
    else:
        path = tmp_path / "lifecycle.toml"
        path.write_text(block.code, encoding="utf-8")
        get_lifecycle(path)


def run_doctest(block: Block) -> None:
    test = doctest.DocTestParser().get_doctest(
        block.code, {"__name__": "__docs__"}, block.name, str(block.path), block.line
    )
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    report = io.StringIO()
    with redirect_stdout(io.StringIO()):
        runner.run(test, out=report.write)
    assert not runner.failures, report.getvalue()


def transcript(code: str) -> list[tuple[str, str]]:
    """The ``(command, expected output)`` pairs of a console block."""
    steps: list[tuple[str, list[str]]] = []
    for line in code.splitlines():
        if line.startswith("$ "):
            steps.append((line[2:], []))
        else:
            assert steps, f"output before the first command: {line!r}"
            steps[-1][1].append(line)
    return [(command, "".join(line + "\n" for line in out)) for command, out in steps]


def run_transcript(block: Block, cwd: Path) -> None:
    checker = doctest.OutputChecker()
    code = 0
    steps = transcript(block.code)
    for step, (command, expected) in enumerate(steps):
        done = subprocess.run(
            ["bash", "-c", f"(exit {code}); {command}"],
            cwd=cwd,
            env=environment(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=300,
            check=False,
        )
        said = EXIT.search(command)
        wanted = int(said.group(1)) if said else 0
        shown = step + 1 < len(steps) and steps[step + 1][0].startswith("echo $?")
        if not (shown or command.startswith("echo $?")):
            assert done.returncode == wanted, (
                f"{block.name}: `{command}` exited {done.returncode}, not {wanted}:\n{done.stdout}"
            )
        got = "".join(line.rstrip() + "\n" for line in done.stdout.splitlines())
        assert checker.check_output(expected, got, doctest.ELLIPSIS), (
            f"{block.name}: `{command}` printed\n{got}\ninstead of\n{expected}"
        )
        code = done.returncode


def test_transcripts_read_as_they_are_run() -> None:
    """A console block splits into its commands and their output."""
    assert transcript("$ a\none\ntwo\n$ b # exit 1\n") == [("a", "one\ntwo\n"), ("b # exit 1", "")]


LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda path: str(path.relative_to(ROOT)))
def test_relative_links_lead_to_files_that_exist(path: Path) -> None:
    """The README's and the pages' links (pictures, other pages) resolve in the repository too,
    where the pages are read without the site (the site's build checks them with --strict)."""
    text = path.read_text(encoding="utf-8")
    targets = [t for t in LINK.findall(text) if "://" not in t]
    missing = [t for t in targets if not (path.parent / t).exists()]
    assert not missing, f"{path.relative_to(ROOT)} links to missing files: {missing}"
