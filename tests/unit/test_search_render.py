"""`parley search` shows article text on a terminal: nothing in a document can reach the
terminal as a control sequence or break a line."""

from __future__ import annotations

from rich.console import Console

from parley.search import _HL_CLOSE, _HL_OPEN, IndexKind, SearchResult, render_table

HOSTILE = "open\x1b[2J to\x1b]0;pwned\x07 talks\u2028now\x85\u202eend"


def test_control_sequences_in_documents_do_not_reach_the_terminal() -> None:
    hit = {
        "_id": "s1",
        "_index": "parley-statements",
        "quote": {"text": HOSTILE},
        "speaker": {"name": "Pes\x1b[31mkov", "role": "spokes\nman"},
        "url": "https://example.org/\x1b[8m",
        "outlet": "out\x00let",
        "highlight": {"quote.text": [f"open\x1b[2J to {_HL_OPEN}talks{_HL_CLOSE}\u2028now"]},
        "triggers": [{"category": "negotiations\x1b[0m", "stance": "positive"}],
    }
    console = Console(record=True, width=200, force_terminal=True, color_system="truecolor")
    console.print(render_table(SearchResult("parley-statements", 1, [hit]), IndexKind.statements))
    text = console.export_text(styles=False)
    for bad in ("\x1b", "\x07", "\x00", "\u2028", "\x85", "\u202e"):
        assert bad not in text, repr(bad)
    assert "open [2J to talks now" in text  # shown, defused, highlight kept as styling
    assert "Pes [31mkov" in text
