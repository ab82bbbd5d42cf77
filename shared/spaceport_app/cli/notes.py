"""What SfM had to say about the photos of a finished job, as lines for people: hints and skipped files."""

from collections.abc import Iterable

from spaceport.events import Envelope, SfmCompleted, SfmRejected


def sfm_notes(events: Iterable[Envelope]) -> list[str]:
    """`hint: ...` lines of a job that went on (a rejection prints its own) and one line per skipped file."""
    lines: list[str] = []
    for event in events:
        if isinstance(event, SfmCompleted):
            lines += [f"hint: {hint}" for hint in event.data.hints]
        if isinstance(event, SfmCompleted | SfmRejected):
            lines += [
                f"skipped {item.name}: {item.reason}" + (f" ({item.detail})" if item.detail else "")
                for item in event.data.skipped
            ]
    return lines
