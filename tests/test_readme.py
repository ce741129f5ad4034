"""The README's library example is executed, against the bundled example catalogue."""

import re
from pathlib import Path

from engine.cli import example_path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_example_runs(capsys):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    assert blocks, "README.md has no python example"
    code = blocks[0]
    assert len(code.strip().splitlines()) <= 12
    exec(compile(code.replace('"catalog.tle"', repr(example_path())), "README.md", "exec"), {})
    out = capsys.readouterr().out
    assert re.match(r"\d+ objects; lowest point \d+\.\d+ km", out), out


def test_readme_test_command_is_ci_command():
    ci = (README.parent / ".ci" / "run").read_text().strip().splitlines()[-1]
    assert ci in README.read_text(), f".ci/run runs {ci!r}, which the README does not show"


def test_readme_breakup_example_runs(capsys):
    import warnings

    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    code = next(b for b in blocks if "engine.events.cosmos1408" in b)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # the sub-orbital fragments' BadRecordsWarning
        exec(compile(code, "README.md", "exec"), {})
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("1400 ") and re.match(r"\d+ True 263157\.89", out[1]), out


def test_readme_screening_example_runs(tmp_path, monkeypatch):
    import warnings

    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    code = next(b for b in blocks if "engine.screen(" in b)
    monkeypatch.chdir(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(compile(code, "README.md", "exec"), {})
    assert (tmp_path / "iss_approaches.csv").read_text().startswith("NORAD_CAT_ID_1")
    assert len(list((tmp_path / "cdms").glob("*.cdm"))) == len((tmp_path / "iss_approaches.csv").read_text().splitlines()) - 1
