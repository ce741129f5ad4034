"""The README tells the truth: every fenced python block runs exactly as written (each in
an empty working directory), every `debris-engine` command line it shows parses with the
command's own parser, the cheap ones run, and every command and option of the parser is
in the README's command-line section."""

from __future__ import annotations

import argparse
import re
import shlex
import warnings
from pathlib import Path

import pytest

from engine.cli import build_parser, main

README = Path(__file__).resolve().parents[1] / "README.md"
TEXT = README.read_text(encoding="utf-8")
FENCED = re.findall(r"^```(\w*)\n(.*?)^```", TEXT, re.S | re.M)
PYTHON = [code for lang, code in FENCED if lang == "python"]
SHELL = [code for lang, code in FENCED if lang in ("sh", "bash", "console")]
#: commands of the README that take more than a few seconds: parsed, not run here
#: (the scenario and bench have tests of their own on small configurations)
NOT_RUN = ("scenario", "bench")


def _commands():
    """Every `debris-engine ...` command in the README's shell blocks, as (line, argv)."""
    out = []
    for block in SHELL:
        for line in block.replace("\\\n", " ").splitlines():
            for part in line.split("&&"):
                part = part.strip()
                if part.startswith("debris-engine"):
                    out.append(part)
    return out


COMMANDS = _commands()
SYNOPSIS = [c for c in COMMANDS if re.search(r"[\[|]|\b[A-Z]{3,}\b", c)]   # placeholders: INPUT, [--x], a|b
CONCRETE = [c for c in COMMANDS if c not in SYNOPSIS]


def _subparsers(parser):
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return action.choices


def test_readme_has_python_and_shell_blocks():
    assert len(PYTHON) >= 3 and SHELL and CONCRETE and SYNOPSIS


@pytest.mark.parametrize("code", PYTHON, ids=[f"python-{k}" for k in range(len(PYTHON))])
def test_python_block_runs_as_written(code, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")     # e.g. the sub-orbital fragments' BadRecordsWarning
        exec(compile(code, "README.md", "exec"), {"__name__": "__readme__"})
    out = capsys.readouterr().out
    # what the README says the blocks print or write
    if "lowest point" in code:
        assert re.match(r"\d+ objects; lowest point \d+\.\d+ km", out), out
    if "engine.events.cosmos1408(lc_min=0.1" in code:
        lines = out.splitlines()
        assert lines[0].startswith("1400 ") and re.match(r"\d+ True 263157\.89", lines[1]), out
    if "to_csv(\"iss_approaches.csv\")" in code:
        rows = (tmp_path / "iss_approaches.csv").read_text().splitlines()
        assert rows[0].startswith("NORAD_CAT_ID_1")
        assert len(list((tmp_path / "cdms").glob("*.cdm"))) == len(rows) - 1


def test_every_synopsis_command_and_option_exists():
    subs = _subparsers(build_parser())
    for line in SYNOPSIS:
        words = line.split()
        assert words[1] in subs or words[1] == "COMMAND", f"README: {line!r}: no command {words[1]!r}"
        if words[1] == "COMMAND":
            continue
        sub = subs[words[1]]
        options = {o: a for a in sub._actions for o in a.option_strings}
        for m in re.finditer(r"(--[a-z][a-z0-9-]*)(?:[ =]([A-Za-z0-9_.|-]+))?", line):
            opt, value = m.group(1), m.group(2)
            assert opt in options, f"README: {line!r}: {words[1]} has no option {opt}"
            choices = options[opt].choices
            if choices and value and "|" in value:
                assert set(value.split("|")) <= set(choices), f"README: {line!r}: {opt} takes {choices}"


def test_every_command_and_option_of_the_parser_is_in_the_readme():
    section = TEXT.split("## Command line", 1)[1].split("\n## ", 1)[0]
    for name, sub in _subparsers(build_parser()).items():
        lines = [s for s in SYNOPSIS if s.split()[1] == name]
        assert lines, f"README's command-line section does not show `debris-engine {name}`"
        shown = " ".join(lines)
        for a in sub._actions:
            for opt in a.option_strings:
                if opt.startswith("--") and opt != "--help":
                    assert re.search(re.escape(opt) + r"\b", shown), \
                        f"README's synopsis of `{name}` lacks {opt}"
    assert "exit code" in section


def _concrete_blocks():
    """The shell blocks' concrete commands, block by block (a later command may read what
    an earlier one of its block wrote)."""
    blocks = []
    for block in SHELL:
        joined = block.replace("\\\n", " ")
        lines = [c for c in CONCRETE if c in joined]
        if lines:
            blocks.append(sorted(lines, key=joined.index))
    return blocks


@pytest.mark.parametrize("lines", _concrete_blocks(), ids=lambda ls: ls[0][:40])
def test_concrete_commands_parse_and_the_cheap_ones_run(lines, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    for line in lines:
        argv = shlex.split(line)[1:]
        if "--help" in argv or "-h" in argv:
            with pytest.raises(SystemExit) as exc:
                build_parser().parse_args(argv)
            assert exc.value.code == 0, line
            continue
        try:
            build_parser().parse_args(argv)
        except SystemExit:
            pytest.fail(f"README: {line!r} does not parse: {capsys.readouterr().err}")
        if argv[0] in NOT_RUN:
            continue
        code = main(argv)
        assert code == 0, f"README: {line!r} exits {code}: {capsys.readouterr().err}"


def test_readme_test_command_is_ci_command():
    ci = (README.parent / ".ci" / "run").read_text().strip().splitlines()[-1]
    assert ci in TEXT, f".ci/run runs {ci!r}, which the README does not show"
