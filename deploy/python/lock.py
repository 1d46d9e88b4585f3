"""The dependency locks: ``requirements.lock`` (everything a developer and CI install: runtime,
dev tools and the build requirements) and ``requirements-runtime.lock`` (runtime and build
requirements only, for the container image), both with hashes and the same pins.

    python deploy/python/lock.py lock     # re-resolve from pyproject.toml (`make lock`)
    python deploy/python/lock.py check    # fail when the locks no longer match pyproject.toml
    python deploy/python/lock.py latest   # what the newest releases in range would change

pyproject.toml keeps version *ranges* (for people who install parley as a library); the locks
pin one tested version of every package in the tree, so that an install today and an install
next month get the same code.  Each lock starts with the SHA-256 of the pyproject.toml parts it
was made from (requires-python, dependencies, extras, build requirements); ``check`` compares
that digest, then checks that every requirement of pyproject.toml is pinned in the lock to a
version inside its range.  ``check`` needs only the standard library for the digest, and
``packaging`` (present in the virtualenv) for the ranges.

Resolution is done by uv (pinned in the dev extra) for every platform and Python version that
pyproject.toml allows (``--universal``), so the lock also installs on another machine.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = ROOT / "pyproject.toml"
FULL_LOCK = ROOT / "requirements.lock"
RUNTIME_LOCK = ROOT / "requirements-runtime.lock"
DIGEST_PREFIX = "# parley-lock inputs-sha256: "
REFRESH = "run `make lock` and commit the lock files"
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)")


class LockMismatch(Exception):
    """The lock files do not describe what pyproject.toml asks for."""


@dataclass(frozen=True)
class LockInputs:
    """The parts of pyproject.toml a lock is made from (nothing else invalidates it)."""

    requires_python: str
    dependencies: list[str]
    extras: dict[str, list[str]]
    build: list[str]

    @classmethod
    def read(cls, pyproject: Path = PYPROJECT) -> LockInputs:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
        project = data["project"]
        extras = project.get("optional-dependencies", {})
        return cls(
            requires_python=project.get("requires-python", ""),
            dependencies=sorted(project.get("dependencies", [])),
            extras={name: sorted(reqs) for name, reqs in sorted(extras.items())},
            build=sorted(data.get("build-system", {}).get("requires", [])),
        )

    def digest(self) -> str:
        canonical = json.dumps(asdict(self), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def runtime(self) -> list[str]:
        return [*self.dependencies, *self.build]

    def everything(self) -> list[str]:
        return [*self.runtime(), *(r for reqs in self.extras.values() for r in reqs)]


def read_digest(lock: Path) -> str | None:
    for line in lock.read_text(encoding="utf-8").splitlines():
        if line.startswith(DIGEST_PREFIX):
            return line[len(DIGEST_PREFIX) :].strip()
    return None


def read_pins(lock: Path) -> dict[str, list[str]]:
    """Normalised package name → pinned versions (a universal lock may pin a package twice,
    under different markers)."""
    pins: dict[str, list[str]] = {}
    for line in lock.read_text(encoding="utf-8").splitlines():
        match = _PIN.match(line)
        if match:
            pins.setdefault(_normalise(match.group(1)), []).append(match.group(2))
    return pins


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def check(pyproject: Path = PYPROJECT, locks: tuple[Path, ...] = (FULL_LOCK, RUNTIME_LOCK)) -> None:
    """Raise ``LockMismatch`` with a message a newcomer can act on."""
    inputs = LockInputs.read(pyproject)
    digest = inputs.digest()
    for lock in locks:
        if not lock.exists():
            raise LockMismatch(f"{lock.name} is missing: {REFRESH}")
        recorded = read_digest(lock)
        if recorded != digest:
            raise LockMismatch(
                f"{lock.name} was made from other dependencies than pyproject.toml now declares "
                f"(inputs digest {recorded or 'absent'}, expected {digest}): {REFRESH}"
            )
    _check_ranges(inputs, locks)


def _check_ranges(inputs: LockInputs, locks: tuple[Path, ...]) -> None:
    try:
        from packaging.requirements import Requirement
    except ImportError:  # outside the virtualenv: the digest check above is what runs
        return
    problems = []
    for lock in locks:
        pins = read_pins(lock)
        wanted = inputs.runtime() if lock.name == RUNTIME_LOCK.name else inputs.everything()
        for text in wanted:
            req = Requirement(text)
            if req.marker is not None and not req.marker.evaluate():
                continue
            versions = pins.get(_normalise(req.name))
            if not versions:
                problems.append(f"{lock.name}: {req.name} is not pinned")
            elif not any(req.specifier.contains(v, prereleases=True) for v in versions):
                problems.append(f"{lock.name}: {req.name}=={versions[0]} is outside {text!r}")
    if problems:
        raise LockMismatch("; ".join(problems) + f": {REFRESH}")


def _uv() -> str:
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    if uv is None:
        raise SystemExit("uv is not installed: `make install` installs it into .venv")
    return uv


def _compile(output: Path, extra_args: list[str], build_in: Path) -> None:
    subprocess.run(
        [
            _uv(),
            "pip",
            "compile",
            "--quiet",
            "--universal",
            "--generate-hashes",
            "--no-header",
            "--python-version",
            "3.11",
            str(PYPROJECT),
            str(build_in),
            *extra_args,
            "-o",
            str(output),
        ],
        check=True,
        cwd=ROOT,
    )
    header = (
        f"# {output.name}: generated by `make lock` (deploy/python/lock.py) from pyproject.toml.\n"
        "# Do not edit; see README.md (Installing from the lock).\n"
        f"{DIGEST_PREFIX}{LockInputs.read().digest()}\n"
    )
    # uv names its inputs in the "via" comments: the temporary files get stable names, so the
    # lock carries no path of the machine that made it and re-locking does not churn.
    body = (
        output.read_text(encoding="utf-8")
        .replace(str(build_in), "build-system.requires")
        .replace(str(build_in.parent / "previous.lock"), "requirements.lock (previous pins)")
    )
    output.write_text(header + body, encoding="utf-8")


def _build_in(directory: str) -> Path:
    """pyproject.toml's build requirements as a requirements file uv can read."""
    path = Path(directory) / "build-system.in"
    path.write_text("\n".join(LockInputs.read().build) + "\n", encoding="utf-8")
    return path


def lock(upgrade: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        build_in = _build_in(tmp)
        full_args = ["--all-extras"] + (["--upgrade"] if upgrade else [])
        if not upgrade and FULL_LOCK.exists():
            # Keep existing pins where they still satisfy pyproject.toml (minimal churn).
            shutil.copy(FULL_LOCK, Path(tmp) / "previous.lock")
            full_args += ["--constraints", str(Path(tmp) / "previous.lock")]
        try:
            _compile(FULL_LOCK, full_args, build_in)
        except subprocess.CalledProcessError:
            if upgrade or not FULL_LOCK.exists():
                raise
            # A new requirement conflicts with an old pin: resolve afresh.
            _compile(FULL_LOCK, ["--all-extras"], build_in)
        # The runtime lock is the same resolution restricted to the runtime dependencies.
        _compile(RUNTIME_LOCK, ["--constraints", str(FULL_LOCK)], build_in)
    check()
    print(f"wrote {FULL_LOCK.name} and {RUNTIME_LOCK.name} ({len(read_pins(FULL_LOCK))} packages)")


def latest() -> int:
    """Print the packages whose newest release in range differs from the lock."""
    with tempfile.TemporaryDirectory() as tmp:
        build_in = _build_in(tmp)
        out = Path(tmp) / "latest.txt"
        subprocess.run(
            [
                _uv(),
                "pip",
                "compile",
                "--quiet",
                "--no-header",
                "--all-extras",
                "--upgrade",
                str(PYPROJECT),
                str(build_in),
                "-o",
                str(out),
            ],
            check=True,
            cwd=ROOT,
        )
        newest = read_pins(out)
    locked = read_pins(FULL_LOCK)
    changed = 0
    for name in sorted(set(newest) | set(locked)):
        old, new = locked.get(name, ["-"])[0], newest.get(name, ["-"])[0]
        if old != new:
            print(f"  {name}: locked {old}, newest in range {new}")
            changed += 1
    print(f"{changed} package(s) differ from the lock")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="deploy/python/lock.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub_lock = sub.add_parser("lock", help="re-resolve the locks from pyproject.toml")
    sub_lock.add_argument(
        "--upgrade",
        action="store_true",
        help="take the newest releases in range instead of keeping current pins",
    )
    sub.add_parser("check", help="fail when the locks no longer match pyproject.toml")
    sub.add_parser("latest", help="list what the newest releases in range would change")
    args = parser.parse_args(argv)
    if args.command == "lock":
        lock(args.upgrade)
        return 0
    if args.command == "latest":
        return latest()
    try:
        check()
    except LockMismatch as exc:
        print(f"dependency lock out of date: {exc}", file=sys.stderr)
        return 1
    print("dependency locks match pyproject.toml")
    return 0


if __name__ == "__main__":
    sys.exit(main())
