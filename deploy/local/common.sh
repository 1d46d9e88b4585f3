# shellcheck shell=bash
# The settings below are read by the scripts that source this file.
# shellcheck disable=SC2034
# Shared settings and helpers for deploy/local/*.sh; sourced, never run directly.
#
# Every knob is an environment variable whose name matches parley's settings model
# (PARLEY_SERVICES__*), so `parley services up` and a plain `bash services.sh up` agree.

LOCAL_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd -- "$LOCAL_DIR/../.." && pwd)"

KAFKA_PORT="${PARLEY_SERVICES__KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${PARLEY_SERVICES__KAFKA_CONTROLLER_PORT:-9093}"
ES_PORT="${PARLEY_SERVICES__ELASTICSEARCH_PORT:-9200}"
ES_TRANSPORT_PORT="${PARLEY_SERVICES__ELASTICSEARCH_TRANSPORT_PORT:-9300}"
DATA_DIR="${PARLEY_SERVICES__DATA_DIR:-$REPO_ROOT/var}"
CACHE_DIR="${PARLEY_SERVICES__CACHE_DIR:-$REPO_ROOT/.cache}"
KAFKA_HEAP="${PARLEY_SERVICES__KAFKA_HEAP:-512m}"
ES_HEAP="${PARLEY_SERVICES__ELASTICSEARCH_HEAP:-512m}"
TOPIC_PARTITIONS="${PARLEY_KAFKA__TOPICS__PARTITIONS:-3}"

KAFKA_VERSION="${PARLEY_LOCAL_KAFKA_VERSION:-4.3.1}"
# Elasticsearch 9 publishes no integ-test-zip to Maven Central; 8.19 is the newest there.
ES_VERSION="${PARLEY_LOCAL_ELASTICSEARCH_VERSION:-8.19.21}"
START_TIMEOUT="${PARLEY_LOCAL_START_TIMEOUT:-180}"
STOP_TIMEOUT="${PARLEY_LOCAL_STOP_TIMEOUT:-60}"
ES_USER="${PARLEY_LOCAL_ELASTICSEARCH_USER:-parley-es}"

# Only loopback: these services have no authentication.
BIND_HOST=127.0.0.1

log() { printf '%s\n' "$*" >&2; }
die() {
	printf 'error: %s\n' "$*" >&2
	exit 1
}

is_root() { [[ "$(id -u)" == 0 ]]; }

# Absolute, normalised path without requiring it to exist (relative paths are taken from the
# caller's working directory, like every other tool would).
abspath() {
	local p="$1"
	[[ "$p" == /* ]] || p="$PWD/$p"
	realpath -m -- "$p"
}
DATA_DIR="$(abspath "$DATA_DIR")"
CACHE_DIR="$(abspath "$CACHE_DIR")"

require_tool() {
	local tool="$1" package="$2"
	command -v "$tool" >/dev/null 2>&1 ||
		die "'$tool' is not installed; install the Debian/Ubuntu package '$package' (apt-get install $package)"
}

# Major version of a JDK home, read from its `release` file (no JVM start needed).
jdk_major() {
	local home="$1" v
	[[ -r "$home/release" ]] || return 1
	v="$(sed -n 's/^JAVA_VERSION="\([0-9][0-9]*\).*/\1/p' "$home/release")"
	[[ -n "$v" ]] || return 1
	if [[ "$v" == 1 ]]; then # 1.8 style
		v="$(sed -n 's/^JAVA_VERSION="1\.\([0-9][0-9]*\).*/\1/p' "$home/release")"
	fi
	printf '%s\n' "$v"
}

# A JDK home whose major version is in [min, max]: the explicit override (which must qualify),
# else JAVA_HOME or the `java` on PATH when they qualify (the user's choice), else the newest
# qualifying JDK under /usr/lib/jvm.
find_java_home() {
	local min="$1" max="$2" override="${3:-}" c best="" best_v=0 v
	local -a preferred=()
	if [[ -n "$override" ]]; then
		v="$(jdk_major "$override")" || die "$override is not a JDK home (no release file)"
		((v >= min && v <= max)) || die "$override is Java $v; Java $min..$max is needed here"
		printf '%s\n' "$override"
		return 0
	fi
	[[ -n "${JAVA_HOME:-}" ]] && preferred+=("$JAVA_HOME")
	if command -v java >/dev/null 2>&1; then
		preferred+=("$(dirname -- "$(dirname -- "$(readlink -f -- "$(command -v java)")")")")
	fi
	for c in "${preferred[@]}"; do
		v="$(jdk_major "$c")" || continue
		if [[ -x "$c/bin/java" ]] && ((v >= min && v <= max)); then
			printf '%s\n' "$c"
			return 0
		fi
	done
	for c in /usr/lib/jvm/*/; do
		c="${c%/}"
		[[ -x "$c/bin/java" && ! -L "$c" ]] || continue
		v="$(jdk_major "$c")" || continue
		if ((v >= min && v <= max && v > best_v)); then
			best="$c"
			best_v="$v"
		fi
	done
	[[ -n "$best" ]] || return 1
	printf '%s\n' "$best"
}

# pgrep pattern that matches the literal string (pgrep -f takes an extended regex).
regex_escape() { printf '%s' "$1" | sed 's/[][\.*^$+?(){}|/]/\\&/g'; }

# Pids of processes whose command line carries the marker (a -D property naming the
# instance directory); the marker is unique to one service of one data dir.
marker_pids() { pgrep -f -- "$(regex_escape "$1")" || true; }

pid_alive() { [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null; }

read_pid() {
	if [[ -r "$1" ]]; then tr -dc '0-9' <"$1"; fi
}

# SIGTERM, wait up to STOP_TIMEOUT, then SIGKILL; every pid was found through our own pid
# file or the instance marker, so nothing else on the machine is touched.
stop_pids() {
	local name="$1"
	shift
	local pids=("$@") deadline p alive
	((${#pids[@]})) || return 0
	log "$name: stopping (pid ${pids[*]})"
	kill -TERM "${pids[@]}" 2>/dev/null || true
	deadline=$((SECONDS + STOP_TIMEOUT))
	while ((SECONDS < deadline)); do
		alive=()
		for p in "${pids[@]}"; do pid_alive "$p" && alive+=("$p"); done
		((${#alive[@]})) || return 0
		sleep 0.5
	done
	log "$name: still running after ${STOP_TIMEOUT}s, sending SIGKILL to ${alive[*]}"
	kill -KILL "${alive[@]}" 2>/dev/null || true
	sleep 1
}

# True when something accepts TCP connections on 127.0.0.1:port.
port_open() {
	# shellcheck disable=SC2016 # expanded by the inner bash
	timeout 3 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$BIND_HOST" "$1" 2>/dev/null
}

tail_log() {
	local file="$1"
	if [[ -r "$file" ]]; then
		log "----- last lines of $file -----"
		tail -n "${2:-40}" -- "$file" >&2 || true
		log "-----"
	else
		log "(no log at $file)"
	fi
}

# Serialise concurrent `up`/`down` calls on one data dir (test sessions may race). Long-lived
# children must be started with `9>&-`, or they would hold the lock for their whole life.
with_lock() {
	local lock="$1"
	shift
	mkdir -p -- "$(dirname -- "$lock")"
	(
		flock -w "$((START_TIMEOUT + STOP_TIMEOUT))" 9 || die "timed out waiting for $lock"
		"$@"
	) 9>"$lock"
}

# Run Maven quietly in batch mode; it keeps its own local repository (~/.m2) so a fresh
# checkout on the same machine does not download again.
mvn_fetch() {
	require_tool mvn maven
	# Maven 3.8 prints colour resets even in quiet batch mode; keep the output readable.
	mvn -B -q -ntp "$@" 2>&1 | sed 's/\x1b\[[0-9;]*m//g' >&2 ||
		die "mvn failed ($*); is Maven Central reachable?"
}
