"""The extraction contract (DESIGN.md): output shape, record mapping and the JSONL CLI."""

from __future__ import annotations

import gc
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from parley.cli import app
from pipeline.extract import StatementExtractor, extract_record
from pipeline.extract.cli import run_jsonl

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SEED = (FIXTURES / "seed-article.txt").read_text(encoding="utf-8")

STATEMENT_KEYS = {"kind", "quote", "cue", "speaker", "triggers"}
SPEAKER_KEYS = {"mention", "name", "role", "organization", "country", "official"}
TRIGGER_KEYS = {"category", "stance", "text", "start", "end", "codes"}
SPAN_KEYS = {"text", "start", "end"}


def _check_span(span: dict[str, Any], text: str) -> None:
    assert set(span) == SPAN_KEYS
    assert 0 <= span["start"] < span["end"] <= len(text)


def _check_shape(out: dict[str, Any], text: str) -> None:
    assert set(out) == {"id", "statements", "triggers"}
    for st in out["statements"]:
        assert set(st) == STATEMENT_KEYS
        assert st["kind"] in ("direct", "indirect", "mixed")
        _check_span(st["quote"], text)
        _check_span(st["cue"], text)
        assert text[st["cue"]["start"] : st["cue"]["end"]] == st["cue"]["text"]
        assert set(st["speaker"]) == SPEAKER_KEYS
        if st["speaker"]["mention"] is not None:
            m = st["speaker"]["mention"]
            _check_span(m, text)
            assert text[m["start"] : m["end"]] == m["text"]
        for t in st["triggers"]:
            assert t in out["triggers"]
    for t in out["triggers"]:
        assert set(t) == TRIGGER_KEYS
        assert text[t["start"] : t["end"]] == t["text"]
        assert all(c.startswith("CAMEO:") for c in t["codes"])


def test_seed_output_has_exactly_the_contract_shape() -> None:
    out = extract_record({"id": "seed", "text": SEED})
    _check_shape(out, SEED)
    assert len(out["statements"]) >= 11
    json.dumps(out)  # serialisable as is


def test_quote_text_is_the_article_text_for_single_part_quotes() -> None:
    result = StatementExtractor().extract(SEED)
    for st in result.statements:
        if len(st.parts) == 1:
            assert SEED[st.quote.start : st.quote.end] == st.quote.text


def test_split_quote_keeps_both_parts() -> None:
    text = "“We are ready,” the minister said, “but not at any price.”"
    result = StatementExtractor().extract(text, language="en")
    assert len(result.statements) == 1
    st = result.statements[0]
    assert [p.text for p in st.parts] == ["We are ready,", "but not at any price."]
    assert st.quote.text == "We are ready, but not at any price."
    assert (st.quote.start, st.quote.end) == (st.parts[0].start, st.parts[1].end)


def test_multi_paragraph_quote_is_one_statement() -> None:
    text = "“The first paragraph of the speech.\n\n“The second paragraph,” the minister said.\n"
    result = StatementExtractor().extract(text, language="en")
    assert len(result.statements) == 1
    assert "first paragraph" in result.statements[0].quote.text
    assert "second paragraph" in result.statements[0].quote.text


def test_multi_paragraph_quote_has_a_part_for_each_paragraph() -> None:
    text = "“The first paragraph of the speech.\n\n“The second paragraph,” the minister said.\n"
    st = StatementExtractor().extract(text, language="en").statements[0]
    assert [p.text for p in st.parts] == [
        "The first paragraph of the speech.",
        "The second paragraph,",
    ]
    assert (st.quote.start, st.quote.end) == (1, text.index("”"))


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        ("not a dict", "not a JSON object"),
        ({"text": "x"}, "no string 'id'"),
        ({"id": "a"}, "no string 'text'"),
        ({"id": "a", "text": 5}, "no string 'text'"),
    ],
)
def test_bad_records_give_error_lines(record: Any, reason: str) -> None:
    out = extract_record(record)
    assert reason in out["error"]
    assert out["statements"] == [] and out["triggers"] == []


def test_error_line_keeps_the_id_when_there_is_one() -> None:
    assert extract_record({"id": "a1", "text": None})["id"] == "a1"


def test_extractor_crash_becomes_an_error_line(monkeypatch: pytest.MonkeyPatch) -> None:
    class Boom(StatementExtractor):
        def extract(self, text: str, **_: Any) -> Any:
            raise RuntimeError("boom")

    out = extract_record({"id": "a", "text": "x"}, Boom(gazetteer=None))
    assert out["id"] == "a" and "RuntimeError: boom" in out["error"]


def _run_bytes(data: bytes, tmp_path: Path) -> list[dict[str, Any]]:
    src = tmp_path / "in.jsonl"
    dst = tmp_path / "out.jsonl"
    src.write_bytes(data)
    run_jsonl(str(src), str(dst))
    return [json.loads(line) for line in dst.read_text(encoding="utf-8").splitlines()]


def test_jsonl_one_line_per_input_line_in_order(tmp_path: Path) -> None:
    lines = [
        json.dumps({"id": "seed", "text": SEED}).encode(),
        b"",
        b"{broken json",
        b"\xff\xfe\x00binary junk",
        json.dumps({"id": "empty", "text": ""}).encode(),
        json.dumps({"id": "no-text"}).encode(),
        json.dumps([1, 2]).encode(),
        b'{"id": "deep", "text": "x", "tags": ' + b"[" * 1000 + b"]" * 1000 + b"}",
        json.dumps({"id": "ru", "text": "«Мы готовы к переговорам», — заявил Песков."}).encode(),
    ]
    out = _run_bytes(b"\n".join(lines) + b"\n", tmp_path)
    assert len(out) == len(lines)
    ids = ["seed", None, None, None, "empty", "no-text", None, None, "ru"]
    assert [o["id"] for o in out] == ids
    assert "error" not in out[0] and len(out[0]["statements"]) >= 11
    assert out[1]["error"] == "empty input line"
    assert out[2]["error"].startswith("invalid JSON")
    assert out[3]["error"].startswith("invalid JSON")
    assert "error" not in out[4] and out[4]["statements"] == []
    assert "no string 'text'" in out[5]["error"]
    assert "not a JSON object" in out[6]["error"]
    assert out[7]["error"] == "invalid JSON: nested too deeply to parse"
    assert "error" not in out[8] and out[8]["statements"]  # the lines after it go on


def test_cli_batch_mode_through_parley(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "seed", "text": SEED}) + "\n", encoding="utf-8")
    dst = tmp_path / "out.jsonl"
    result = CliRunner().invoke(app, ["extract", "--input", str(src), "--output", str(dst)])
    assert result.exit_code == 0, result.output
    out = [json.loads(x) for x in dst.read_text(encoding="utf-8").splitlines()]
    assert len(out) == 1 and out[0]["id"] == "seed"
    _check_shape(out[0], SEED)


def test_cli_unreadable_input_or_unwritable_output_is_a_usage_error(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "x", "text": "He said so."}) + "\n", encoding="utf-8")
    missing = CliRunner().invoke(app, ["extract", "--input", str(tmp_path / "nope.jsonl")])
    assert missing.exit_code == 2 and "cannot read" in missing.output
    assert "Traceback" not in missing.output
    dst = tmp_path / "no-such-dir" / "out.jsonl"
    unwritable = CliRunner().invoke(app, ["extract", "--input", str(src), "--output", str(dst)])
    assert unwritable.exit_code == 2 and "cannot write" in unwritable.output


def test_cli_stdin_to_stdout() -> None:
    line = json.dumps({"id": "x", "text": "“Talks are over,” the minister said."})
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline.extract", "--input", "-", "--output", "-"],
        input=line + "\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    out = [json.loads(x) for x in proc.stdout.splitlines()]
    assert len(out) == 1 and out[0]["id"] == "x"
    assert out[0]["statements"][0]["quote"]["text"] == "Talks are over,"


def _console_script(args: list[str], stdin: str) -> subprocess.CompletedProcess[str]:
    """``parley ARGS`` through the console script's entry point, reporting on stderr which
    of the heavier modules it loaded."""
    # (A batch run ends with os._exit, past the ``finally``: the report runs before it.)
    script = (
        "import os, sys\n"
        "def report():\n"
        "    heavy = ('typer', 'pydantic', 'parley.config', 'parley.logs')\n"
        "    print('LOADED', [m for m in heavy if m in sys.modules], file=sys.stderr)\n"
        "exit_now = os._exit\n"
        "def report_and_exit(status):\n"
        "    report()\n"
        "    sys.stderr.flush()\n"
        "    exit_now(status)\n"
        "os._exit = report_and_exit\n"
        "from parley.entry import main\n"
        "try:\n"
        "    main()\n"
        "finally:\n"
        "    report()\n"
    )
    return subprocess.run(
        [sys.executable, "-c", script, *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_parley_extract_batch_starts_without_the_command_line_machinery() -> None:
    """A batch run loads neither typer nor the configuration model nor pydantic (the
    gazetteer comes from its cache), and writes the same contract lines."""
    line = json.dumps({"id": "x", "text": "“Talks are over,” the minister said."})
    proc = _console_script(["extract", "--input", "-", "--output", "-"], line + "\n")
    assert proc.returncode == 0, proc.stderr
    out = [json.loads(x) for x in proc.stdout.splitlines()]
    assert [o["id"] for o in out] == ["x"]
    assert out[0]["statements"][0]["cue"]["text"] == "said"
    assert "1 records" in proc.stderr
    assert "LOADED []" in proc.stderr


@pytest.mark.parametrize("exit_function", [False, True])
def test_a_batch_process_ends_with_its_output_flushed_and_its_status(
    exit_function: bool,
) -> None:
    """``exit_process`` skips the interpreter's teardown, not the output still buffered; an
    exit function someone registered still runs (then the process exits as usual)."""
    script = (
        "import atexit, sys\n"
        "from pipeline.extract.batch import exit_process\n"
        + ("atexit.register(print, 'exit function ran')\n" if exit_function else "")
        + "sys.stdout.write('buffered output')\n"
        "print('buffered error', end='', file=sys.stderr)\n"
        "exit_process(3)\n"
        "print('not reached')\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 3
    assert proc.stdout == "buffered output" + ("exit function ran\n" if exit_function else "")
    assert proc.stderr == "buffered error"


@pytest.mark.parametrize(
    ("args", "status", "shown"),
    [
        (["extract", "--help"], 0, "Usage: parley extract"),
        (["extract", "--input", "-", "--json"], 0, "invalid JSON"),
        (["extract", "--input", "/no/such/file.jsonl"], 2, "cannot read"),
        (["extract", "--input"], 2, "requires an argument"),
        (["extract", "-"], 0, "language en"),  # the table for people
    ],
)
def test_anything_but_a_plain_batch_run_gets_the_full_command(
    args: list[str], status: int, shown: str
) -> None:
    proc = _console_script(args, "He said talks were over.\n")
    assert proc.returncode == status
    assert shown in proc.stdout + proc.stderr
    assert "'typer'" in proc.stderr.splitlines()[-1]


def test_cli_table_for_a_file(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text(SEED, encoding="utf-8")
    result = CliRunner().invoke(app, ["extract", str(path)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "Dmitry Peskov" in result.output
    assert "negotiations" in result.output


def test_cli_refuses_a_loopback_url() -> None:
    result = CliRunner().invoke(app, ["extract", "http://127.0.0.1:9/article"])
    assert result.exit_code != 0
    assert "refused" in result.output


def test_run_jsonl_reads_stdin_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    data = (json.dumps({"id": "a", "text": "Nothing here."}) + "\n").encode()

    class FakeStdin:
        buffer = io.BytesIO(data)

    out = io.StringIO()
    monkeypatch.setattr(sys, "stdin", FakeStdin)
    monkeypatch.setattr(sys, "stdout", out)
    assert run_jsonl("-", "-") == 1
    assert json.loads(out.getvalue())["id"] == "a"


def test_batch_lines_are_the_contract_dicts(tmp_path: Path) -> None:
    """The batch writer encodes the result dataclasses themselves (``to_encodable``): the
    lines must be exactly the contract dicts, key order included."""
    record = {"id": "seed", "text": SEED}
    src = tmp_path / "in.jsonl"
    dst = tmp_path / "out.jsonl"
    src.write_text(json.dumps(record) + "\n", encoding="utf-8")
    run_jsonl(str(src), str(dst))
    line = dst.read_text(encoding="utf-8").strip()
    assert line == json.dumps(extract_record(record), ensure_ascii=False, separators=(",", ":"))


def test_a_batch_and_the_package_import_leave_the_collector_on_or_off_as_they_found_it(
    tmp_path: Path,
) -> None:
    """Both turn the collector off while the extractor's long-lived objects are made: it must
    be on again after them (and stay off for a caller that had turned it off)."""
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "a", "text": "Peskov said talks would go on."}) + "\n")
    assert gc.isenabled()
    assert run_jsonl(str(src), str(tmp_path / "out.jsonl")) == 1
    assert gc.isenabled()
    gc.disable()
    try:
        assert run_jsonl(str(src), str(tmp_path / "out2.jsonl")) == 1
        assert not gc.isenabled()
    finally:
        gc.enable()
    probe = "import gc, pipeline.extract; assert gc.isenabled()"
    subprocess.run([sys.executable, "-c", probe], check=True)


def test_the_collector_settings_of_a_batch_are_restored_even_when_it_fails() -> None:
    from pipeline.extract.batch import _GC_THRESHOLD, extraction_collections

    before = gc.get_threshold()
    frozen = gc.get_freeze_count()
    with pytest.raises(RuntimeError), extraction_collections():
        assert gc.get_threshold()[0] >= _GC_THRESHOLD
        assert gc.get_freeze_count() >= frozen
        raise RuntimeError("a record broke the loop")
    assert gc.get_threshold() == before
    if not frozen:
        assert gc.get_freeze_count() == 0
