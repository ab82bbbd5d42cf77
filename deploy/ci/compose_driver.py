"""A compose project driven through the `docker-compose` and `docker` CLIs: up, kill, health, logs, down."""

import json
import subprocess
import time
from dataclasses import dataclass


@dataclass
class Compose:
    """One compose project (its name and files), as the CI scenario drives it."""

    project: str
    files: list[str]

    def run(self, *args: str, check: bool = True, capture: bool = False) -> subprocess.CompletedProcess[str]:
        """`docker-compose -p PROJECT -f ... ARGS`."""
        command = ["docker-compose", "-p", self.project, *(a for f in self.files for a in ("-f", f)), *args]
        return subprocess.run(command, check=check, capture_output=capture, text=True)

    def containers(self, service: str | None = None) -> list[str]:
        """Ids of the project's containers (running or not), of one service if given."""
        filters = ["--filter", f"label=com.docker.compose.project={self.project}"]
        if service:
            filters += ["--filter", f"label=com.docker.compose.service={service}"]
        out = subprocess.run(["docker", "ps", "-aq", *filters], check=True, capture_output=True, text=True).stdout
        return out.split()

    def inspect(self, container: str) -> dict[str, object]:
        """`docker inspect` of one container."""
        out = subprocess.run(["docker", "inspect", container], check=True, capture_output=True, text=True).stdout
        return dict(json.loads(out)[0])

    def health(self) -> dict[str, str]:
        """Container name -> its health status (`running` for one with no healthcheck, else its state)."""
        report = {}
        for container in self.containers():
            state = self.inspect(container)
            status = state["State"]  # type: ignore[index]
            name = str(state["Name"]).lstrip("/")
            report[name] = status.get("Health", {}).get("Status") or status["Status"]  # type: ignore[union-attr]
        return report

    def wait_healthy(self, timeout: float = 300) -> dict[str, str]:
        """Wait until every container of the project reports healthy; returns the report."""
        deadline = time.monotonic() + timeout
        while True:
            report = self.health()
            if report and all(s == "healthy" for s in report.values()):
                return report
            if time.monotonic() > deadline:
                raise TimeoutError(f"not every container became healthy within {timeout} s: {report}")
            time.sleep(3)

    def worker_jobs(self, container: str) -> list[str]:
        """The jobs a worker container holds, from its health file."""
        out = subprocess.run(
            ["docker", "exec", container, "cat", "/tmp/spaceport-health.json"], capture_output=True, text=True
        )
        try:
            return list(json.loads(out.stdout).get("jobs", []))
        except ValueError:
            return []

    def published(self, service: str, port: int) -> str:
        """`host:port` where a service's container port is published."""
        return self.run("port", service, str(port), capture=True).stdout.strip().replace("0.0.0.0", "127.0.0.1")

    def logs(self) -> str:
        """Every container's log, as one text."""
        return self.run("logs", "--no-color", capture=True).stdout

    def leftovers(self) -> list[str]:
        """Containers, networks and volumes of the project still present."""
        label = f"label=com.docker.compose.project={self.project}"
        found = []
        for kind in (["ps", "-aq"], ["network", "ls", "-q"], ["volume", "ls", "-q"]):
            out = subprocess.run(["docker", *kind, "--filter", label], check=True, capture_output=True, text=True)
            found += [f"{kind[0]}:{x}" for x in out.stdout.split()]
        return found
