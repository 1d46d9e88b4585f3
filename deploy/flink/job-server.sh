#!/usr/bin/env bash
# Fetch Beam's Flink job-server jar from Maven Central into the cache dir and print its path.
#
#   deploy/flink/job-server.sh [FLINK_VERSION]     (default 1.19)
#
# The jar must match the installed apache-beam version (the Python SDK and the job server speak
# one Fn API version).  With it, the same pipeline runs on an embedded Flink mini-cluster:
#
#   parley pipeline --runner=FlinkRunner --flink_master=[local] --flink_version=1.19 \
#     --flink_job_server_jar="$(deploy/flink/job-server.sh)" --environment_type=LOOPBACK
#
# or on a Flink cluster with --flink_master=HOST:8081.  Exit status: 0 fetched (path on stdout),
# 3 Maven Central does not serve that jar, 1 any other failure.
# Settings: PARLEY_SERVICES__CACHE_DIR [<repo>/.cache], PYTHON [<repo>/.venv/bin/python], BEAM_VERSION.
set -euo pipefail
HERE="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd -- "$HERE/../.." && pwd)"
CACHE_DIR="${PARLEY_SERVICES__CACHE_DIR:-$REPO_ROOT/.cache}"
PYTHON="${PYTHON:-$REPO_ROOT/.venv/bin/python}"
FLINK_VERSION="${1:-1.19}"
BEAM_VERSION="${BEAM_VERSION:-$("$PYTHON" -c 'import importlib.metadata as m; print(m.version("apache-beam"))')}"
ARTIFACT="beam-runners-flink-$FLINK_VERSION-job-server"
DEST="$CACHE_DIR/flink"
JAR="$DEST/$ARTIFACT-$BEAM_VERSION.jar"

if [[ -s "$JAR" ]]; then
	printf '%s\n' "$JAR"
	exit 0
fi
command -v mvn >/dev/null 2>&1 || {
	echo "error: 'mvn' is not installed (apt-get install maven)" >&2
	exit 1
}
mkdir -p "$DEST"
log="$DEST/$ARTIFACT-$BEAM_VERSION.mvn.log"
echo "flink: fetching org.apache.beam:$ARTIFACT:$BEAM_VERSION from Maven Central" >&2
if mvn -B -ntp -U org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy \
	-Dartifact="org.apache.beam:$ARTIFACT:$BEAM_VERSION:jar" \
	-DoutputDirectory="$DEST" >"$log" 2>&1; then
	printf '%s\n' "$JAR"
	exit 0
fi
if grep -q "Could not find artifact\|was not found in" "$log"; then
	echo "flink: Maven Central does not serve org.apache.beam:$ARTIFACT:$BEAM_VERSION:" >&2
	grep -m1 "Could not find artifact\|was not found in" "$log" | sed 's/^\[ERROR\] *//' >&2
	exit 3
fi
echo "flink: mvn failed, see $log" >&2
tail -n 20 "$log" >&2
exit 1
