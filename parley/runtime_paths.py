"""Where a local ``parley up`` keeps its files, derived from ``settings.services.data_dir``.

Shared by ``parley up`` (writes them), ``parley down`` and ``parley status`` (read them).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from parley.config import Settings


@dataclass(frozen=True)
class RuntimePaths:
    data_dir: Path

    @classmethod
    def from_settings(cls, settings: Settings) -> RuntimePaths:
        return cls(settings.services.data_dir.resolve())

    @property
    def run_dir(self) -> Path:
        return self.data_dir / "run"

    @property
    def log_dir(self) -> Path:
        return self.data_dir / "log"

    @property
    def pid_file(self) -> Path:
        return self.run_dir / "parley-up.pid"

    @property
    def state_file(self) -> Path:
        return self.run_dir / "parley-up.json"

    @property
    def supervisor_log(self) -> Path:
        """Output of a detached ``parley up``."""
        return self.log_dir / "parley-up.log"

    @property
    def feeds_file(self) -> Path:
        """The feed list the pollers get: the configured (or default) feeds plus the replay feed."""
        return self.run_dir / "feeds.yaml"

    @property
    def demo_secret_file(self) -> Path:
        return self.run_dir / "demo-webhook.secret"

    @property
    def api_token_file(self) -> Path:
        return self.run_dir / "api-token"

    @property
    def demo_alerts(self) -> Path:
        return self.data_dir / "demo-alerts.jsonl"

    def worker_log(self, worker: str) -> Path:
        return self.log_dir / f"{worker}.log"
