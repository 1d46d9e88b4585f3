"""deploy/: compose, Kubernetes, systemd, Dockerfile and Grafana assets, checked offline.

``deploy/validate.sh`` runs the external validators (docker compose config, Kubernetes schemas,
systemd-analyze); these tests run it, prove it fails on broken copies, and check what no
validator knows: that the assets agree with parley itself (CLI commands, settings names,
metrics ports and names, shutdown grace periods) and with each other.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import typing
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client import REGISTRY
from pydantic import BaseModel
from typer.testing import CliRunner

from ingest.config import IngestSettings
from parley.config import Settings
from parley.metrics import DEFAULT_PORTS
from pipeline.config import PipelineConfig
from sinks.alerts.config import AlertsSettings

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
COMPOSE = DEPLOY / "compose" / "compose.yaml"
K8S = DEPLOY / "kubernetes"
SYSTEMD = DEPLOY / "systemd"
DOCKERFILE = DEPLOY / "docker" / "Dockerfile"
GRAFANA = DEPLOY / "grafana"

# worker -> the `parley` command line that runs it
WORKERS = {
    "poller": ["poll"],
    "pipeline": ["pipeline"],
    "dispatcher": ["alerts", "dispatch"],
    "api": ["alerts", "api"],
}
SETUP = ["setup"]
FEEDS = ["feeds", "publish"]
ONE_SHOTS = {"setup": SETUP, "feeds": FEEDS}
# Sections of Settings that are free dicts, validated by the package that owns them.
SECTION_MODELS: dict[str, type[BaseModel]] = {
    "ingest": IngestSettings,
    "pipeline": PipelineConfig,
    "alerts": AlertsSettings,
}
SECRET_WORDS = ("PASSWORD", "API_KEY", "TOKEN", "SECRET")
# Workers whose systemd unit is a template, one instance per process (parley-pipeline@0, ...).
TEMPLATE_UNITS = {"pipeline"}
# What the Kubernetes downward API gives a pod (for env values taken from fieldRef).
SAMPLE_FIELDS = {"metadata.name": "parley-pipeline-0"}


# ------------------------------------------------------------------------- helpers --


def k8s_docs() -> list[dict[str, Any]]:
    docs = []
    for path in sorted(K8S.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        docs += [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]
    return docs


def k8s_workloads() -> dict[str, dict[str, Any]]:
    """Deployment/StatefulSet/Job name -> pod spec."""
    return {
        d["metadata"]["name"]: d["spec"]["template"]["spec"]
        for d in k8s_docs()
        if d["kind"] in ("Deployment", "StatefulSet", "Job")
    }


def k8s_docs_of(kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in k8s_docs() if d["kind"] == kind}


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    return loaded


def unit_file(worker: str) -> str:
    return f"parley-{worker}@.service" if worker in TEMPLATE_UNITS else f"parley-{worker}.service"


def systemd_unit(name: str) -> dict[str, dict[str, list[str]]]:
    """Unit file -> section -> key -> values (systemd keys may repeat)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] = {}
    for line in (SYSTEMD / name).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        key, _, value = line.partition("=")
        current.setdefault(key, []).append(value)
    return sections


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    out: list[tuple[str, str]] = []
    pending = ""
    for raw in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line.startswith("#") or not line:
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = pending + line
        pending = ""
        word, _, rest = line.partition(" ")
        out.append((word.upper(), rest.strip()))
    return out


def env_sources() -> dict[str, dict[str, str]]:
    """Every place that sets PARLEY_* variables for a worker -> {name: value}."""
    sources: dict[str, dict[str, str]] = {}
    for name, svc in compose()["services"].items():
        env = svc.get("environment") or {}
        if isinstance(env, dict):
            sources[f"compose:{name}"] = {k: str(v) for k, v in env.items()}
    for name, doc in k8s_docs_of("ConfigMap").items():
        sources[f"configmap:{name}"] = dict(doc["data"])
    for name, spec in k8s_workloads().items():
        for container in spec["containers"]:
            env = {
                e["name"]: e.get("value") or SAMPLE_FIELDS[e["valueFrom"]["fieldRef"]["fieldPath"]]
                for e in container.get("env", [])
            }
            sources[f"k8s:{name}/{container['name']}"] = env
    for path in sorted(SYSTEMD.glob("*.service")):
        env = {}
        for item in systemd_unit(path.name)["Service"].get("Environment", []):
            key, _, value = item.partition("=")
            env[key] = value
        sources[f"systemd:{path.name}"] = env
    env_file = {}
    for line in (SYSTEMD / "parley.env.example").read_text(encoding="utf-8").splitlines():
        line = line.strip().lstrip("#")
        if re.match(r"PARLEY_[A-Z0-9_]+=", line):
            key, _, value = line.partition("=")
            env_file[key] = value
    sources["systemd:parley.env.example"] = env_file
    docker_env = {}
    for word, args in dockerfile_instructions():
        if word == "ENV":
            for key, value in re.findall(r"(\w+)=(\S+)", args):
                docker_env[key] = value
    sources["Dockerfile"] = docker_env
    return {
        where: {k: v for k, v in env.items() if k.startswith("PARLEY_")}
        for where, env in sources.items()
    }


def settings_path_problem(name: str) -> str | None:
    """Why PARLEY_A__B__C names no setting, or None when it does."""
    if name == "PARLEY_CONFIG":
        return None
    parts = name.removeprefix("PARLEY_").lower().split("__")
    model: type[BaseModel] = Settings
    for depth, part in enumerate(parts):
        if part not in model.model_fields:
            return f"{name}: {model.__name__} has no field {part!r}"
        if model is Settings and part in SECTION_MODELS:
            model = SECTION_MODELS[part]
            continue
        annotation = model.model_fields[part].annotation
        candidates = typing.get_args(annotation) or (annotation,)
        nested = [c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)]
        last = depth == len(parts) - 1
        if not nested:
            return None if last else f"{name}: {model.__name__}.{part} is not a section"
        if last:
            return f"{name}: {model.__name__}.{part} is a section, not a value"
        model = nested[0]
    return f"{name}: names a section"


# -------------------------------------------------------------------- validate.sh --


def run_validate(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(DEPLOY / "validate.sh"), "--no-install", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_validate_sh_passes_on_the_repository() -> None:
    result = run_validate()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "all deploy checks passed" in result.stdout


def test_validate_sh_fails_on_broken_assets(tmp_path: Path) -> None:
    copy = tmp_path / "deploy"
    shutil.copytree(DEPLOY, copy, ignore=shutil.ignore_patterns("local", ".cache"))
    compose_file = copy / "compose" / "compose.yaml"
    compose_file.write_text(
        compose_file.read_text().replace("service_completed_successfully", "service_finished")
    )
    deployment = copy / "kubernetes" / "poller-deployment.yaml"
    deployment.write_text(deployment.read_text().replace("readinessProbe", "readinesProbe"))
    unit = copy / "systemd" / "parley-poller.service"
    unit.write_text(unit.read_text().replace("ProtectSystem=strict", "ProtectSytem=strict"))
    (copy / "kubernetes" / "extra.yaml").write_text(
        (copy / "kubernetes" / "api-pdb.yaml").read_text()
    )

    result = run_validate(str(copy))
    out = result.stdout + result.stderr
    assert result.returncode == 1, out
    for area in ("compose: config -q", "kubernetes: schema validation", "systemd:"):
        if f"SKIP {area.split(':')[0]}" not in result.stdout:
            assert f"FAIL {area}" in out, area
    if "SKIP kubernetes" not in result.stdout:
        assert "not listed: extra.yaml" in out


def test_kafka_cluster_ids_never_read_as_an_option(tmp_path: Path) -> None:
    # The first draw yields bytes whose base64 starts with "+", i.e. "-" once made URL-safe;
    # the storage tool took such an id for an unknown option and the broker never formatted.
    script = f"""
        source {DEPLOY / "local" / "common.sh"}
        source {DEPLOY / "local" / "kafka.sh"}
        head() {{
            if [[ ! -f {tmp_path}/drawn ]]; then
                : >{tmp_path}/drawn
                printf '\\373%.0s' {{1..16}}
            else
                command head "$@"
            fi
        }}
        kafka_cluster_id
    """
    result = subprocess.run(
        ["bash", "-c", script], capture_output=True, text=True, timeout=30, check=False
    )
    cluster_id = result.stdout.strip()
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "drawn").exists()
    assert re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_-]{21}", cluster_id), cluster_id
    launcher = (DEPLOY / "local" / "kafka.sh").read_text()
    assert 'format --cluster-id="$cluster_id"' in launcher


# ------------------------------------------------------------ agreement with parley --


@pytest.mark.parametrize("command", [*WORKERS.values(), *ONE_SHOTS.values()], ids=" ".join)
def test_deploy_commands_exist_in_the_cli(command: list[str]) -> None:
    from parley.cli import app

    result = CliRunner().invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output


def test_every_asset_runs_the_same_worker_commands() -> None:
    everything = {**WORKERS, **ONE_SHOTS}
    services = compose()["services"]
    assert {w: services[w]["command"] for w in everything} == everything
    workloads = k8s_workloads()
    assert set(workloads) == {f"parley-{w}" for w in everything}
    assert {w: workloads[f"parley-{w}"]["containers"][0]["args"] for w in everything} == everything
    for name, command in everything.items():
        (exec_start,) = systemd_unit(unit_file(name))["Service"]["ExecStart"]
        assert exec_start.split() == ["/opt/parley/bin/parley", *command]
    target = systemd_unit("parley.target")
    # Instances of a template unit (parley-pipeline@0.service) come from its file.
    wanted = {
        re.sub(r"@[^.]+\.service$", "@.service", u) for u in target["Unit"]["Wants"][0].split()
    }
    assert wanted == {unit_file(w) for w in everything}
    assert {p.name for p in SYSTEMD.glob("*.service")} == wanted
    for worker in WORKERS:
        unit = systemd_unit(unit_file(worker))["Unit"]
        assert "parley-setup.service" in unit["After"][0].split(), worker


def test_parley_environment_variables_name_real_settings() -> None:
    sources = env_sources()
    assert sum(len(env) for env in sources.values()) > 20
    problems = [
        f"{where}: {problem}"
        for where, env in sources.items()
        for name in env
        if (problem := settings_path_problem(name))
    ]
    assert problems == []


def test_settings_path_check_rejects_wrong_names() -> None:
    assert settings_path_problem("PARLEY_ALERTS__API__TOKEN_FILE") is not None
    assert settings_path_problem("PARLEY_ELASTICSEARCH__API_KEY_FILE") is None
    assert settings_path_problem("PARLEY_KAFKA__TOPICS") is not None
    assert settings_path_problem("PARLEY_METRICS__HOST__X") is not None
    assert settings_path_problem("PARLEY_INGEST__STATE_DIR") is None


def test_deploy_environments_validate_as_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each environment as a whole loads into Settings and the worker sections (types too)."""
    from parley.config import load_settings

    for where, env in env_sources().items():
        for name in list(os.environ):
            if name.startswith("PARLEY_"):
                monkeypatch.delenv(name)
        for name, value in env.items():
            if name != "PARLEY_CONFIG" and "%" not in value:  # systemd specifiers
                monkeypatch.setenv(name, value)
        settings = load_settings()
        for section, model in SECTION_MODELS.items():
            try:
                model.model_validate(getattr(settings, section))
            except ValueError as exc:
                pytest.fail(f"{where}: {section}: {exc}")


def test_metrics_ports_agree_with_parley_metrics() -> None:
    services = compose()["services"]
    for worker in ("poller", "pipeline", "dispatcher"):
        test = " ".join(services[worker]["healthcheck"]["test"])
        assert f"127.0.0.1:{DEFAULT_PORTS[worker]}/metrics" in test, worker
    for worker in WORKERS:
        workload = {**k8s_docs_of("Deployment"), **k8s_docs_of("StatefulSet")}[f"parley-{worker}"]
        template = workload["spec"]["template"]
        assert template["metadata"]["annotations"]["prometheus.io/port"] == str(
            DEFAULT_PORTS[worker]
        )
        ports = {p["name"]: p["containerPort"] for p in template["spec"]["containers"][0]["ports"]}
        assert ports["metrics"] == DEFAULT_PORTS[worker], worker
    prometheus = yaml.safe_load((GRAFANA / "prometheus.yml").read_text(encoding="utf-8"))
    targets = {}
    for job in prometheus["scrape_configs"]:
        if "dns_sd_configs" in job:  # every replica of a scaled service
            (sd,) = job["dns_sd_configs"]
            targets[job["job_name"]] = [f"{name}:{sd['port']}" for name in sd["names"]]
        else:
            targets[job["job_name"]] = job["static_configs"][0]["targets"]
    assert targets == {f"parley-{w}": [f"{w}:{DEFAULT_PORTS[w]}"] for w in WORKERS}
    exposed = {
        int(p) for word, args in dockerfile_instructions() if word == "EXPOSE" for p in args.split()
    }
    assert set(DEFAULT_PORTS.values()) <= exposed


def test_api_port_is_the_same_everywhere() -> None:
    port = compose()["services"]["api"]["environment"]["PARLEY_ALERTS__API__PORT"]
    assert compose()["services"]["api"]["ports"] == [f"127.0.0.1:{port}:{port}"]
    configmap = k8s_docs_of("ConfigMap")["parley-config"]["data"]
    assert configmap["PARLEY_ALERTS__API__PORT"] == port
    api = k8s_workloads()["parley-api"]["containers"][0]
    assert {p["name"]: p["containerPort"] for p in api["ports"]}["http"] == int(port)
    service = k8s_docs_of("Service")["parley-api"]
    assert {p["name"]: p["port"] for p in service["spec"]["ports"]}["http"] == int(port)


def seconds(value: str) -> float:
    match = re.fullmatch(r"(\d+)(s|m)?", value)
    assert match, value
    return int(match.group(1)) * (60 if match.group(2) == "m" else 1)


def test_stop_timeouts_exceed_the_workers_shutdown_grace() -> None:
    """SIGKILL must not come before a worker's own drain deadline has passed."""
    grace = {
        "poller": IngestSettings().shutdown_grace,
        "pipeline": PipelineConfig().shutdown_grace_seconds,
    }
    services = compose()["services"]
    workloads = k8s_workloads()
    for worker, drain in grace.items():
        assert seconds(services[worker]["stop_grace_period"]) > drain, worker
        assert workloads[f"parley-{worker}"]["terminationGracePeriodSeconds"] > drain, worker
        (timeout,) = systemd_unit(unit_file(worker))["Service"]["TimeoutStopSec"]
        assert seconds(timeout) > drain, worker


# ------------------------------------------------------------------------ Kubernetes --


def test_kubernetes_pods_are_non_root_read_only_and_bounded() -> None:
    uid = next(
        int(args.split("=", 1)[1])
        for word, args in dockerfile_instructions()
        if word == "ARG" and args.startswith("PARLEY_UID=")
    )
    workloads = k8s_workloads()
    for name, spec in workloads.items():
        pod = spec["securityContext"]
        assert pod["runAsNonRoot"] is True and pod["runAsUser"] == uid, name
        assert spec["automountServiceAccountToken"] is False, name
        for container in spec["containers"]:
            sc = container["securityContext"]
            assert sc["readOnlyRootFilesystem"] is True, name
            assert sc["allowPrivilegeEscalation"] is False, name
            assert sc["capabilities"]["drop"] == ["ALL"], name
            assert set(container["resources"]) == {"requests", "limits"}, name
            assert container["envFrom"] == [{"configMapRef": {"name": "parley-config"}}]
            mounts = {m["mountPath"] for m in container["volumeMounts"]}
            assert {"/tmp", "/run/secrets/parley"} <= mounts, name
            if name.removeprefix("parley-") in WORKERS:
                ports = {p["name"] for p in container["ports"]}
                for probe in ("livenessProbe", "readinessProbe"):
                    action = container[probe].get("httpGet") or container[probe]["tcpSocket"]
                    assert action["port"] in ports, (name, probe)
    state_dir = k8s_docs_of("ConfigMap")["parley-config"]["data"]["PARLEY_INGEST__STATE_DIR"]
    poller_mounts = {
        m["mountPath"] for m in workloads["parley-poller"]["containers"][0]["volumeMounts"]
    }
    assert any(state_dir.startswith(m + "/") for m in poller_mounts)


def test_secret_files_referenced_by_the_configmap_come_from_the_secret() -> None:
    data = k8s_docs_of("ConfigMap")["parley-config"]["data"]
    example = k8s_docs_of("Secret")["parley-secrets"]
    assert set(example["stringData"].values()) == {""}, "the example must hold no values"
    files = [v for k, v in data.items() if k.endswith("_FILE")]
    assert files
    for path in files:
        assert path.startswith("/run/secrets/parley/"), path
        assert path.rsplit("/", 1)[1] in example["stringData"], path


def test_no_secret_values_in_deploy_files() -> None:
    problems = []
    for where, env in env_sources().items():
        for name, value in env.items():
            secret_like = any(word in name for word in SECRET_WORDS)
            if secret_like and not name.endswith(("_FILE", "__FILE")) and value:
                problems.append(f"{where}: {name} has an inline value")
    assert problems == []


# ------------------------------------------------------------------------ compose --


def test_compose_services_have_healthchecks_restarts_and_ordered_starts() -> None:
    services = compose()["services"]
    one_shot = {*ONE_SHOTS, "kibana-objects"}
    for name, svc in services.items():
        if name in one_shot:
            assert svc["restart"] == "no", name
            continue
        assert svc["restart"] == "unless-stopped", name
        if "monitoring" not in svc.get("profiles", []):
            assert "healthcheck" in svc, name
    for name, svc in services.items():
        depends = svc.get("depends_on") or {}
        if isinstance(depends, dict):
            for dep, rule in depends.items():
                if rule["condition"] == "service_healthy":
                    assert "healthcheck" in services[dep], f"{name} waits for {dep}"
                if rule["condition"] == "service_completed_successfully":
                    assert dep in one_shot, f"{name} waits for {dep} to exit"
    for worker in WORKERS:
        assert services[worker]["depends_on"]["setup"]["condition"] == (
            "service_completed_successfully"
        )
        assert services[worker]["read_only"] is True
        assert services[worker]["image"] == services["setup"]["image"]


# ------------------------------------------------------------------------ systemd --


def test_systemd_units_share_configuration_and_load_secrets_as_credentials() -> None:
    for worker in [*WORKERS, *ONE_SHOTS]:
        unit = systemd_unit(unit_file(worker))
        service = unit["Service"]
        assert service["EnvironmentFile"] == ["/etc/parley/parley.env"]
        assert service["Restart"] == ["on-failure"]
        assert service["Type"] == (["oneshot"] if worker in ONE_SHOTS else ["exec"])
        assert service["NoNewPrivileges"] == ["yes"]
        assert service["ProtectSystem"] == ["strict"]
        assert unit["Unit"]["PartOf"] == ["parley.target"]
        assert unit["Install"]["WantedBy"] == ["parley.target"]
        credentials = [c.split(":", 1)[0] for c in service.get("LoadCredential", [])]
        env = dict(e.split("=", 1) for e in service.get("Environment", []))
        for credential in credentials:
            users = [k for k, v in env.items() if v == f"%d/{credential}"]
            assert users, f"{worker}: credential {credential} is loaded but not used"
            assert all(u.endswith(("_FILE", "__FILE")) for u in users)


# ---------------------------------------------------------------------- Dockerfile --


def test_dockerfile_builds_a_non_root_parley_image() -> None:
    instructions = dockerfile_instructions()
    froms = [args for word, args in instructions if word == "FROM"]
    args = dict(a.split("=", 1) for word, a in instructions if word == "ARG" and "=" in a)
    assert args["PYTHON_IMAGE"] == "python:3.11-slim"
    assert [f.split()[0] for f in froms] == ["${PYTHON_IMAGE}", "${PYTHON_IMAGE}"]
    users = [a for word, a in instructions if word == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert ("ENTRYPOINT", '["parley"]') in instructions
    runs = [a for word, a in instructions if word == "RUN"]
    # Dependencies from the runtime lock only, hash-checked; then parley without resolving.
    assert any("--require-hashes --no-deps -r requirements-runtime.lock" in a for a in runs)
    assert any("pip install --no-deps --no-build-isolation ." in a for a in runs)
    assert not any(re.search(r"pip install (?!.*--no-deps)", a) for a in runs)
    ignore = (DEPLOY / "docker" / "Dockerfile.dockerignore").read_text(encoding="utf-8")
    allowed = {line[1:].rstrip("/") for line in ignore.splitlines() if line.startswith("!")}
    for word, a in instructions:
        if word == "COPY" and "--from" not in a:
            *sources, _dest = a.split()
            for source in sources:
                assert (REPO / source).exists(), source
                assert source.rstrip("/") in allowed, f"{source} is excluded from the context"


# ----------------------------------------------------------------------- Grafana --


def dashboard_metrics() -> set[str]:
    dashboard = json.loads((GRAFANA / "parley-dashboard.json").read_text(encoding="utf-8"))
    names = set()
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            for name in re.findall(r"\b(parley_[a-z0-9_]+)", target["expr"]):
                names.add(re.sub(r"_(bucket|sum|count)$", "", name))
    return names


def readme_metrics() -> dict[str, str]:
    text = (GRAFANA / "README.md").read_text(encoding="utf-8")
    return dict(re.findall(r"^\| `(parley_[a-z0-9_]+)` \| (\w+) \|", text, flags=re.M))


def test_grafana_dashboard_is_well_formed() -> None:
    dashboard = json.loads((GRAFANA / "parley-dashboard.json").read_text(encoding="utf-8"))
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    variables = {v["name"] for v in dashboard["templating"]["list"]}
    for panel in dashboard["panels"]:
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24, panel["title"]
        for target in panel.get("targets", []):
            assert target["datasource"]["uid"] == "${datasource}"
            for variable in re.findall(r"\$(\w+)", target["expr"]):
                assert variable in variables or variable.startswith("__"), variable
    titles = " ".join(p["title"].lower() for p in dashboard["panels"])
    for topic in ("poll outcomes", "consumer lag", "indexing rate", "indexing errors"):
        assert topic in titles
    assert "dead letters" in titles and "alert latency" in titles
    assert any(p["type"] == "heatmap" for p in dashboard["panels"])


def test_dashboard_metrics_are_documented_and_exported_by_the_workers() -> None:
    # Importing registers the workers' metrics in the default registry.
    import ingest.metrics  # noqa: F401
    import pipeline.metrics  # noqa: F401
    import sinks.alerts.metrics  # noqa: F401

    documented = readme_metrics()
    assert dashboard_metrics() == set(documented)
    registered = {}
    for family in REGISTRY.collect():
        registered[family.name] = family.type
        if family.type == "counter":
            registered[family.name + "_total"] = "counter"
    problems = [
        f"{name}: README says {kind}, workers register {registered.get(name, 'nothing')}"
        for name, kind in documented.items()
        if registered.get(name) != kind
    ]
    assert problems == []


# ------------------------------------------------------------ pipeline scale-out --


def test_every_deployment_runs_several_pipeline_workers_within_the_partitions() -> None:
    """More than one pipeline worker everywhere, each a distinct static group member, never
    more of them than partitions to share (docs/scaling.md)."""
    statefulset = k8s_docs_of("StatefulSet")["parley-pipeline"]
    replicas = statefulset["spec"]["replicas"]
    assert replicas > 1
    (container,) = statefulset["spec"]["template"]["spec"]["containers"]
    instance = {e["name"]: e for e in container["env"]}["PARLEY_PIPELINE__INSTANCE_ID"]
    assert instance["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name"  # pod-0, pod-1, …
    service = k8s_docs_of("Service")[statefulset["spec"]["serviceName"]]
    assert service["spec"]["clusterIP"] == "None"
    labels = statefulset["spec"]["template"]["metadata"]["labels"]
    (budget,) = [
        pdb
        for pdb in k8s_docs_of("PodDisruptionBudget").values()
        if pdb["spec"]["selector"]["matchLabels"].items() <= labels.items()
    ]
    assert budget["spec"]["maxUnavailable"] == 1
    configmap = k8s_docs_of("ConfigMap")["parley-config"]["data"]
    assert int(configmap["PARLEY_KAFKA__TOPICS__PARTITIONS"]) >= replicas

    pipeline = compose()["services"]["pipeline"]
    assert pipeline["deploy"]["replicas"] > 1
    # `--scale` needs containers without fixed names or host ports.
    assert "container_name" not in pipeline and "ports" not in pipeline
    assert "{hostname}" in pipeline["environment"]["PARLEY_PIPELINE__INSTANCE_ID"]
    parley_yaml = yaml.safe_load((DEPLOY / "compose" / "parley.yaml").read_text("utf-8"))
    assert parley_yaml["kafka"]["topics"]["partitions"] >= pipeline["deploy"]["replicas"]

    wanted = systemd_unit("parley.target")["Unit"]["Wants"][0].split()
    instances = [u for u in wanted if u.startswith("parley-pipeline@")]
    assert len(instances) > 1
    env = dict(
        e.split("=", 1) for e in systemd_unit("parley-pipeline@.service")["Service"]["Environment"]
    )
    assert "%i" in env["PARLEY_PIPELINE__INSTANCE_ID"]  # one member per instance
    assert "%i" in env["PARLEY_METRICS__PORT"]  # and one /metrics port
    for instance_name in instances:
        port = env["PARLEY_METRICS__PORT"].replace("%i", instance_name.split("@")[1][:-8])
        assert int(port) not in DEFAULT_PORTS.values()
