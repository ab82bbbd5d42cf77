"""`python -m spaceport_monitor.probe`: exit 0 when this container's monitor answers `/healthz` with 200."""

import sys
import urllib.error
import urllib.request

from spaceport_monitor.settings import MonitorSettings


def main() -> None:
    """Probe the local monitor on its configured port (for a container HEALTHCHECK)."""
    port = MonitorSettings().port
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=4) as response:
            sys.exit(0 if response.status == 200 else 1)
    except (urllib.error.URLError, OSError):
        sys.exit(1)


if __name__ == "__main__":
    main()
