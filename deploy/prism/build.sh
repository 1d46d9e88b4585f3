#!/usr/bin/env bash
# Build Beam's Prism runner (Go) from the Go module proxy into the cache dir; print its path.
#
#   deploy/prism/build.sh
#
# The version matches the installed apache-beam, so nothing is downloaded at run time (Beam's
# DirectRunner/PrismRunner would otherwise fetch a release binary).  Use it with
#
#   parley pipeline --runner=PrismRunner --prism_location="$(deploy/prism/build.sh)" \
#     --environment_type=LOOPBACK
#
# Settings: PARLEY_SERVICES__CACHE_DIR [<repo>/.cache], PYTHON [<repo>/.venv/bin/python], BEAM_VERSION.
set -euo pipefail
HERE="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd -- "$HERE/../.." && pwd)"
CACHE_DIR="${PARLEY_SERVICES__CACHE_DIR:-$REPO_ROOT/.cache}"
PYTHON="${PYTHON:-$REPO_ROOT/.venv/bin/python}"
BEAM_VERSION="${BEAM_VERSION:-$("$PYTHON" -c 'import importlib.metadata as m; print(m.version("apache-beam"))')}"
DEST="$CACHE_DIR/prism/v$BEAM_VERSION"
BIN="$DEST/prism"

if [[ -x "$BIN" ]]; then
	printf '%s\n' "$BIN"
	exit 0
fi
command -v go >/dev/null 2>&1 || {
	echo "error: 'go' is not installed (apt-get install golang-go, Go 1.23+)" >&2
	exit 1
}
mkdir -p "$DEST"
echo "prism: building github.com/apache/beam/sdks/v2/go/cmd/prism@v$BEAM_VERSION (a few minutes, first use only)" >&2
GOBIN="$DEST" GOFLAGS="${GOFLAGS:--mod=mod}" nice -n 10 \
	go install "github.com/apache/beam/sdks/v2/go/cmd/prism@v$BEAM_VERSION" >&2
printf '%s\n' "$BIN"
