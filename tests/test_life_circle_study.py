"""The life circle in a study: ``[services] preset``, completeness targets, every check output,
the second demo study and ``lifecircle check`` exit codes."""

from __future__ import annotations

import json
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from lifecircle.cli import app
from lifecircle.data import demo_path
from lifecircle.errors import ConfigError, LifecircleWarning
from lifecircle.study import (
    Target,
    demo_study_path,
    describe_target,
    load_study,
    run_study,
    study_from_text,
)

pytestmark = pytest.mark.slow  # the demo study, end to end

runner = CliRunner()
DEMO = demo_path("grids").parent


def _study_text(*, minimum: float = 0.1, services: str | None = None) -> str:
    text = demo_study_path("life_circle").read_text(encoding="utf-8")
    text = text.replace('"demo/', f'"{DEMO.as_posix()}/')
    if services is not None:
        head, rest = text.split("[services]", 1)
        text = head + "[services]\n" + services + "\n" + rest[rest.index("# The synthetic") :]
    return text.replace("minimum = 0.1", f"minimum = {minimum}")


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "life.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_second_demo_study_parses_and_uses_the_preset():
    study = load_study(demo_study_path("life_circle"))
    assert study.life_circle is not None and study.life_circle.preset == "gb50180_2018"
    assert study.life_circle.options.met_share == 0.9
    assert "facilities" in study.layers
    assert [t.metric for t in study.targets] == ["completeness", "completeness"]
    assert set(study.services) == {"elderly", "care", "bathing"}  # the defaults still apply


def test_the_first_demo_study_is_untouched():
    study = load_study(demo_study_path())
    assert study.life_circle is None
    assert "completeness" not in {t.metric for t in study.targets}


@pytest.mark.parametrize(
    ("services", "message"),
    [
        ('preset = "gb50180"', 'unknown preset "gb50180"; expected one of gb50180_2018, '
         'shanghai_2016; did you mean "gb50180_2018"?'),
        ('preset = "gb50180_2018"\nmet_share = 90', "met_share: expected a number between 0 and 1"),
        ("met_share = 0.8", "services.preset: missing"),
    ],
)  # fmt: skip
def test_bad_life_circle_settings_are_config_errors(tmp_path, services, message):
    with pytest.raises(ConfigError) as caught:
        study_from_text(_study_text(services=services), tmp_path / "life.toml")
    assert message in str(caught.value)


def test_a_completeness_target_needs_a_preset(tmp_path):
    text = demo_study_path().read_text(encoding="utf-8").replace('"demo/', f'"{DEMO.as_posix()}/')
    text = text.replace('metric = "coverage"', 'metric = "completeness"', 1)
    with pytest.raises(ConfigError, match=r'targets\[1\].metric: "completeness" needs'):
        study_from_text(text, tmp_path / "study.toml")


def test_run_study_gates_on_completeness(tmp_path):
    with pytest.warns(LifecircleWarning, match="sports_centre"):  # no sports hall, on purpose
        run = run_study(study_from_text(_study_text(), tmp_path / "life.toml"))
    assert run.report.passed
    assert run.life_circle is not None
    table = run.tables["T1"]
    grids = run.life_circle.grids.set_index("id")
    micro = table[table["level"] == "microgrid"].set_index("id")["value"]
    assert micro.to_dict() == pytest.approx(grids.loc[micro.index, "completeness"].to_dict())
    assert run.report.outcomes[0].achieved == pytest.approx(2 / 19)


def test_check_exit_codes_and_every_output(tmp_path):
    passing = _write(tmp_path, _study_text())
    out = tmp_path / "out"
    with warnings.catch_warnings():  # the CLI prints them: no sports hall, on purpose
        warnings.simplefilter("default", LifecircleWarning)
        result = runner.invoke(
            app,
            ["check", str(passing), "--json", str(out / "c.json"), "--markdown",
             str(out / "c.md"), "--junit", str(out / "c.xml"), "--xlsx", str(out / "c.xlsx")],
        )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "warning: no facility of 1 required categories: sports_centre" in result.output
    data = json.loads((out / "c.json").read_text(encoding="utf-8"))
    first = data["targets"][0]
    assert first["metric"] == "completeness" and first["preset"] == "gb50180_2018"
    assert first["passed"] is True and first["achieved"] == pytest.approx(2 / 19, abs=1e-6)
    assert "GB 50180-2018 categories | 微网格 | ≥ 10.0%" in (out / "c.md").read_text("utf-8")
    root = ET.parse(out / "c.xml").getroot()
    assert root.get("failures") == "0"
    workbook = openpyxl.load_workbook(out / "c.xlsx")
    cells = [str(c) for ws in workbook.worksheets for row in ws.iter_rows(values_only=True)
             for c in row if c is not None]  # fmt: skip
    assert any("生活圈完整度" in c for c in cells)

    failing = _write(tmp_path, _study_text(minimum=0.5))
    with warnings.catch_warnings():
        warnings.simplefilter("default", LifecircleWarning)
        missed = runner.invoke(app, ["check", str(failing), "--junit", str(out / "f.xml")])
    assert missed.exit_code == 1, missed.output
    assert ET.parse(out / "f.xml").getroot().get("failures") != "0"

    broken = _write(tmp_path, _study_text(services='preset = "nope"'))
    assert runner.invoke(app, ["check", str(broken)]).exit_code == 2


def test_an_unnamed_completeness_target_is_described_in_both_languages():
    target = Target(id="T1", name="", metric="completeness", minimum=0.5, preset="gb50180_2018")
    assert describe_target(target, "zh") == "生活圈完整度：达到GB 50180-2018要求的设施类别比例"
    assert describe_target(target, "en") == (
        "life-circle completeness: share of the GB 50180-2018 service categories met"
    )
