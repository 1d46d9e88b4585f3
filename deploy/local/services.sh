#!/usr/bin/env bash
# Run parley's backing services on 127.0.0.1 for development and tests:
# a single-node KRaft Kafka and a single-node Elasticsearch, both downloaded from Maven Central
# on first use into the cache dir and reused afterwards.
#
#   services.sh up     [kafka|elasticsearch]   start (no-op when already healthy), wait until ready
#   services.sh down   [kafka|elasticsearch]   stop; leaves no process behind
#   services.sh status [kafka|elasticsearch]   exit 0 only when every named service is healthy
#
# Settings (environment, same names as parley's settings model; defaults in brackets):
#   PARLEY_SERVICES__KAFKA_PORT [9092]  PARLEY_SERVICES__KAFKA_CONTROLLER_PORT [9093]
#   PARLEY_SERVICES__ELASTICSEARCH_PORT [9200]  PARLEY_SERVICES__ELASTICSEARCH_TRANSPORT_PORT [9300]
#   PARLEY_SERVICES__DATA_DIR [<repo>/var]  PARLEY_SERVICES__CACHE_DIR [<repo>/.cache]
#   PARLEY_SERVICES__KAFKA_HEAP [512m]  PARLEY_SERVICES__ELASTICSEARCH_HEAP [512m]
#   PARLEY_KAFKA__TOPICS__PARTITIONS [3]
#   PYTHON [<repo>/.venv/bin/python, else python3]: used to create topics with parley's own code
#   PARLEY_LOCAL_START_TIMEOUT [180] / PARLEY_LOCAL_STOP_TIMEOUT [60] seconds
#   PARLEY_LOCAL_KAFKA_VERSION [4.3.1]  PARLEY_LOCAL_ELASTICSEARCH_VERSION [8.19.21]
#   ES_JAVA_HOME: a Java 21+ home for Elasticsearch (default: newest JDK under /usr/lib/jvm)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR

# shellcheck source=common.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/common.sh"
# shellcheck source=kafka.sh
source "$LOCAL_DIR/kafka.sh"
# shellcheck source=elasticsearch.sh
source "$LOCAL_DIR/elasticsearch.sh"

if [[ -z "${PYTHON:-}" ]]; then
	if [[ -x "$REPO_ROOT/.venv/bin/python" ]]; then PYTHON="$REPO_ROOT/.venv/bin/python"; else PYTHON=python3; fi
fi

usage() {
	sed -n '2,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

action="${1:-}"
target="${2:-all}"
case "$target" in
all) services=(kafka elasticsearch) ;;
kafka) services=(kafka) ;;
elasticsearch | es) services=(elasticsearch) ;;
*) usage ;;
esac

# Checked before anything starts so a missing tool never leaves a half-started stack.
preflight() {
	require_tool flock util-linux
	require_tool setsid util-linux
	require_tool pgrep procps
	require_tool timeout coreutils
	command -v java >/dev/null 2>&1 || compgen -G '/usr/lib/jvm/*/bin/java' >/dev/null ||
		die "'java' is not installed; install the Debian/Ubuntu package 'openjdk-17-jre-headless' (Elasticsearch 9 also needs a Java 21+, e.g. openjdk-21-jre-headless)"
}

run_all() {
	local fn_suffix="$1" rc=0 s
	for s in "${services[@]}"; do
		case "$s" in
		kafka) "kafka_$fn_suffix" || rc=1 ;;
		elasticsearch) "es_$fn_suffix" || rc=1 ;;
		esac
	done
	return "$rc"
}

case "$action" in
up)
	preflight
	for s in "${services[@]}"; do
		case "$s" in
		kafka) kafka_up ;;
		elasticsearch) es_up ;;
		esac
	done
	;;
down)
	require_tool pgrep procps
	require_tool flock util-linux
	# Reverse start order; every service is attempted even if one fails to stop.
	rc=0
	for ((i = ${#services[@]} - 1; i >= 0; i--)); do
		case "${services[i]}" in
		kafka) kafka_down || rc=1 ;;
		elasticsearch) es_down || rc=1 ;;
		esac
	done
	exit "$rc"
	;;
status)
	run_all status
	;;
*) usage ;;
esac
