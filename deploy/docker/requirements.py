"""`python requirements.py EXTRA...`: print the dependencies of pyproject.toml's core and the given extras, one a line.

The Dockerfiles install these before copying the source, so the dependency layer is rebuilt only when
pyproject.toml changes, not on every code change. Self-references (`spaceport[sfm,...]`) are expanded.
"""

import re
import sys
import tomllib
from pathlib import Path


def requirements(pyproject: dict[str, object], extras: list[str]) -> list[str]:
    """The core dependencies plus those of `extras`, self-references expanded, in first-seen order."""
    project = pyproject["project"]
    assert isinstance(project, dict)
    name, optional = project["name"], project.get("optional-dependencies", {})
    seen: list[str] = list(project.get("dependencies", []))
    pending, done = list(extras), set()
    while pending:
        extra = pending.pop(0)
        if extra in done:
            continue
        if extra not in optional:
            raise SystemExit(f"no extra {extra!r} in pyproject.toml (have: {', '.join(sorted(optional))})")
        done.add(extra)
        for requirement in optional[extra]:
            self_ref = re.fullmatch(rf"{re.escape(name)}\[([^\]]+)\]", requirement.replace(" ", ""))
            if self_ref:
                pending.extend(self_ref.group(1).split(","))
            elif requirement not in seen:
                seen.append(requirement)
    return seen


if __name__ == "__main__":
    path = Path("pyproject.toml")  # the Dockerfiles run it beside pyproject.toml; else the repository's
    if not path.is_file():
        path = Path(__file__).resolve().parents[2] / "pyproject.toml"
    sys.stdout.write("".join(f"{r}\n" for r in requirements(tomllib.loads(path.read_text()), sys.argv[1:])))
