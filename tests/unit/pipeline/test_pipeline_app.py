"""run()'s option handling: the runner is always named, streaming unless bounded, hooks."""

from __future__ import annotations

from typing import Any

import pytest

from parley.config import Settings
from pipeline.beam.app import alerts_enabled, beam_args_with_defaults, default_hook_factories
from pipeline.beam.transforms import ImportedHookFactory
from pipeline.config import PipelineConfig


def test_embedded_runner_is_named_and_streams_unless_bounded() -> None:
    args = beam_args_with_defaults([], PipelineConfig())
    assert "--runner=FnApiRunner" in args and "--streaming" in args
    bounded = beam_args_with_defaults([], PipelineConfig(bounded=True))
    assert "--runner=FnApiRunner" in bounded and "--streaming" not in bounded
    prism = beam_args_with_defaults(["--runner=PrismRunner"], PipelineConfig())
    assert [a for a in prism if a.startswith("--runner")] == ["--runner=PrismRunner"]


@pytest.mark.parametrize(
    ("value", "enabled"),
    [(None, True), (True, True), ("false", False), ("0", False), (False, False)],
)
def test_alerts_enabled_accepts_yaml_and_env_values(value: Any, enabled: bool) -> None:
    alerts = {} if value is None else {"enabled": value}
    assert alerts_enabled(Settings(alerts=alerts)) is enabled


def test_alert_hook_is_default_and_configured_hooks_follow() -> None:
    settings = Settings(alerts={"enabled": True})
    factories = default_hook_factories(settings, PipelineConfig(hooks=["json:dumps"]))
    assert [f.path for f in factories if isinstance(f, ImportedHookFactory)] == [
        "sinks.alerts.hook:alert_hook",
        "json:dumps",
    ]
    assert default_hook_factories(Settings(alerts={"enabled": "false"}), PipelineConfig()) == []


def seen_settings(settings: Settings) -> Any:
    return settings


def test_imported_hook_factory_hides_pipeline_only_alert_keys() -> None:
    factory = ImportedHookFactory(f"{__name__}:seen_settings", drop_alerts_keys=("enabled",))
    got = factory(Settings(alerts={"enabled": True, "kibana_url": "http://k"}))
    assert got.alerts == {"kibana_url": "http://k"}
    with pytest.raises(ValueError, match="module:function"):
        ImportedHookFactory("no_colon")
