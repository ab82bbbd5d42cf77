"""`python -m spaceport.runtime.healthcheck FILE [MAX_AGE_S]`: exit 0 if a worker's health file is fresh and ok."""

import json
import sys
import time
from pathlib import Path


def is_healthy(path: Path, max_age_s: float) -> bool:
    """Whether the health file says `ok` and was refreshed within `max_age_s`."""
    try:
        report = json.loads(path.read_text())
    except (OSError, ValueError):
        return False
    return bool(report.get("status") == "ok" and time.time() - float(report.get("time", 0)) <= max_age_s)


if __name__ == "__main__":
    file = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/tmp/spaceport-health.json")
    age = float(sys.argv[2]) if len(sys.argv) > 2 else 30.0
    sys.exit(0 if is_healthy(file, age) else 1)
