"""Webhook calls: Slack-compatible JSON, one call per alert, retried after a failure, never repeated."""

import json

import httpx
import pytest

from spaceport_monitor.notify import WebhookNotifier
from tests.unit.monitor.conftest import Harness, MakeHarness, recorded

pytestmark = pytest.mark.unit


class FakeWebhook:
    """A webhook endpoint answering with the given status codes in turn, recording every body."""

    def __init__(self, *statuses: int) -> None:
        self.statuses = list(statuses)
        self.bodies: list[dict[str, object]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.bodies.append(json.loads(request.content))
        return httpx.Response(self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0])


async def test_each_alert_is_posted_once_as_slack_json(make_harness: MakeHarness) -> None:
    """Two alerts make two POSTs with `text` and observed/expected fields; a second round posts nothing."""
    h = make_harness(webhook=True)
    h.feed([*recorded("rejected"), *recorded("trainer_failure")])
    hook = FakeWebhook(200)
    notifier = WebhookNotifier(
        h.repo, h.metrics, "https://hooks.example/T/B/secret", 5.0, 3, transport=httpx.MockTransport(hook)
    )
    assert await notifier.deliver_pending() == 2
    assert await notifier.deliver_pending() == 0
    assert len(hook.bodies) == 2
    body = hook.bodies[0]
    assert body["text"].startswith("[warning] sfm_gate on job job-rejected")
    fields = {f["title"]: f["value"] for f in body["attachments"][0]["fields"]}
    assert fields == {
        "job": "job-rejected",
        "criterion": "sfm_gate",
        "observed": "too_few_points",
        "expected": "photos accepted",
    }


async def test_a_failed_call_is_retried_after_a_pause(make_harness: MakeHarness) -> None:
    """A 500 leaves the alert pending (not resent at once); the next attempt after the pause delivers it."""
    h = make_harness(webhook=True)
    h.feed(recorded("trainer_failure"))
    hook = FakeWebhook(500, 200)
    notifier = WebhookNotifier(
        h.repo, h.metrics, "https://hooks.example/x", 5.0, 3, transport=httpx.MockTransport(hook)
    )
    assert await notifier.deliver_pending() == 0
    assert await notifier.deliver_pending() == 0  # backing off
    notifier._not_before.clear()
    assert await notifier.deliver_pending() == 1
    assert len(hook.bodies) == 2
    assert [a.webhook_state for a in h.repo.alerts("job-failed")] == ["sent"]


async def test_without_a_webhook_nothing_is_pending(harness: Harness) -> None:
    """Alerts raised while no webhook is configured are never queued for one."""
    harness.feed(recorded("trainer_failure"))
    assert harness.repo.pending_webhooks() == []
