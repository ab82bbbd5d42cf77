"""What users see through the CLI and the monitor's API when their photos mix scenes, hold broken files, or
when they reuse a job id: all four services as processes on RabbitMQ, S3 and PostgreSQL."""

from pathlib import Path

import pytest
from PIL import Image

from spaceport_app.cli.exit_codes import ExitCode
from spaceport_app.demo import generate_scene
from tests.e2e.deployment import Deployment

pytestmark = pytest.mark.e2e
FAST = (
    "--preset",
    "preview",
    "--set",
    "trainer.steps=60",
    "--set",
    "trainer.checkpoint_every=30",
    "--set",
    "trainer.checkpoint_seconds=0",
)


@pytest.fixture(scope="module")
def mixed_photos(castle_photos: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """sceaux_castle's 11 photos, 8 photos of another place (the demo scene), a truncated JPEG and a text
    file named like a photo."""
    folder = tmp_path_factory.mktemp("mixed")
    for photo in sorted(castle_photos.glob("*.JPG")):
        (folder / photo.name).write_bytes(photo.read_bytes())
    other = generate_scene(tmp_path_factory.mktemp("other") / "scene", views=8, seed=4)
    for i, photo in enumerate(other.image_paths):
        with Image.open(photo) as image:
            image.save(folder / f"elsewhere_{i}.jpg", quality=92)
    whole = (folder / "100_7105.JPG").read_bytes()
    (folder / "truncated.jpg").write_bytes(whole[: len(whole) // 3])
    (folder / "notes.jpg").write_text("shot on a sunny afternoon")  # a note saved under a photo's name
    return folder


def test_mixed_scenes_and_skipped_files_reach_the_cli_and_the_monitor(
    deployment: Deployment, mixed_photos: Path
) -> None:
    """Photos of two places plus two unusable files: the job ends with the larger place's splat, exit code 4
    naming `sfm_one_scene`, a hint about the separate group and each skipped file with its reason, on the
    console and in the monitor's record."""
    run = deployment.submit(mixed_photos, *FAST, "--job-id", "mixed-1")
    assert run.returncode == ExitCode.CRITERIA_FAILED, run.stderr[-3000:]
    console = " ".join(run.stderr.split())
    assert "sfm_one_scene" in console.split("success criteri")[-1]
    assert "hint: Some photos form separate groups that were left out" in console
    assert "skipped truncated.jpg: corrupt" in console and "skipped notes.jpg: not_an_image" in console
    record = deployment.job("mixed-1")
    assert record["outcome"] == "succeeded"
    criteria = {c["name"]: c for c in record["criteria"]}
    assert criteria["sfm_one_scene"]["outcome"] == "fail" and criteria["sfm_one_scene"]["observed"] >= 3
    assert any("separate groups" in hint for hint in record["hints"])
    assert {(s["name"], s["reason"]) for s in record["skipped"]} == {
        ("truncated.jpg", "corrupt"),
        ("notes.jpg", "not_an_image"),
    }


def test_a_reused_job_id_is_refused_and_the_old_record_is_untouched(
    deployment: Deployment, unrelated_photos: Path
) -> None:
    """Submitting again under a job id that exists exits 2 with a message naming it; the first job's record
    in the monitor keeps its events and outcome."""
    first = deployment.submit(unrelated_photos, "--preset", "preview", "--job-id", "reused-1")
    assert first.returncode == ExitCode.FAILED, first.stderr[-2000:]
    before = deployment.job("reused-1")
    again = deployment.submit(unrelated_photos, "--preset", "standard", "--job-id", "reused-1", timeout=60)
    assert again.returncode == ExitCode.USAGE, again.stderr[-2000:]
    assert "job reused-1 already exists" in again.stderr
    after = deployment.job("reused-1")
    assert after["event_count"] == before["event_count"] and after["outcome"] == before["outcome"] == "rejected"
    assert after["options"]["trainer"]["preset"] == "preview"
