# shellcheck shell=bash
# Local single-node KRaft Kafka (broker + controller) built from Maven Central jars.
# Sourced by services.sh after common.sh; defines kafka_up, kafka_down, kafka_status.

KAFKA_HOME="$CACHE_DIR/kafka-$KAFKA_VERSION"
KAFKA_LIBS="$KAFKA_HOME/libs"
KAFKA_INST="$DATA_DIR/kafka"
KAFKA_LOG="$KAFKA_INST/kafka.log"
KAFKA_PIDFILE="$KAFKA_INST/kafka.pid"
KAFKA_MARKER="-Dparley.instance=$KAFKA_INST "

kafka_download() {
	[[ -f "$KAFKA_HOME/.complete" ]] && return 0
	local started=$SECONDS tmp="$KAFKA_HOME/libs.partial"
	log "kafka: fetching Kafka $KAFKA_VERSION and its dependencies with Maven (Maven Central) into $KAFKA_HOME (first use only)"
	rm -rf -- "$tmp"
	mkdir -p -- "$tmp"
	mvn_fetch -f "$LOCAL_DIR/kafka/pom.xml" -Dkafka.version="$KAFKA_VERSION" \
		org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies \
		-DoutputDirectory="$tmp" -DincludeScope=runtime
	rm -rf -- "$KAFKA_LIBS"
	mv -- "$tmp" "$KAFKA_LIBS"
	touch -- "$KAFKA_HOME/.complete"
	log "kafka: downloaded $(find "$KAFKA_LIBS" -name '*.jar' | wc -l) jars in $((SECONDS - started))s"
}

# Kafka cluster ids are 16 random bytes in URL-safe base64 without padding. One that starts
# with "-" reads as an option to the storage tool (1 id in 64), so draw again as Kafka's own
# Uuid.randomUuid does; the caller also glues it to its option.
kafka_cluster_id() {
	local id="-"
	while [[ "$id" == -* ]]; do
		id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')"
	done
	printf '%s\n' "$id"
}

kafka_java() {
	local home
	home="$(find_java_home 17 999 "${PARLEY_LOCAL_KAFKA_JAVA_HOME:-}")" ||
		die "Kafka $KAFKA_VERSION needs Java 17 or newer and none was found (JAVA_HOME, PATH, /usr/lib/jvm); install openjdk-17-jre-headless"
	printf '%s\n' "$home/bin/java"
}

# A Kafka ApiVersions (v0) round trip: proves the broker speaks the protocol, not just that the
# port is open, without needing a JVM or Python client.
kafka_probe() {
	local reply
	# shellcheck disable=SC2016 # expanded by the inner bash
	reply="$(timeout 5 bash -c '
		exec 3<>"/dev/tcp/$0/$1" || exit 1
		# size=12, api_key=18 (ApiVersions), version=0, correlation_id=1, client_id="ps"
		printf "\x00\x00\x00\x0c\x00\x12\x00\x00\x00\x00\x00\x01\x00\x02ps" >&3
		head -c 10 <&3 | od -An -tx1 | tr -d " \n"
	' "$BIND_HOST" "$KAFKA_PORT" 2>/dev/null)" || return 1
	# response: int32 size, int32 correlation_id (=1), int16 error_code (=0)
	[[ "${reply:8:12}" == "000000010000" ]]
}

kafka_running_pids() {
	local pid
	pid="$(read_pid "$KAFKA_PIDFILE")"
	{
		pid_alive "$pid" && printf '%s\n' "$pid"
		marker_pids "$KAFKA_MARKER"
	} | sort -un
}

kafka_render_config() {
	local template="$LOCAL_DIR/kafka/server.properties.in"
	sed -e "s|@BIND_HOST@|$BIND_HOST|g" \
		-e "s|@KAFKA_PORT@|$KAFKA_PORT|g" \
		-e "s|@CONTROLLER_PORT@|$KAFKA_CONTROLLER_PORT|g" \
		-e "s|@LOG_DIRS@|$KAFKA_INST/data|g" \
		-e "s|@PARTITIONS@|$TOPIC_PARTITIONS|g" \
		"$template" >"$KAFKA_INST/server.properties"
}

kafka_wait_ready() {
	local pid="$1" deadline=$((SECONDS + START_TIMEOUT))
	while ((SECONDS < deadline)); do
		kafka_probe && return 0
		if ! pid_alive "$pid"; then
			log "kafka: the broker exited during startup"
			tail_log "$KAFKA_LOG"
			return 1
		fi
		sleep 0.5
	done
	log "kafka: not ready on $BIND_HOST:$KAFKA_PORT after ${START_TIMEOUT}s"
	tail_log "$KAFKA_LOG"
	return 1
}

# Topic settings mirror parley.kafka_admin.topic_specs (used directly when Python can import
# parley); this Java path only runs when it cannot.
kafka_create_topics_java() {
	local java="$1" t name cfg
	local day=86400000
	local -a specs=(
		"${PARLEY_KAFKA__TOPICS__ARTICLES:-parley.articles.v1}|retention.ms=$((7 * day))"
		"${PARLEY_KAFKA__TOPICS__ALERTS:-parley.alerts.v1}|retention.ms=$((30 * day))"
		"${PARLEY_KAFKA__TOPICS__DEADLETTER:-parley.deadletter.v1}|retention.ms=$((30 * day))"
		"${PARLEY_KAFKA__TOPICS__FEEDS:-parley.feeds.v1}|cleanup.policy=compact"
	)
	for t in "${specs[@]}"; do
		name="${t%%|*}"
		cfg="${t#*|}"
		"$java" -Xmx256m -cp "$KAFKA_LIBS/*" -Dlog4j2.configurationFile="$LOCAL_DIR/kafka/log4j2.xml" \
			-Dlog4j2.level=WARN org.apache.kafka.tools.TopicCommand \
			--bootstrap-server "$BIND_HOST:$KAFKA_PORT" --create --if-not-exists \
			--topic "$name" --partitions "$TOPIC_PARTITIONS" --replication-factor 1 \
			--config "$cfg" >>"$KAFKA_LOG" 2>&1 || return 1
		log "kafka: topic $name ready"
	done
}

kafka_create_topics_python() {
	"$PYTHON" - "$BIND_HOST:$KAFKA_PORT" <<'PY'
import sys

from parley.config import KafkaSettings, load_settings
from parley.kafka_admin import ensure_topics

# Topic names and partitions come from the usual PARLEY_* settings; the connection is always
# the plain local broker this script runs.
local = KafkaSettings(bootstrap_servers=sys.argv[1], topics=load_settings().kafka.topics)
for name, created in ensure_topics(local, timeout_ms=15_000):
    print(f"kafka: topic {name} {'created' if created else 'exists'}", file=sys.stderr)
PY
}

kafka_create_topics() {
	local java="$1" attempt
	local use_python=0
	if "$PYTHON" -c 'import parley.kafka_admin' >/dev/null 2>&1; then
		use_python=1
	else
		log "kafka: $PYTHON cannot import parley; creating topics with Kafka's TopicCommand"
	fi
	# Right after the first start the controller may still be electing itself: retry briefly.
	for attempt in 1 2 3 4 5 6; do
		if ((use_python)); then
			kafka_create_topics_python && return 0
		else
			kafka_create_topics_java "$java" && return 0
		fi
		log "kafka: topic creation failed (attempt $attempt), retrying"
		sleep 3
	done
	tail_log "$KAFKA_LOG"
	die "kafka: could not create the topics"
}

kafka_start() {
	local java pids pid cluster_id
	pids="$(kafka_running_pids)"
	if [[ -n "$pids" ]]; then
		pid="$(head -n1 <<<"$pids")"
		if kafka_probe; then
			log "kafka: already running (pid $pid) on $BIND_HOST:$KAFKA_PORT, nothing to do"
			printf '%s\n' "$pid" >"$KAFKA_PIDFILE"
			return 0
		fi
		log "kafka: process $pid exists but does not answer yet; waiting"
		kafka_wait_ready "$pid" || die "kafka: pid $pid is not healthy; run 'services.sh down kafka' and retry"
		log "kafka: ready on $BIND_HOST:$KAFKA_PORT (pid $pid)"
		return 0
	fi
	if port_open "$KAFKA_PORT"; then
		if kafka_probe; then
			log "kafka: a broker not started by this script already answers on $BIND_HOST:$KAFKA_PORT; leaving it alone"
			return 0
		fi
		die "kafka: port $BIND_HOST:$KAFKA_PORT is used by another program; set PARLEY_SERVICES__KAFKA_PORT"
	fi
	port_open "$KAFKA_CONTROLLER_PORT" &&
		die "kafka: controller port $BIND_HOST:$KAFKA_CONTROLLER_PORT is used by another program; set PARLEY_SERVICES__KAFKA_CONTROLLER_PORT"

	java="$(kafka_java)"
	kafka_download
	mkdir -p -- "$KAFKA_INST/data"
	kafka_render_config
	[[ -f "$KAFKA_LOG" ]] && mv -f -- "$KAFKA_LOG" "$KAFKA_LOG.1"
	: >"$KAFKA_LOG"
	if [[ ! -f "$KAFKA_INST/data/meta.properties" ]]; then
		cluster_id="$(kafka_cluster_id)"
		log "kafka: formatting storage in $KAFKA_INST/data (cluster id $cluster_id)"
		"$java" -Xmx256m -cp "$KAFKA_LIBS/*" -Dlog4j2.configurationFile="$LOCAL_DIR/kafka/log4j2.xml" \
			kafka.tools.StorageTool format --cluster-id="$cluster_id" -c "$KAFKA_INST/server.properties" \
			--ignore-formatted >>"$KAFKA_LOG" 2>&1 || {
			tail_log "$KAFKA_LOG"
			die "kafka: formatting the storage failed"
		}
	fi
	log "kafka: starting Kafka $KAFKA_VERSION on $BIND_HOST:$KAFKA_PORT (controller $KAFKA_CONTROLLER_PORT, heap $KAFKA_HEAP)"
	# setsid: the broker must outlive the shell or test session that started it and not get
	# its Ctrl-C. The marker property lets `down` find it even if the pid file is lost.
	nohup setsid "$java" -Xms"$KAFKA_HEAP" -Xmx"$KAFKA_HEAP" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
		-XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
		-Dlog4j2.configurationFile="$LOCAL_DIR/kafka/log4j2.xml" \
		"-Dparley.instance=$KAFKA_INST" \
		-cp "$KAFKA_LIBS/*" kafka.Kafka "$KAFKA_INST/server.properties" \
		>>"$KAFKA_LOG" 2>&1 </dev/null 9>&- &
	pid=$!
	printf '%s\n' "$pid" >"$KAFKA_PIDFILE"
	kafka_wait_ready "$pid" || {
		stop_pids kafka "$pid"
		die "kafka: failed to start (log: $KAFKA_LOG)"
	}
	log "kafka: ready on $BIND_HOST:$KAFKA_PORT (pid $pid, log $KAFKA_LOG)"
	kafka_create_topics "$java"
}

kafka_stop() {
	local -a pids
	mapfile -t pids < <(kafka_running_pids)
	if ((${#pids[@]} == 0)); then
		log "kafka: not running"
		rm -f -- "$KAFKA_PIDFILE"
		return 0
	fi
	stop_pids kafka "${pids[@]}"
	mapfile -t pids < <(marker_pids "$KAFKA_MARKER")
	((${#pids[@]} == 0)) || die "kafka: processes still alive after SIGKILL: ${pids[*]}"
	rm -f -- "$KAFKA_PIDFILE"
	log "kafka: stopped"
}

kafka_up() { with_lock "$DATA_DIR/.kafka.lock" kafka_start; }
kafka_down() { with_lock "$DATA_DIR/.kafka.lock" kafka_stop; }

kafka_status() {
	local pids pid state health rc=0
	pids="$(kafka_running_pids | paste -sd, -)"
	if [[ -n "$pids" ]]; then state=running; else state=stopped; fi
	if kafka_probe; then
		health="reachable"
	else
		health="unreachable"
		rc=1
	fi
	pid="${pids:--}"
	printf '%-14s %-8s pid %-8s %s:%-6s %-12s log %s\n' \
		kafka "$state" "$pid" "$BIND_HOST" "$KAFKA_PORT" "$health" "$KAFKA_LOG"
	return "$rc"
}
