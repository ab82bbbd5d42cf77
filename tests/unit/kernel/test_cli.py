"""The `spaceport` command line: schema output, override parsing, refusals of bad input."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from spaceport.criteria import format_observed
from spaceport.events import EVENT_CLASSES
from spaceport.params import JobOptions
from spaceport_app.cli.main import app

pytestmark = pytest.mark.unit
runner = CliRunner()


def test_schema_prints_valid_json_schema_for_every_event() -> None:
    """`spaceport schema` prints one valid JSON Schema per event type."""
    from jsonschema import Draft202012Validator

    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    schemas = json.loads(result.stdout)
    assert set(schemas) == set(EVENT_CLASSES)
    for schema in schemas.values():
        Draft202012Validator.check_schema(schema)


def test_overrides_set_nested_parameters_with_json_values() -> None:
    """`--set stage.field=value` changes that parameter, parsing numbers and lists as JSON."""
    options = JobOptions.for_preset("preview").with_overrides(
        ["trainer.steps=42", "trainer.densify.growth=1.2", "sfm.camera_model=PINHOLE"]
    )
    assert options.trainer.steps == 42 and options.trainer.densify.growth == 1.2
    assert options.sfm.camera_model == "PINHOLE"


def test_quality_preset_keeps_the_largest_sh_palette() -> None:
    """`quality` asks the compressor for 65,536 SH palette entries; the other presets size it from the splats."""
    assert JobOptions.for_preset("quality").compressor.palette_size == 65_536
    assert JobOptions.for_preset("standard").compressor.palette_size is None
    assert JobOptions.for_preset("preview").compressor.palette_size is None
    override = JobOptions.for_preset("quality").with_overrides(["compressor.palette_size=null"])
    assert override.compressor.palette_size is None


@pytest.mark.parametrize(
    ("observed", "expected", "text"),
    [
        (13669.0, ">= 1,000", "13,669"),
        (1.0, "> 50%", "100.0%"),
        (0.5042, "> 50%", "50.4%"),
        (74401531.0, "> 102,400 B", "74,401,531"),
        (31.3912, ">= 25.0 dB", "31.39"),
        (2.346e-05, "<= 0.001", "2.346e-05"),
        (None, ">= 14.0 dB", "-"),
    ],
)
def test_observed_values_read_as_their_expectation(observed: float | None, expected: str, text: str) -> None:
    """Summaries and alerts print shares as percentages, counts and bytes with separators, the rest to 4 digits."""
    assert format_observed(observed, expected) == text


@pytest.mark.parametrize("override", ["trainer.nope=1", "steps=3", "trainer.steps=-5", "nope.steps=1", "trainer"])
def test_bad_overrides_are_refused(override: str) -> None:
    """Unknown parameters, missing groups and invalid values are refused with a ValueError."""
    with pytest.raises(ValueError):
        JobOptions.for_preset("standard").with_overrides([override])


def test_run_refuses_a_folder_without_photos(tmp_path: Path) -> None:
    """`spaceport run` on an empty folder exits with status 2 and says why, before starting anything."""
    result = runner.invoke(app, ["run", str(tmp_path)])
    assert result.exit_code == 2
    assert "no photos" in result.output or "found" in result.output


def test_run_refuses_a_bad_override(tmp_path: Path) -> None:
    """`spaceport run --set` with an unknown parameter exits with status 2."""
    (tmp_path / "a.jpg").write_bytes(b"x")
    result = runner.invoke(app, ["run", str(tmp_path), "--set", "trainer.nope=1"])
    assert result.exit_code == 2 and "unknown parameter" in result.output
