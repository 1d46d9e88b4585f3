# shellcheck shell=bash
# Local single-node Elasticsearch from the integ-test-zip on Maven Central.
# Sourced by services.sh after common.sh; defines es_up, es_down, es_status.
#
# Elasticsearch refuses to run as root, so under root it runs as a system user ($ES_USER),
# which owns the node's directories. Its files live in $DATA_DIR/elasticsearch unless that user
# cannot reach the data dir (e.g. a private home or a 0700 temp dir); then they go under the
# user's home and $DATA_DIR/elasticsearch becomes a symlink to them.

ES_DIST="$CACHE_DIR/elasticsearch-$ES_VERSION"
ES_LINK="$DATA_DIR/elasticsearch"
ES_MARKER="-Dparley.instance=$ES_LINK "
ES_USER_HOME="/var/lib/$ES_USER"

es_inst() { readlink -f -- "$ES_LINK" 2>/dev/null || printf '%s\n' "$ES_LINK"; }
es_log() { printf '%s/logs/parley-local.log\n' "$(es_inst)"; }
es_pidfile() { printf '%s/elasticsearch.pid\n' "$(es_inst)"; }

es_as_user() {
	if is_root; then
		runuser -u "$ES_USER" -- "$@"
	else
		"$@"
	fi
}

es_ensure_user() {
	is_root || return 0
	if ! id -u "$ES_USER" >/dev/null 2>&1; then
		log "elasticsearch: creating system user $ES_USER (Elasticsearch refuses to run as root)"
		useradd --system --user-group --home-dir "$ES_USER_HOME" --no-create-home \
			--shell /usr/sbin/nologin "$ES_USER" || die "useradd $ES_USER failed"
	fi
	mkdir -p -- "$ES_USER_HOME"
	chown "$ES_USER:" "$ES_USER_HOME"
	chmod 0750 "$ES_USER_HOME"
}

es_download() {
	[[ -f "$ES_DIST/.complete" ]] && return 0
	require_tool unzip unzip
	local started=$SECONDS dl="$CACHE_DIR/downloads" zip tmp="$ES_DIST.partial"
	log "elasticsearch: fetching the Elasticsearch $ES_VERSION integ-test-zip with Maven (Maven Central) into $CACHE_DIR (first use only)"
	mkdir -p -- "$dl"
	mvn_fetch -f "$LOCAL_DIR/elasticsearch/pom.xml" -Delasticsearch.version="$ES_VERSION" \
		org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies \
		-DoutputDirectory="$dl" -DincludeTypes=zip
	zip="$dl/elasticsearch-$ES_VERSION.zip"
	[[ -f "$zip" ]] || die "elasticsearch: Maven did not produce $zip"
	rm -rf -- "$tmp" "$ES_DIST"
	mkdir -p -- "$tmp"
	unzip -q "$zip" -d "$tmp" || die "elasticsearch: unzip $zip failed"
	# The zip stores config files as 0640; the Elasticsearch user (or another developer sharing
	# the cache) must be able to read the whole distribution.
	chmod -R a+rX "$tmp"
	mv -- "$tmp/elasticsearch-$ES_VERSION" "$ES_DIST"
	rm -rf -- "$tmp" "$zip"
	touch -- "$ES_DIST/.complete"
	log "elasticsearch: downloaded and unpacked in $((SECONDS - started))s"
}

es_java_home() {
	local min=17 max=999 home
	# Elasticsearch 9 needs Java 21+. 8.x needs 17+, and releases before 8.18 rely on the
	# SecurityManager that Java 24 disabled, so 17..23 suits every 8.x (this distribution
	# bundles no JDK).
	if ((${ES_VERSION%%.*} >= 9)); then min=21; else max=23; fi
	home="$(find_java_home "$min" "$max" "${ES_JAVA_HOME:-}")" ||
		die "Elasticsearch $ES_VERSION needs Java $min..$max and none was found (JAVA_HOME, PATH, /usr/lib/jvm); install openjdk-$min-jre-headless or set ES_JAVA_HOME"
	printf '%s\n' "$home"
}

es_http() {
	curl -fsS --max-time "${2:-5}" "http://$BIND_HOST:$ES_PORT$1" 2>/dev/null
}

# Cluster health colour, or nothing when the node does not answer.
es_health() {
	es_http "/_cluster/health" | sed -n 's/.*"status":"\([a-z]*\)".*/\1/p'
}

es_running_pids() {
	local pid
	pid="$(read_pid "$(es_pidfile)")"
	{
		pid_alive "$pid" && printf '%s\n' "$pid"
		marker_pids "$ES_MARKER"
	} | sort -un
}

# Where the node's files go: next to the other services when the Elasticsearch user can reach
# the data dir, otherwise in its home directory.
es_prepare_instance() {
	local inst="$ES_LINK" key
	mkdir -p -- "$DATA_DIR"
	if is_root && ! es_as_user test -x "$DATA_DIR"; then
		key="$(printf '%s' "$DATA_DIR" | cksum | cut -d' ' -f1)"
		inst="$ES_USER_HOME/instances/$key"
		if [[ ! -L "$ES_LINK" ]]; then
			[[ -e "$ES_LINK" ]] && rm -rf -- "$ES_LINK"
			ln -s -- "$inst" "$ES_LINK"
		fi
		log "elasticsearch: $ES_USER cannot traverse $DATA_DIR; node files are in $inst ($ES_LINK links there)"
	fi
	mkdir -p -- "$inst"/{config,data,logs,tmp}
	printf '%s\n' "$inst"
}

# The distribution as a path the Elasticsearch user can read (a copy under its home when the
# cache dir is out of its reach).
es_prepare_dist() {
	local dist="$ES_DIST" copy
	if is_root && ! es_as_user test -x "$ES_DIST/bin/elasticsearch"; then
		copy="$ES_USER_HOME/dist/elasticsearch-$ES_VERSION"
		if [[ ! -f "$copy/.complete" ]]; then
			log "elasticsearch: $ES_USER cannot read $ES_DIST; copying the distribution to $copy"
			rm -rf -- "$copy"
			mkdir -p -- "$(dirname -- "$copy")"
			cp -a -- "$ES_DIST" "$copy"
			chown -R root: "$copy"
			chmod -R a+rX "$copy"
			chmod 0755 "$ES_USER_HOME/dist"
		fi
		dist="$copy"
	fi
	printf '%s\n' "$dist"
}

es_render_config() {
	local dist="$1" inst="$2" conf="$2/config" f
	# The node's own copy of the stock config (jvm.options, log4j2.properties, ...): the
	# keystore and other files Elasticsearch writes at startup then stay out of the cache.
	for f in "$dist"/config/*; do
		[[ -e "$conf/$(basename -- "$f")" ]] || cp -r -- "$f" "$conf/"
	done
	sed -e "s|@DATA@|$inst/data|g" -e "s|@LOGS@|$inst/logs|g" \
		-e "s|@BIND_HOST@|$BIND_HOST|g" -e "s|@HTTP_PORT@|$ES_PORT|g" \
		-e "s|@TRANSPORT_PORT@|$ES_TRANSPORT_PORT|g" \
		"$LOCAL_DIR/elasticsearch/elasticsearch.yml.in" >"$conf/elasticsearch.yml"
	# Only when the module is there: Elasticsearch rejects settings of modules it lacks.
	if [[ -d "$dist/modules/x-pack-security" ]]; then
		printf '# Local, loopback only: no TLS or passwords.\nxpack.security.enabled: false\n' \
			>>"$conf/elasticsearch.yml"
	fi
}

es_wait_ready() {
	local deadline=$((SECONDS + START_TIMEOUT)) status
	while ((SECONDS < deadline)); do
		status="$(es_http "/_cluster/health?wait_for_status=yellow&timeout=5s" 10 |
			sed -n 's/.*"status":"\([a-z]*\)".*/\1/p')"
		[[ "$status" == green || "$status" == yellow ]] && return 0
		if [[ -z "$(es_running_pids)" ]]; then
			log "elasticsearch: the node exited during startup"
			return 1
		fi
		sleep 1
	done
	log "elasticsearch: not healthy on $BIND_HOST:$ES_PORT after ${START_TIMEOUT}s"
	return 1
}

es_fail() {
	local inst
	inst="$(es_inst)"
	tail_log "$inst/logs/startup.log" 20
	tail_log "$(es_log)" 60
	die "elasticsearch: $1"
}

es_start() {
	local pids pid java_home dist inst status
	pids="$(es_running_pids)"
	if [[ -n "$pids" ]]; then
		pid="$(head -n1 <<<"$pids")"
		status="$(es_health)"
		if [[ "$status" == green || "$status" == yellow ]]; then
			log "elasticsearch: already running (pid $pid) on $BIND_HOST:$ES_PORT, health $status, nothing to do"
			return 0
		fi
		log "elasticsearch: process $pid exists but is not healthy yet; waiting"
		es_wait_ready || es_fail "pid $pid is not healthy; run 'services.sh down elasticsearch' and retry"
		log "elasticsearch: ready on $BIND_HOST:$ES_PORT (pid $pid)"
		return 0
	fi
	if port_open "$ES_PORT"; then
		status="$(es_health)"
		if [[ -n "$status" ]]; then
			log "elasticsearch: a node not started by this script already answers on $BIND_HOST:$ES_PORT (health $status); leaving it alone"
			return 0
		fi
		die "elasticsearch: port $BIND_HOST:$ES_PORT is used by another program; set PARLEY_SERVICES__ELASTICSEARCH_PORT"
	fi
	port_open "$ES_TRANSPORT_PORT" &&
		die "elasticsearch: transport port $BIND_HOST:$ES_TRANSPORT_PORT is used by another program; set PARLEY_SERVICES__ELASTICSEARCH_TRANSPORT_PORT"

	require_tool curl curl
	java_home="$(es_java_home)"
	es_download
	es_ensure_user
	inst="$(es_prepare_instance)"
	dist="$(es_prepare_dist)"
	es_render_config "$dist" "$inst"
	[[ -f "$inst/logs/startup.log" ]] && mv -f -- "$inst/logs/startup.log" "$inst/logs/startup.log.1"
	if is_root; then
		chown -R "$ES_USER:" "$inst"
		es_as_user test -w "$inst/data" || die "elasticsearch: $ES_USER cannot write $inst/data"
	fi
	log "elasticsearch: starting Elasticsearch $ES_VERSION on $BIND_HOST:$ES_PORT (transport $ES_TRANSPORT_PORT, heap $ES_HEAP, user $(es_as_user id -un), $java_home)"
	es_launch "$java_home" "$dist" "$inst" || {
		es_stop_pids
		es_fail "failed to start (logs in $inst/logs)"
	}
	es_wait_ready || {
		es_stop_pids
		es_fail "failed to become healthy (logs in $inst/logs)"
	}
	log "elasticsearch: ready on $BIND_HOST:$ES_PORT (pid $(read_pid "$inst/elasticsearch.pid"), health $(es_health), log $(es_log))"
}

es_launch() {
	local java_home="$1" dist="$2" inst="$3"
	# The marker property lets `down` find the node even without its pid file.
	local -a cmd=(env ES_JAVA_HOME="$java_home" ES_PATH_CONF="$inst/config" ES_TMPDIR="$inst/tmp"
		"ES_JAVA_OPTS=-Xms$ES_HEAP -Xmx$ES_HEAP -Dparley.instance=$ES_LINK ${ES_JAVA_OPTS:-}"
		"$dist/bin/elasticsearch" -d -p "$inst/elasticsearch.pid")
	is_root && cmd=(runuser -u "$ES_USER" -- "${cmd[@]}")
	# -d returns once the node has started (or failed); timeout bounds a hung start. The working
	# directory is one the Elasticsearch user can enter, whatever the caller's is.
	(cd -- "$inst" && timeout "$START_TIMEOUT" "${cmd[@]}") >"$inst/logs/startup.log" 2>&1 </dev/null 9>&-
}

es_stop_pids() {
	local -a pids
	mapfile -t pids < <(es_running_pids)
	stop_pids elasticsearch "${pids[@]}"
}

es_stop() {
	local -a pids
	mapfile -t pids < <(es_running_pids)
	if ((${#pids[@]} == 0)); then
		log "elasticsearch: not running"
		return 0
	fi
	stop_pids elasticsearch "${pids[@]}"
	mapfile -t pids < <(marker_pids "$ES_MARKER")
	((${#pids[@]} == 0)) || die "elasticsearch: processes still alive after SIGKILL: ${pids[*]}"
	log "elasticsearch: stopped"
}

es_up() { with_lock "$DATA_DIR/.elasticsearch.lock" es_start; }
es_down() { with_lock "$DATA_DIR/.elasticsearch.lock" es_stop; }

es_status() {
	local pids pid state health rc=0
	pids="$(es_running_pids | paste -sd, -)"
	if [[ -n "$pids" ]]; then state=running; else state=stopped; fi
	health="$(es_health)"
	case "$health" in
	green | yellow) ;;
	"")
		health=unreachable
		rc=1
		;;
	*) rc=1 ;;
	esac
	pid="${pids:--}"
	printf '%-14s %-8s pid %-8s %s:%-6s %-12s log %s\n' \
		elasticsearch "$state" "$pid" "$BIND_HOST" "$ES_PORT" "$health" "$(es_log)"
	return "$rc"
}
