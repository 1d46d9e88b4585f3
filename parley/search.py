"""``parley search``: Lucene query strings over parley's indices, from the terminal.

The query syntax is the one of Kibana's Lucene mode and of subscriptions
(``ceasefire AND speaker.country:RU``, ``triggers.category:(negotiations OR ceasefire)``); bare
words search each index's default fields (quote, title, speaker for statements).  A query is
validated first, so a typo gets Elasticsearch's explanation instead of a stack trace.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any
from urllib.parse import quote

import typer
from elasticsearch import ApiError, Elasticsearch, NotFoundError, TransportError
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from parley.config import ElasticsearchSettings, get_settings
from parley.query_errors import explain_query_error
from parley.redact import redact, redact_data
from parley.safe_text import inline

# Highlight markers that never occur in news text; replaced by rich markup after escaping.
_HL_OPEN, _HL_CLOSE = "\x02", "\x03"
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|min|h|d|w)\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


class IndexKind(StrEnum):
    articles = "articles"
    statements = "statements"
    alerts = "alerts"


HIGHLIGHT_FIELDS: dict[IndexKind, dict[str, dict[str, Any]]] = {
    IndexKind.statements: {"quote.text": {"number_of_fragments": 0}},
    IndexKind.articles: {
        "title": {"number_of_fragments": 0},
        "text": {"fragment_size": 160, "number_of_fragments": 1},
    },
    IndexKind.alerts: {"quote.text": {"number_of_fragments": 0}},
}


class SearchError(Exception):
    """A search that cannot run as asked (invalid query, missing index, unreachable cluster)."""


@dataclass(frozen=True)
class TimeRange:
    gte: str | None = None
    lte: str | None = None

    def is_empty(self) -> bool:
        return self.gte is None and self.lte is None


@dataclass(frozen=True)
class SearchResult:
    index: str
    total: int
    hits: list[dict[str, Any]]


def parse_duration(text: str) -> timedelta:
    """``30m``, ``24h``, ``7d``, ``2w``, ``90s`` → timedelta."""
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"not a duration: {text!r} (examples: 30m, 24h, 7d, 2w)")
    return timedelta(seconds=float(match.group(1)) * _UNIT_SECONDS[match.group(2).lower()])


def time_range(
    since: str | None, start: str | None, end: str | None, *, now: datetime | None = None
) -> TimeRange:
    """``--since`` is relative to now; ``--from``/``--to`` take ISO dates or Elasticsearch date
    math (``now-7d/d``).  ``--since`` and ``--from`` are alternatives."""
    if since is not None and start is not None:
        raise ValueError("use either --since or --from, not both")
    if since is not None:
        moment = (now or datetime.now(UTC)) - parse_duration(since)
        start = moment.isoformat(timespec="seconds")
    return TimeRange(gte=start, lte=end)


def build_query(query: str, window: TimeRange) -> dict[str, Any]:
    clause: dict[str, Any] = {"query_string": {"query": query, "analyze_wildcard": True}}
    if window.is_empty():
        return clause
    bounds = {k: v for k, v in (("gte", window.gte), ("lte", window.lte)) if v is not None}
    return {"bool": {"must": [clause], "filter": [{"range": {"@timestamp": bounds}}]}}


def build_search_body(query: str, kind: IndexKind, window: TimeRange, size: int) -> dict[str, Any]:
    return {
        "query": build_query(query, window),
        "size": size,
        "track_total_hits": True,
        # Newest first: a monitor's reader wants what was just said.
        "sort": [{"@timestamp": {"order": "desc", "unmapped_type": "date"}}, "_score"],
        "highlight": {
            "pre_tags": [_HL_OPEN],
            "post_tags": [_HL_CLOSE],
            "require_field_match": False,
            "fields": HIGHLIGHT_FIELDS[kind],
        },
    }


def validate_query(client: Elasticsearch, index: str, query: dict[str, Any]) -> str | None:
    """None when Elasticsearch accepts the query, otherwise its explanation."""
    response = client.indices.validate_query(index=index, query=query, explain=True)
    if response.get("valid"):
        return None
    errors = [str(e["error"]) for e in response.get("explanations", []) if e.get("error")]
    if response.get("error"):
        errors.append(str(response["error"]))
    return "; ".join(dict.fromkeys(explain_query_error(e) for e in errors)) or "refused"


def run_search(
    client: Elasticsearch,
    es: ElasticsearchSettings,
    query: str,
    *,
    kind: IndexKind = IndexKind.statements,
    window: TimeRange | None = None,
    size: int = 20,
) -> SearchResult:
    index = es.index(kind.value)
    body = build_search_body(query, kind, window or TimeRange(), size)
    try:
        problem = validate_query(client, index, body["query"])
        if problem is not None:
            raise SearchError(f"invalid query {query!r}: {problem}")
        response = client.search(index=index, **body)
    except NotFoundError as exc:
        raise SearchError(f"index {index} does not exist yet; run `parley setup`") from exc
    except ApiError as exc:
        raise SearchError(f"Elasticsearch refused the search: {_api_reason(exc)}") from exc
    except TransportError as exc:
        raise SearchError(f"Elasticsearch is unreachable at {redact(es.hosts)}: {exc}") from exc
    hits = [
        {
            "_id": hit["_id"],
            "_index": hit["_index"],
            **({"highlight": hit["highlight"]} if "highlight" in hit else {}),
            **hit["_source"],
        }
        for hit in response["hits"]["hits"]
    ]
    return SearchResult(index=index, total=int(response["hits"]["total"]["value"]), hits=hits)


def _api_reason(exc: ApiError) -> str:
    info = exc.info if isinstance(exc.info, dict) else {}
    error = info.get("error", {})
    if isinstance(error, dict):
        causes = error.get("root_cause") or [error]
        return "; ".join(str(c.get("reason", c)) for c in causes)
    return str(exc.message)


# -- rendering -----------------------------------------------------------------------------------


def _rich_highlight(text: str) -> str:
    return escape(text).replace(_HL_OPEN, "[bold yellow]").replace(_HL_CLOSE, "[/bold yellow]")


def _shown(text: str | None) -> str:
    """Document text for the terminal: one line, no control characters (an ESC in an article
    would start an escape sequence in the reader's terminal), highlight markers kept."""
    if not text:
        return ""
    # The markers are control characters too: through inline() as private-use stand-ins.
    marked = text.replace(_HL_OPEN, "\ue000").replace(_HL_CLOSE, "\ue001")
    return inline(marked).replace("\ue000", _HL_OPEN).replace("\ue001", _HL_CLOSE)


def _highlighted(hit: dict[str, Any], field: str, fallback: str | None) -> str:
    fragments = hit.get("highlight", {}).get(field)
    if fragments:
        return _rich_highlight(" … ".join(_shown(f) for f in fragments))
    return escape(inline(fallback))


def _get(doc: dict[str, Any], dotted: str) -> Any:
    value: Any = doc
    for part in dotted.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _when(doc: dict[str, Any]) -> str:
    raw = doc.get("@timestamp") or doc.get("published_at") or doc.get("created_at")
    if not raw:
        return ""
    try:
        moment = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    except ValueError:
        return str(raw)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


def _stances(doc: dict[str, Any]) -> str:
    signs = {"positive": "+", "negative": "−", "neutral": "·"}
    seen: dict[str, None] = {}
    for trigger in doc.get("triggers") or []:
        seen[f"{trigger.get('category')}{signs.get(trigger.get('stance'), '')}"] = None
    if not seen:
        seen = dict.fromkeys(doc.get("trigger_categories") or [])
    return ", ".join(seen)


def _official(value: Any) -> str:
    return {True: "official", False: "not official"}.get(value, "")


def _speaker_cell(speaker: dict[str, Any]) -> str:
    name = inline(speaker.get("name") or _get(speaker, "mention.text")) or "?"
    role = inline(" ".join(filter(None, [speaker.get("role"), speaker.get("organization")])))
    facts = inline(
        " · ".join(filter(None, [speaker.get("country"), _official(speaker.get("official"))]))
    )
    lines = [f"[bold]{escape(name)}[/bold]"]
    lines += [escape(x) for x in (role, facts) if x]
    return "\n".join(lines)


def _source_cell(text: str, hit: dict[str, Any]) -> str:
    """The quote (or title) with the outlet and the link below it, in one wide cell, so that a
    narrow terminal wraps prose rather than squeezing a column per field."""
    url = inline(hit.get("url"))
    source = inline(" · ".join(filter(None, [hit.get("outlet"), hit.get("language")])))
    lines = [text]
    if source:
        lines.append(f"[dim]{escape(source)}[/dim]")
    if url:
        # The link target inside the markup tag: percent-encoded, so no space or bracket of a
        # hostile URL can end the tag (rich would refuse the whole table).
        target = quote(url, safe=":/?#&=%@+,;~!$'*")
        lines.append(f"[link={target}]{escape(url)}[/link]")
    return "\n".join(lines)


def _add_columns(table: Table, *columns: tuple[str, dict[str, Any]]) -> None:
    for name, options in columns:
        table.add_column(name, **options)


def render_table(result: SearchResult, kind: IndexKind) -> Table:
    shown = f" (showing {len(result.hits)})" if len(result.hits) < result.total else ""
    table = Table(
        title=f"{result.total} hit{'s' if result.total != 1 else ''} in {result.index}{shown}",
        show_lines=True,
        expand=True,
    )
    if kind == IndexKind.statements:
        _add_columns(
            table,
            ("time (UTC)", {"no_wrap": True}),
            ("speaker", {"ratio": 1, "min_width": 16}),
            ("stance / categories", {"ratio": 1, "min_width": 12}),
            ("quote · outlet · link", {"ratio": 4, "min_width": 30, "overflow": "fold"}),
        )
        for hit in result.hits:
            table.add_row(
                _when(hit),
                _speaker_cell(hit.get("speaker") or {}),
                escape(inline(_stances(hit))),
                _source_cell(_highlighted(hit, "quote.text", _get(hit, "quote.text")), hit),
            )
    elif kind == IndexKind.articles:
        _add_columns(
            table,
            ("time (UTC)", {"no_wrap": True}),
            ("statements", {"justify": "right"}),
            ("categories", {"ratio": 1, "min_width": 12}),
            ("title · excerpt · outlet · link", {"ratio": 4, "min_width": 30, "overflow": "fold"}),
        )
        for hit in result.hits:
            title = _highlighted(hit, "title", hit.get("title"))
            excerpt = _highlighted(hit, "text", (hit.get("summary") or "")[:200])
            table.add_row(
                _when(hit),
                str(hit.get("statement_count", "")),
                escape(inline(", ".join(hit.get("trigger_categories") or []))),
                _source_cell(f"[bold]{title}[/bold]\n{excerpt}" if excerpt else title, hit),
            )
    else:
        _add_columns(
            table,
            ("time (UTC)", {"no_wrap": True}),
            ("subscription · status", {"ratio": 1, "min_width": 14}),
            ("speaker", {"ratio": 1, "min_width": 16}),
            ("quote · outlet · link", {"ratio": 4, "min_width": 30, "overflow": "fold"}),
        )
        for hit in result.hits:
            table.add_row(
                _when(hit),
                escape(f"{inline(hit.get('subscription_name'))}\n{inline(hit.get('status'))}"),
                _speaker_cell(hit.get("speaker") or {}),
                _source_cell(_highlighted(hit, "quote.text", _get(hit, "quote.text")), hit),
            )
    return table


def result_json(result: SearchResult) -> str:
    """The hits with their sources; highlights use ``<em>`` like Elasticsearch's default."""
    hits = []
    for hit in result.hits:
        out = dict(hit)
        if "highlight" in out:
            out["highlight"] = {
                field: [f.replace(_HL_OPEN, "<em>").replace(_HL_CLOSE, "</em>") for f in frags]
                for field, frags in out["highlight"].items()
            }
        hits.append(out)
    return json.dumps(
        {"index": result.index, "total": result.total, "hits": hits}, ensure_ascii=False
    )


# -- command ---------------------------------------------------------------------------------------


def search(
    query: Annotated[
        str,
        typer.Argument(
            help="Lucene query, e.g. 'ceasefire AND speaker.country:RU' or "
            "'triggers.category:negotiations AND speaker.official:true' (default: everything)."
        ),
    ] = "*",
    index: Annotated[
        IndexKind, typer.Option("--index", "-i", help="Which index to search.")
    ] = IndexKind.statements,
    since: Annotated[
        str | None, typer.Option(help="Only documents from the last 30m, 24h, 7d, …")
    ] = None,
    start: Annotated[
        str | None,
        typer.Option("--from", help="From this time: ISO date/time or date math (now-7d/d)."),
    ] = None,
    end: Annotated[
        str | None,
        typer.Option("--to", help="Up to this time: ISO date/time or date math."),
    ] = None,
    size: Annotated[int, typer.Option(min=1, max=10_000, help="Number of hits to show.")] = 20,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the hits as one JSON document.")
    ] = False,
) -> None:
    """Search statements (or articles, alerts) with a Lucene query string, newest first."""
    settings = get_settings()
    err = Console(stderr=True)
    try:
        window = time_range(since, start, end)
    except ValueError as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(2) from None
    client = Elasticsearch(**settings.elasticsearch.client_kwargs())
    try:
        result = run_search(
            client, settings.elasticsearch, query, kind=index, window=window, size=size
        )
    except SearchError as exc:
        err.print(f"[red]error:[/red] {escape(redact(str(exc)))}")
        raise typer.Exit(2) from None
    finally:
        client.close()
    result = SearchResult(result.index, result.total, redact_data(result.hits))
    if as_json:
        sys.stdout.write(result_json(result) + "\n")
        return
    Console().print(render_table(result, index))
