#!/usr/bin/env bash
# Install parley's Kibana assets into a running Kibana (idempotent):
#   1. saved objects (data views, saved searches, Lens visualisations, dashboard)
#   2. connectors (.index, .server-log), then 3. the Elasticsearch-query rules.
#
#   KIBANA_URL=https://kibana.example.org:5601 KIBANA_API_KEY=... bash deploy/kibana/install.sh
#
# Credentials come from the environment only: KIBANA_API_KEY (an Elasticsearch API key, encoded)
# or KIBANA_USERNAME + KIBANA_PASSWORD.  Rules and connectors need Elasticsearch security enabled
# (rules run with an API key) and xpack.encryptedSavedObjects.encryptionKey set in Kibana;
# with SKIP_RULES=1 only the saved objects are imported.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
KIBANA_URL="${KIBANA_URL:-http://localhost:5601}"
KIBANA_URL="${KIBANA_URL%/}"
if [[ -n "${KIBANA_SPACE:-}" ]]; then
	KIBANA_URL="$KIBANA_URL/s/$KIBANA_SPACE"
fi

auth=()
if [[ -n "${KIBANA_API_KEY:-}" ]]; then
	auth=(-H "Authorization: ApiKey $KIBANA_API_KEY")
elif [[ -n "${KIBANA_USERNAME:-}" ]]; then
	# A private curl config file keeps the password out of `ps` output.
	curlrc="$(umask 077 && mktemp)"
	trap 'rm -f "$curlrc"' EXIT
	printf 'user = "%s:%s"\n' "$KIBANA_USERNAME" "${KIBANA_PASSWORD:?set KIBANA_PASSWORD}" >"$curlrc"
	auth=(--config "$curlrc")
fi

kibana() { # METHOD PATH [curl args...] -> prints body, returns 0 on 2xx, 9 on 409
	local method="$1" path="$2"
	shift 2
	local out code
	out="$(mktemp)"
	code="$(curl -sS -o "$out" -w '%{http_code}' -X "$method" "${auth[@]}" \
		-H 'kbn-xsrf: true' "$KIBANA_URL$path" "$@")"
	cat "$out"
	echo
	rm -f "$out"
	case "$code" in
	2??) return 0 ;;
	409) return 9 ;;
	*)
		echo "install: $method $path -> HTTP $code" >&2
		return 1
		;;
	esac
}

# Print "id<TAB>body" per entry (body as one-line JSON), so no jq is needed.
entries() { # FILE...
	python3 - "$@" <<'PY'
import json, sys
for path in sys.argv[1:]:
    data = json.load(open(path, encoding="utf-8"))
    for entry in data.get("connectors", [data]):
        print(entry["id"], json.dumps(entry["body"], separators=(",", ":")), sep="\t")
PY
}

echo "install: importing saved objects into $KIBANA_URL"
kibana POST '/api/saved_objects/_import?overwrite=true' \
	--form "file=@$HERE/saved_objects.ndjson" | grep -q '"success":true' ||
	{
		echo "install: saved-object import failed" >&2
		exit 1
	}

if [[ "${SKIP_RULES:-0}" == 1 ]]; then
	exit 0
fi

post_all() { # KIND API_PATH FILE...
	local kind="$1" api="$2" id body rc
	shift 2
	while IFS=$'\t' read -r id body; do
		rc=0
		kibana POST "$api/$id" -H 'Content-Type: application/json' \
			--data-binary "$body" >/dev/null || rc=$?
		case "$rc" in
		0) echo "install: $kind $id created" ;;
		9) echo "install: $kind $id exists (delete it in Kibana to replace it)" ;;
		*) exit 1 ;;
		esac
	done < <(entries "$@")
}

post_all connector /api/actions/connector "$HERE/connectors.json"
post_all rule /api/alerting/rule "$HERE"/rules/*.json
