"""Event models: golden wire format, round trips, and typed errors for what cannot be parsed."""

import json
import os
from pathlib import Path

import pytest

from spaceport.events import (
    EVENT_CLASSES,
    ImagesReady,
    ImagesReadyData,
    MalformedEvent,
    StageProgress,
    UnknownEventType,
    UnsupportedSchemaVersion,
    check_job_id,
    json_schemas,
    parse_event,
)
from tests.unit.kernel.samples import JOB, sample_events

pytestmark = pytest.mark.unit
GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("SPACEPORT_UPDATE_GOLDEN") == "1"


@pytest.mark.parametrize("event", sample_events(), ids=lambda e: e.type)
def test_wire_format_matches_golden_file(event: object) -> None:
    """Each event type serialises to exactly the JSON pinned in its golden file, and parses back equal."""
    path = GOLDEN / f"{event.type}.json"  # type: ignore[attr-defined]
    wire = json.loads(event.to_json())  # type: ignore[attr-defined]
    if UPDATE:
        path.write_text(json.dumps(wire, indent=2, sort_keys=True) + "\n")
    assert wire == json.loads(path.read_text())
    assert parse_event(path.read_text()) == event


def test_every_event_type_has_a_sample() -> None:
    """The golden samples cover every registered event type."""
    assert {e.type for e in sample_events()} == set(EVENT_CLASSES)


def test_envelope_carries_cloudevents_attributes() -> None:
    """The wire form carries id, source, type, specversion and time, plus job_id and causation_id."""
    wire = json.loads(sample_events()[1].to_json())
    assert {"id", "source", "type", "specversion", "time", "job_id", "causation_id"} <= wire.keys()
    assert wire["specversion"] == "1.0" and wire["time"].endswith("Z")


def test_answered_by_links_job_and_causation() -> None:
    """A reply keeps the job id and names the event it answers."""
    first = sample_events()[0]
    reply = first.answered_by(StageProgress, "sfm", data={"stage": "sfm", "fraction": 0.1})
    assert (reply.job_id, reply.causation_id, reply.source) == (first.job_id, first.id, "sfm")
    assert reply.id != first.id


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"not json", MalformedEvent),
        (b"[1, 2]", MalformedEvent),
        (b'{"type": "images.exploded", "job_id": "j1"}', UnknownEventType),
        (b'{"job_id": "j1"}', UnknownEventType),
        (b'{"type": "images.ready", "job_id": "j1", "schema_version": 9}', UnsupportedSchemaVersion),
        (
            b'{"type": "images.ready", "job_id": "j1", "source": "c", "data": {"image_count": 3}}',
            MalformedEvent,
        ),
    ],
)
def test_unparseable_events_raise_typed_errors(body: bytes, error: type[Exception]) -> None:
    """Bodies that are not JSON objects, of unknown type, too new or invalid raise the matching error."""
    with pytest.raises(error):
        parse_event(body)


def test_parse_error_reports_the_job_id_it_could_read() -> None:
    """A malformed payload still tells which job it belonged to, so a StageFailed can name it."""
    with pytest.raises(MalformedEvent) as info:
        parse_event(b'{"type": "images.ready", "job_id": "job-7", "id": "x", "source": "c", "data": {}}')
    assert (info.value.job_id, info.value.event_id) == ("job-7", "x")


def test_an_event_from_a_newer_producer_is_read_without_its_new_fields() -> None:
    """Fields a newer producer added (at the top, in the payload, in nested metrics and in list items) are left
    out and the rest parses to the same event an older producer would have sent."""
    event = next(e for e in sample_events() if e.type == "sfm.completed")
    wire = json.loads(event.to_json())
    wire["trace_parent"] = "00-abc"
    wire["data"]["surprise"] = 1
    wire["data"]["metrics"]["gpu_seconds"] = 3.5
    wire["data"]["skipped"] = [{"name": "a.txt", "reason": "not_an_image", "detail": "", "size_bytes": 12}]
    parsed = parse_event(json.dumps(wire))
    assert parsed.model_dump(exclude={"data": {"skipped"}}) == event.model_dump(exclude={"data": {"skipped"}})
    assert [s.name for s in parsed.data.skipped] == ["a.txt"]  # type: ignore[attr-defined]


def test_events_from_before_the_extra_formats_still_parse() -> None:
    """A Compressed event without `exports`, and job options without `compressor.formats`, read as none asked."""
    compressed = json.loads(next(e for e in sample_events() if e.type == "model.compressed").to_json())
    del compressed["data"]["exports"]
    assert parse_event(json.dumps(compressed)).data.exports == ()  # type: ignore[attr-defined]
    trained = json.loads(next(e for e in sample_events() if e.type == "model.trained").to_json())
    del trained["data"]["options"]["compressor"]["formats"]
    assert parse_event(json.dumps(trained)).data.options.compressor.formats == ()  # type: ignore[attr-defined]


def test_an_event_of_a_higher_major_version_is_refused_with_the_reason() -> None:
    """schema_version 2 (a breaking change) is refused as unsupported, naming both versions."""
    wire = json.loads(sample_events()[0].to_json())
    wire["schema_version"] = 2
    with pytest.raises(UnsupportedSchemaVersion, match="schema_version 2 is newer than the supported 1") as info:
        parse_event(json.dumps(wire))
    assert info.value.reason == "unsupported_schema_version"


def test_producers_stay_strict() -> None:
    """Building an event in Python with a field the schema does not know is refused."""
    with pytest.raises(ValueError, match="surprise"):
        ImagesReadyData(images_uri="file:///x/", image_count=1, surprise=1)  # type: ignore[call-arg]


def test_events_are_frozen() -> None:
    """Events cannot be changed after creation."""
    event = sample_events()[0]
    with pytest.raises(ValueError):
        event.job_id = "other"  # type: ignore[misc]


@pytest.mark.parametrize("job_id", ["../etc", "a/b", "a b", "", ".hidden", "a..b", "x" * 97, "job\x00"])
def test_job_ids_that_could_escape_storage_keys_are_refused(job_id: str) -> None:
    """Job ids with path separators, dot-dot, spaces or odd characters are invalid."""
    with pytest.raises(ValueError):
        check_job_id(job_id)
    with pytest.raises(ValueError):
        ImagesReady(source="c", job_id=job_id, data=ImagesReadyData(images_uri="file:///x/", image_count=1))


@pytest.mark.parametrize("job_id", [JOB, "a", "Job_1.v2-x"])
def test_reasonable_job_ids_are_accepted(job_id: str) -> None:
    """Letters, digits, underscores, dashes and single dots make a valid job id."""
    assert check_job_id(job_id) == job_id


def test_json_schemas_are_valid_json_schema() -> None:
    """Every event type's JSON Schema is itself a valid Draft 2020-12 schema that accepts the sample."""
    from jsonschema import Draft202012Validator

    schemas = json_schemas()
    assert set(schemas) == set(EVENT_CLASSES)
    for event in sample_events():
        Draft202012Validator.check_schema(schemas[event.type])
        Draft202012Validator(schemas[event.type]).validate(json.loads(event.to_json()))
