#!/usr/bin/env bash
# Offline validation of parley's deployment assets; no Docker engine, cluster or systemd needed.
#
#   bash deploy/validate.sh [--no-install] [DEPLOY_DIR]
#
# Checks:
#   compose     `docker compose config -q` on deploy/compose/compose.yaml (default and monitoring
#               profiles), and every bind-mounted file exists (a missing one would silently become
#               an empty directory on `up`).
#   kubernetes  every manifest against the Kubernetes OpenAPI schemas of a pinned version
#               (kubernetes-validate --strict, schemas shipped in the PyPI package), kustomization
#               resources exist and cover every manifest, and the `kustomize build` output
#               (kubectl's built-in kustomize, or kustomize built from the Go module proxy).
#   systemd     `systemd-analyze verify` (warnings count as failures); a parse check where
#               systemd-analyze is missing.
#
# Tools are installed on first use, idempotently: kubernetes-validate with pip into the project's
# Python; Docker Compose v2, when `docker compose` is not available, built from the Go module
# proxy into .cache/tools/ (needs Go >= 1.24; a few minutes once, then cached); kustomize likewise
# when kubectl is not installed.
# --no-install skips a check whose tool is missing instead of installing it (fails under CI=true).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
INSTALL=1
if [[ "${1:-}" == "--no-install" ]]; then
	INSTALL=0
	shift
fi
DEPLOY="$(cd "${1:-$ROOT/deploy}" && pwd)"

K8S_VERSION="${PARLEY_K8S_VERSION:-1.32.0}"
COMPOSE_VERSION="${PARLEY_COMPOSE_VERSION:-v2.40.3}"
KUSTOMIZE_VERSION="${PARLEY_KUSTOMIZE_VERSION:-v5.7.1}"
KUBERNETES_VALIDATE_SPEC='kubernetes-validate>=1.32,<2'
TOOLS="${PARLEY_TOOLS_DIR:-$ROOT/.cache/tools}"
if [[ -n "${PYTHON:-}" ]]; then
	PY="$PYTHON"
elif [[ -x "$ROOT/.venv/bin/python" ]]; then
	PY="$ROOT/.venv/bin/python"
else
	PY="python3"
fi

# Go from PATH, else the usual tarball location (not always on PATH in non-login shells).
GO="$(command -v go || true)"
if [[ -z "$GO" && -x /usr/local/go/bin/go ]]; then
	GO=/usr/local/go/bin/go
fi

failures=0
log() { printf 'validate: %s\n' "$*"; }
fail() {
	printf 'validate: FAIL %s\n' "$*" >&2
	failures=$((failures + 1))
}
# A tool that is missing and may not be installed: a skip locally, a failure in CI, where a
# silently skipped check would be a green build that checked nothing.
missing_tool() {
	if [[ "${CI:-}" == "true" ]]; then
		fail "$1"
	else
		log "SKIP $1"
	fi
}

# ---------------------------------------------------------------------------------- compose --
compose_cmd=()
find_compose() {
	if docker compose version >/dev/null 2>&1; then
		compose_cmd=(docker compose)
		return 0
	fi
	if command -v docker-compose >/dev/null 2>&1 &&
		docker-compose version 2>/dev/null | grep -q 'version v2'; then
		compose_cmd=(docker-compose)
		return 0
	fi
	local bin="$TOOLS/docker-compose-$COMPOSE_VERSION"
	if [[ ! -x "$bin" ]]; then
		((INSTALL)) || return 1
		install_compose "$bin" || return 1
	fi
	compose_cmd=("$bin")
}

install_compose() {
	local bin="$1" dir started
	[[ -n "$GO" ]] || {
		log "Go is needed to build Docker Compose $COMPOSE_VERSION (install Go >= 1.24)"
		return 1
	}
	started=$(date +%s)
	log "building Docker Compose $COMPOSE_VERSION from the Go module proxy (first use only)"
	# `go install module@version` refuses modules whose go.mod has exclude/replace directives,
	# which compose's has; download the module and build it in place instead.
	dir="$("$GO" mod download -json "github.com/docker/compose/v2@$COMPOSE_VERSION" |
		"$PY" -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')"
	mkdir -p "$TOOLS"
	(cd "$dir" && "$GO" build -trimpath \
		-ldflags "-s -w -X github.com/docker/compose/v2/internal.Version=$COMPOSE_VERSION" \
		-o "$bin.tmp" ./cmd)
	mv -f "$bin.tmp" "$bin"
	log "built $("$bin" version) in $(($(date +%s) - started)) s"
}

check_compose() {
	local file="$DEPLOY/compose/compose.yaml"
	if ! find_compose; then
		missing_tool "compose: no Docker Compose v2 (docker compose plugin, or Go to build it)"
		return
	fi
	log "compose: ${compose_cmd[*]} ($("${compose_cmd[@]}" version --short 2>/dev/null || echo '?'))"
	local profile
	for profile in "" monitoring; do
		local args=(-f "$file")
		[[ -n "$profile" ]] && args+=(--profile "$profile")
		if "${compose_cmd[@]}" "${args[@]}" config -q; then
			log "compose: config -q ok${profile:+ (profile $profile)}"
		else
			fail "compose: config -q${profile:+ (profile $profile)}"
		fi
	done
	# Bind mounts whose source is missing: compose would create an empty directory instead.
	if "${compose_cmd[@]}" -f "$file" --profile monitoring config --format json |
		"$PY" -c '
import json, os, sys
cfg = json.load(sys.stdin)
missing = [
    name + ": " + vol["source"]
    for name, svc in cfg["services"].items()
    for vol in svc.get("volumes", [])
    if vol.get("type") == "bind" and not os.path.exists(vol["source"])
]
for m in missing:
    print("missing bind-mount source", m, file=sys.stderr)
sys.exit(1 if missing else 0)
'; then
		log "compose: every bind-mount source exists"
	else
		fail "compose: bind-mount sources"
	fi
}

# ------------------------------------------------------------------------------- kubernetes --
check_kubernetes() {
	local dir="$DEPLOY/kubernetes"
	if ! "$PY" -c 'import kubernetes_validate' 2>/dev/null; then
		if ((INSTALL)); then
			log "installing $KUBERNETES_VALIDATE_SPEC"
			"$PY" -m pip install --quiet "$KUBERNETES_VALIDATE_SPEC"
		else
			missing_tool "kubernetes: kubernetes-validate is not installed"
			return
		fi
	fi
	local manifests=()
	local f
	for f in "$dir"/*.yaml; do
		[[ "$(basename "$f")" == kustomization.yaml ]] || manifests+=("$f")
	done
	if "$PY" -m kubernetes_validate --strict --quiet -k "$K8S_VERSION" "${manifests[@]}"; then
		log "kubernetes: ${#manifests[@]} manifests valid for Kubernetes $K8S_VERSION (strict)"
	else
		fail "kubernetes: schema validation (Kubernetes $K8S_VERSION)"
	fi
	# Every manifest is deployed by the kustomization (examples excepted) and every listed
	# resource exists, so `kubectl apply -k` deploys exactly what was validated above.
	if "$PY" - "$dir" <<'PYEOF'; then
import pathlib, sys, yaml
d = pathlib.Path(sys.argv[1])
k = yaml.safe_load((d / "kustomization.yaml").read_text())
listed = set(k.get("resources", []))
on_disk = {p.name for p in d.glob("*.yaml")} - {"kustomization.yaml"}
errors = [f"listed but missing: {r}" for r in sorted(listed - on_disk)]
errors += [f"not listed: {r}" for r in sorted(on_disk - listed) if ".example." not in r]
for e in errors:
    print("kustomization.yaml", e, file=sys.stderr)
sys.exit(1 if errors else 0)
PYEOF
		log "kubernetes: kustomization resources match the manifests"
	else
		fail "kubernetes: kustomization resources"
	fi
	local kustomize=()
	if command -v kubectl >/dev/null 2>&1 && kubectl kustomize --help >/dev/null 2>&1; then
		kustomize=(kubectl kustomize)
	elif command -v kustomize >/dev/null 2>&1; then
		kustomize=(kustomize build)
	elif [[ -x "$TOOLS/kustomize-$KUSTOMIZE_VERSION" ]]; then
		kustomize=("$TOOLS/kustomize-$KUSTOMIZE_VERSION" build)
	elif ((INSTALL)) && [[ -n "$GO" ]]; then
		log "building kustomize $KUSTOMIZE_VERSION from the Go module proxy (first use only)"
		mkdir -p "$TOOLS"
		GOBIN="$TOOLS/.gobin" "$GO" install "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION"
		mv -f "$TOOLS/.gobin/kustomize" "$TOOLS/kustomize-$KUSTOMIZE_VERSION"
		kustomize=("$TOOLS/kustomize-$KUSTOMIZE_VERSION" build)
	fi
	if ((${#kustomize[@]} == 0)); then
		missing_tool "kubernetes: no kustomize (kubectl, kustomize, or Go to build it)"
	else
		local out
		out="$(mktemp)"
		if "${kustomize[@]}" "$dir" >"$out" &&
			"$PY" -m kubernetes_validate --strict --quiet -k "$K8S_VERSION" "$out"; then
			log "kubernetes: ${kustomize[*]} output valid"
		else
			fail "kubernetes: ${kustomize[*]}"
		fi
		rm -f "$out"
	fi
}

# ---------------------------------------------------------------------------------- systemd --
check_systemd() {
	local dir="$DEPLOY/systemd"
	local units=("$dir"/*.service "$dir"/*.target)
	if command -v systemd-analyze >/dev/null 2>&1; then
		# verify insists that ExecStart= exists and is executable; the units name the installed
		# path (/opt/parley/bin/parley), so verify copies that point at a stub instead.
		local tmp out
		tmp="$(mktemp -d)"
		printf '#!/bin/sh\nexit 0\n' >"$tmp/parley"
		chmod +x "$tmp/parley"
		local u
		for u in "${units[@]}"; do
			sed "s#/opt/parley/bin/parley#$tmp/parley#g" "$u" >"$tmp/$(basename "$u")"
		done
		# Unknown keys and unparsable values are only warnings (exit 0): any output fails.
		out="$(cd "$tmp" && systemd-analyze verify --man=no "${units[@]##*/}" 2>&1)" || true
		rm -rf "$tmp"
		if [[ -z "$out" ]]; then
			log "systemd: systemd-analyze verify ok (${#units[@]} units)"
		else
			printf '%s\n' "$out" >&2
			fail "systemd: systemd-analyze verify"
		fi
	else
		if "$PY" - "${units[@]}" <<'PYEOF'; then
import re, sys
errors = []
for path in sys.argv[1:]:
    section = None
    keys = {}
    for n, line in enumerate(open(path, encoding="utf-8"), 1):
        line = line.strip()
        if not line or line[0] in "#;":
            continue
        if re.fullmatch(r"\[[A-Za-z]+\]", line):
            section = line[1:-1]
            continue
        m = re.fullmatch(r"([A-Za-z][A-Za-z0-9]*)=(.*)", line)
        if not m or section is None:
            errors.append(f"{path}:{n}: not a key=value line in a section")
            continue
        keys.setdefault(section, set()).add(m.group(1))
    if path.endswith(".service") and "ExecStart" not in keys.get("Service", set()):
        errors.append(f"{path}: no ExecStart= in [Service]")
for e in errors:
    print(e, file=sys.stderr)
sys.exit(1 if errors else 0)
PYEOF
			log "systemd: parse check ok (systemd-analyze not available)"
		else
			fail "systemd: parse check"
		fi
	fi
}

check_compose
check_kubernetes
check_systemd

if ((failures)); then
	log "$failures check(s) failed"
	exit 1
fi
log "all deploy checks passed"
