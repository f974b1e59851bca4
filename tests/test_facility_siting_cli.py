"""`lifecircle suggest --service`, the study's [siting] table and the README section."""

from __future__ import annotations

import shlex
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import lifecircle as lc
from lifecircle.cli import app
from lifecircle.data import demo_path
from lifecircle.errors import ConfigError
from lifecircle.study import demo_study_path, study_from_text

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
SECTION = (REPO / "README.md").read_text(encoding="utf-8").split("## Where should the next", 1)[1]
SECTION = SECTION.split("\n## ", 1)[0]


def _study(tmp_path: Path, extra: str = "") -> Path:
    data = demo_path("grids.geojson").parent
    text = demo_study_path().read_text(encoding="utf-8").replace('"demo/', f'"{data.as_posix()}/')
    path = tmp_path / "study.toml"
    path.write_text(text + extra, encoding="utf-8")
    return path


def _vacant(tmp_path: Path, first_name: str = "空置底商") -> Path:
    """A candidate file with Chinese headers: 编号, 名称, and points (a few buildings)."""
    b = lc.load_demo_layers().buildings.iloc[::40]
    frame = b.assign(geometry=b.geometry.representative_point())[["id", "geometry"]]
    frame = frame.rename(columns={"id": "编号"})
    frame["名称"] = [first_name] + [f"底商{i}" for i in range(1, len(frame))]
    path = tmp_path / "vacant.geojson"
    frame.to_file(path, driver="GeoJSON")
    return path


def test_the_readme_python_example_runs(capsys):
    snippet = SECTION.split("```python\n", 1)[1].split("```", 1)[0]
    exec(compile(snippet, "README.md:siting", "exec"), {"__name__": "readme"})
    out = capsys.readouterr().out
    assert "optimal gap 0%" in out and "resident-minutes" in out


def test_the_readme_commands_run_on_the_demo_study(tmp_path, monkeypatch):
    _study(tmp_path)
    _vacant(tmp_path)
    monkeypatch.chdir(tmp_path)
    block = SECTION.split("```text\n", 1)[1].split("```", 1)[0]
    commands = [line for line in block.splitlines() if line.startswith("lifecircle ")]
    assert len(commands) == 2
    for command in commands:
        got = CliRunner().invoke(app, shlex.split(command)[1:])
        assert got.exit_code == 0, got.output
        assert "已证明为最优" in got.output  # the study's language: zh
    table = pd.read_excel(tmp_path / "new-stations.xlsx")
    assert list(table.columns[:4]) == ["排序", "候选点编号", "名称", "最近街道"]
    assert table["新增15分钟步行可达的居民（人）"].dtype.kind == "i"


def test_user_strings_are_escaped_and_english_is_complete(tmp_path):
    study = _study(tmp_path)
    vacant = _vacant(tmp_path, first_name="=HYPERLINK(1)")
    out = tmp_path / "sites.csv"
    got = CliRunner().invoke(app, [
        "suggest", str(study), "--service", "care", "--sites", "3", "--candidates", str(vacant),
        "--lang", "en", "-o", str(out), "--objective", "total",
    ])  # fmt: skip
    assert got.exit_code == 0, got.output
    assert "least total walk" in got.output and "proven optimum" in got.output
    text = out.read_text(encoding="utf-8-sig")
    assert "=HYPERLINK" not in text.replace("'=HYPERLINK", "")
    assert "Residents newly within a 15-minute walk" in text


def test_seat_suggestions_stay_the_default(tmp_path):
    study = _study(tmp_path)
    got = CliRunner().invoke(app, ["suggest", str(study), "--seats", "2", "--lang", "en"])
    assert got.exit_code == 0, got.output
    assert "new seat sites chosen" in got.output
    alone = CliRunner().invoke(app, ["suggest", str(study), "--objective", "total"])
    assert alone.exit_code == 2 and "add --service" in alone.output


def test_siting_table_is_validated_with_the_rest_of_the_study(tmp_path):
    text = _study(tmp_path).read_text(encoding="utf-8")
    bad = text + (
        '\n[siting]\nservice = "elderley"\nsites = 0\nobjectiv = "total"\n'
        'min_spacing_m = -5\ncandidates = "missing.geojson"\n'
    )
    with pytest.raises(ConfigError) as err:
        study_from_text(bad, tmp_path / "study.toml")
    message = str(err.value)
    for key in ("siting.service", "siting.sites", "siting.objectiv", "siting.min_spacing_m",
                "siting.candidates"):  # fmt: skip
        assert key in message
    assert 'did you mean "objective"' in message
    both = text + '\n[siting]\nobjective = "worst"\ncapacity = 100\n'
    with pytest.raises(ConfigError, match=r"siting\.capacity"):
        study_from_text(both, tmp_path / "study.toml")


def test_the_study_siting_table_sets_the_question(tmp_path):
    _vacant(tmp_path)
    extra = '\n[siting]\nservice = "care"\nsites = 1\ncandidates = "vacant.geojson"\n'
    study = _study(tmp_path, extra + "min_spacing_m = 0\n")
    got = CliRunner().invoke(
        app, ["suggest", str(study), "--service", "care", "--sites", "2", "--lang", "en"]
    )
    assert got.exit_code == 0, got.output
    assert "2 new sites for care facilities chosen from" in got.output
    unknown = CliRunner().invoke(app, ["suggest", str(study), "--service", "nope"])
    assert unknown.exit_code == 2 and "expected one of elderly, care, bathing" in unknown.output


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_fewer_sites_than_asked_is_said_once_in_the_console_language(tmp_path, lang):
    """On the demo one new elderly site already reaches everyone a candidate can reach: the
    console says once, in its language, why only one of two came back."""
    study = _study(tmp_path)
    got = CliRunner().invoke(
        app, ["suggest", str(study), "--service", "elderly", "--sites", "2", "--lang", lang]
    )
    assert got.exit_code == 0, got.output
    if lang == "zh":
        assert "为老服务设施" in got.output and "“elderly”" not in got.output
        assert got.output.count("说明：") == 1
        assert "再增加 1 处新设施也不会带来任何收益" in got.output
    else:
        assert "for elderly services" in got.output
        assert got.output.count("Note: ") == 1 and "1 more would add nothing" in got.output
    assert "note:" not in got.output and "were left out" not in got.output
