"""``parley extract``: statements and triggers of one article (a table) or of JSONL records.

    parley extract article.txt                 # a table for people
    parley extract https://example.org/news/1  # fetched through the SSRF guard
    cat article.txt | parley extract -
    parley extract --input in.jsonl --output out.jsonl   # machines; '-' = stdin/stdout

The batch mode writes exactly one output line per input line, in order, with the input's id;
empty, non-JSON or invalid lines give a line with an ``error`` field instead of stopping.
Imports are deferred into the command so that ``parley --help`` stays fast.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from pipeline.extract.batch import BatchFileError, run_jsonl

if TYPE_CHECKING:
    from pipeline.extract.model import ExtractionResult

__all__ = ["extract", "fetch_article", "run_jsonl"]

_MAX_FETCH_BYTES = 10_000_000
_FETCH_TIMEOUT_S = 20.0


def extract(
    source: Annotated[
        str | None,
        typer.Argument(help="An article: a text FILE, an http(s) URL, or - for stdin."),
    ] = None,
    input_path: Annotated[
        str | None,
        typer.Option(
            "--input", "-i", help="JSONL records {id, text[, title, language, url]}; - = stdin."
        ),
    ] = None,
    output_path: Annotated[
        str, typer.Option("--output", "-o", help="Where the JSONL results go; - = stdout.")
    ] = "-",
    language: Annotated[
        str | None,
        typer.Option(
            "--language",
            "-l",
            help="Language code (for --input: records without one); detected if omitted.",
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the JSON result of SOURCE instead of a table.")
    ] = False,
    allow_private: Annotated[
        bool,
        typer.Option(
            "--allow-private-network",
            help="Let a URL point at loopback/private addresses (refused by default: SSRF).",
        ),
    ] = False,
) -> None:
    """Extract statements (who said what, in which role) and talks/ceasefire triggers."""
    if input_path is not None:
        if source is not None:
            raise typer.BadParameter("give either SOURCE or --input, not both")
        try:
            count = run_jsonl(input_path, output_path, default_language=language)
        except BatchFileError as exc:
            raise typer.BadParameter(str(exc), param_hint=exc.option) from None
        typer.echo(f"{count} records", err=True)
        return
    if source is None:
        raise typer.BadParameter("give an article (FILE, URL or -) or --input JSONL")
    text, title, page_language = _read_source(source, allow_private)
    from pipeline.extract.record import default_extractor

    result = default_extractor().extract(text, title=title, language=language or page_language)
    if as_json:
        typer.echo(json.dumps({"id": source, **result.to_dict()}, ensure_ascii=False, indent=1))
        return
    _print_table(source, text, result)


def _read_source(source: str, allow_private: bool) -> tuple[str, str | None, str | None]:
    if source == "-":
        return sys.stdin.read(), None, None
    if source.startswith(("http://", "https://")):
        return fetch_article(source, allow_private=allow_private)
    path = Path(source)
    if not path.is_file():
        raise typer.BadParameter(f"no such file: {source}")
    return path.read_text(encoding="utf-8", errors="replace"), None, None


def fetch_article(url: str, *, allow_private: bool = False) -> tuple[str, str | None, str | None]:
    """Fetch a web page through parley's SSRF guard and extract its main text.

    Private, loopback and link-local targets are refused unless allow-listed in the
    configuration (``http.allow_private_networks``) or ``allow_private`` is set; the guard
    checks every address the host resolves to and every redirect hop.
    """
    import httpx

    from ingest.articles import ExtractionError, extract_article
    from parley.config import get_settings
    from parley.netguard import NetGuard, NetGuardError

    settings = get_settings()
    allow = list(settings.http.allow_private_networks)
    if allow_private:
        allow += ["0.0.0.0/0", "::/0"]
    guard = NetGuard(allow)
    try:
        guard.check_url(url)
        with (
            httpx.Client(
                transport=guard.sync_transport(),
                follow_redirects=True,
                timeout=_FETCH_TIMEOUT_S,
                headers={"User-Agent": settings.http.user_agent},
            ) as client,
            client.stream("GET", url) as response,
        ):
            response.raise_for_status()
            body = bytearray()
            for chunk in response.iter_bytes():
                body.extend(chunk)
                if len(body) > _MAX_FETCH_BYTES:
                    raise typer.BadParameter(f"{url}: page larger than {_MAX_FETCH_BYTES} bytes")
            content_type = response.headers.get("content-type")
    except NetGuardError as exc:
        raise typer.BadParameter(f"refused to fetch {url}: {exc}") from exc
    except httpx.HTTPError as exc:
        raise typer.BadParameter(f"could not fetch {url}: {exc}") from exc
    try:
        article = extract_article(bytes(body), url=url, content_type=content_type)
    except ExtractionError as exc:
        raise typer.BadParameter(f"no article text at {url}: {exc}") from exc
    return article.text, article.title, article.language


def _print_table(source: str, text: str, result: ExtractionResult) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    title = f"{source} — language {result.language or '?'}, {len(text)} characters"
    st = Table(title=title, show_lines=True, expand=True)
    st.add_column("#", justify="right", no_wrap=True)
    st.add_column("kind", no_wrap=True)
    st.add_column("speaker", ratio=2)
    st.add_column("official", no_wrap=True)
    st.add_column("cue", ratio=1)
    st.add_column("quote", ratio=5)
    st.add_column("triggers", ratio=2)
    for i, s in enumerate(result.statements, 1):
        sp = s.speaker
        who = _join(
            sp.name,
            sp.role,
            sp.organization,
            sp.country,
        )
        mention = sp.mention.text if sp.mention else "—"
        speaker = f"{who}\n[dim]“{mention}”[/dim]" if who else mention
        official = "yes" if sp.official else ("no" if sp.official is False else "?")
        trig = "\n".join(f"{t.category} ({t.stance})" for t in s.triggers)
        st.add_row(
            str(i),
            s.kind,
            speaker,
            official,
            s.cue.text if s.cue else "",
            _short(s.quote.text, 400),
            trig,
        )
    console.print(st)
    tt = Table(title="triggers", expand=True)
    for col in ("category", "stance", "codes", "text", "offsets"):
        tt.add_column(col)
    for t in result.triggers:
        tt.add_row(t.category, t.stance, " ".join(t.codes), t.text, f"{t.start}-{t.end}")
    console.print(tt)


def _join(*parts: Any) -> str:
    return ", ".join(str(p) for p in parts if p)


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
