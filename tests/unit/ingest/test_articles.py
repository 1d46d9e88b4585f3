"""Article text extraction (trafilatura), content types and charsets."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from support.feedserver import article_html

from ingest.articles import ExtractionError, decode_body, extract_article


def test_extracts_title_text_author_date_language() -> None:
    article = extract_article(
        article_html("Ministry open to talks"),
        url="https://news.example/a",
        content_type="text/html; charset=utf-8",
    )
    assert article.title == "Ministry open to talks"
    assert "remains open to talks" in article.text
    assert "Copyright" not in article.text and "Home | World" not in article.text
    assert article.author == "Jane Reporter"
    assert (
        article.published is not None
        and article.published.date() == datetime(2024, 3, 5, tzinfo=UTC).date()
    )
    assert article.language == "en"


def test_without_metadata_the_text_is_the_same_and_title_author_date_are_not_read() -> None:
    page = article_html("Ministry open to talks")
    full = extract_article(page, url="https://news.example/a", content_type="text/html")
    bare = extract_article(
        page, url="https://news.example/a", content_type="text/html", with_metadata=False
    )
    assert bare.text == full.text and bare.language == full.language == "en"
    assert (bare.title, bare.author, bare.published) == (None, None, None)
    assert full.author == "Jane Reporter"


def test_http_charset_wins_and_bad_bytes_do_not_crash() -> None:
    page = (
        "<html><body><article><p>"
        + "Пресс-секретарь заявил, что переговоры возможны при определённых условиях. " * 5
        + "</p></article></body></html>"
    )
    article = extract_article(
        page.encode("windows-1251"),
        url="https://ru.example/x",
        content_type="text/html; charset=windows-1251",
    )
    assert "переговоры" in article.text
    assert article.language == "ru"
    broken = article_html("Broken") + b"\xff\xfe\xfa"
    assert (
        "open to talks"
        in extract_article(
            broken, url="https://x.example/", content_type="text/html; charset=utf-8"
        ).text
    )
    assert isinstance(decode_body(b"x", "text/html; charset=no-such-codec"), bytes)


@pytest.mark.parametrize(
    ("body", "content_type", "reason"),
    [
        (b"%PDF-1.7 ...", "application/pdf", "content_type"),
        (b"\x89PNG", "image/png", "content_type"),
        (b"   ", "text/html", "empty"),
        (b"<html><body></body></html>", "text/html", "no_text"),
    ],
)
def test_failures_have_reasons(body: bytes, content_type: str, reason: str) -> None:
    with pytest.raises(ExtractionError) as info:
        extract_article(body, url="https://x.example/", content_type=content_type)
    assert info.value.reason == reason
