"""Drop the entries a poller has already produced from a feed document before feedparser sees it.

A busy feed lists 50-200 items and changes at every poll, so every poll would hand feedparser
the whole document again, although only the few newest items are new.  feedparser is thorough
and slow (about 0.35 ms per item: a 200-item RSS feed costs ~70 ms of CPU, more than fetching
and extracting the one new article it announces), while lxml reads the same document in about
2 ms.  So a strict lxml parse picks out each item's link, the items whose article id is already
in the seen store are removed, and feedparser parses what remains.

Only removals that cannot change the result are made: an item is dropped only when its link is
unambiguous (exactly one link element with an absolute http(s) URL, no ``xml:base`` in play)
and its article id is seen — exactly the items the poller would skip after a full parse.  Any
doubt (not well-formed XML, RSS 1.0, relative links, several links, no link) keeps the item or
the whole document as it is.  The publication dates of dropped items are returned, because the
adaptive poll interval learns from every item's date, not only from new ones.
"""

from __future__ import annotations

import functools
import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from lxml import etree

from ingest.ids import InvalidUrlError, article_id
from ingest.lxml_lock import LXML_LOCK
from ingest.parse import http_url

ATOM = "{http://www.w3.org/2005/Atom}"
DC = "{http://purl.org/dc/elements/1.1/}"
DCTERMS = "{http://purl.org/dc/terms/}"
XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
_PLAIN_URL = re.compile(r"https?://[\x21-\x7e]+", re.IGNORECASE)  # printable ASCII, no spaces
MIN_ITEMS = 8  # below this, feedparser is fast enough and trimming is not worth a second parse

_PARSERS = threading.local()


def _parser() -> etree.XMLParser:
    # One parser per thread: scans run in worker threads, and an lxml parser object must not
    # be used by two threads at once.
    parser: etree.XMLParser | None = getattr(_PARSERS, "parser", None)
    if parser is None:
        parser = etree.XMLParser(
            resolve_entities=False, no_network=True, huge_tree=False, remove_comments=False
        )
        _PARSERS.parser = parser
    return parser


@dataclass
class TrimmedFeed:
    body: bytes  # the document to parse (the original when nothing was dropped)
    dropped: int = 0
    dropped_dates: list[float] = field(default_factory=list)  # epoch seconds


def _stripped(url: str | None) -> str | None:
    return (url or "").strip() or None


def _rss_link(item: etree._Element) -> str | None:
    links = [c for c in item if isinstance(c.tag, str) and etree.QName(c).localname == "link"]
    if len(links) != 1 or links[0].tag != "link":
        return None  # none, several, or an atom:link that feedparser may prefer
    return _stripped(links[0].text)


def _atom_link(entry: etree._Element) -> str | None:
    links = [c for c in entry if isinstance(c.tag, str) and etree.QName(c).localname == "link"]
    if len(links) != 1 or links[0].tag != f"{ATOM}link":
        return None
    if links[0].get("rel", "alternate") != "alternate":
        return None
    return _stripped(links[0].get("href"))


# The order in which ingest.parse picks an entry's date, as feedparser files the elements:
# published, else updated, else created.
DATE_ELEMENTS = (
    ("pubDate", f"{DCTERMS}issued", f"{ATOM}published", f"{ATOM}issued"),
    (f"{DC}date", f"{DCTERMS}modified", f"{ATOM}updated", f"{ATOM}modified"),
    (f"{DCTERMS}created", f"{ATOM}created"),
)


def _parse_date(text: str) -> float | None:
    when: datetime | None = None
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (ValueError, TypeError, IndexError):
            return None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()


def _date(element: etree._Element) -> float | None:
    for names in DATE_ELEMENTS:
        for name in names:
            child = element.find(name)
            text = (child.text or "").strip() if child is not None else ""
            if text:
                when = _parse_date(text)
                if when is not None:
                    return when
    return None


@dataclass
class FeedScan:
    """The items of a well-formed RSS 2.0 or Atom document whose article ids are certain."""

    body: bytes
    tree: etree._ElementTree | None = None
    items: list[tuple[etree._Element, str | None]] = field(default_factory=list)

    @property
    def ids(self) -> list[str]:
        return list(dict.fromkeys(aid for _e, aid in self.items if aid is not None))

    def without(self, known: set[str]) -> TrimmedFeed:
        """The document minus the items whose id is in ``known``; call it from the thread that
        scanned the document (an lxml tree is changed only by the thread that parsed it).  The
        tree is used once, and dropped here, under the lxml lock."""
        with LXML_LOCK:
            try:
                return self._without(known)
            finally:
                self.tree, self.items = None, []

    def _without(self, known: set[str]) -> TrimmedFeed:
        if self.tree is None or not known:
            return TrimmedFeed(self.body)
        trimmed = TrimmedFeed(self.body)
        for element, aid in self.items:
            if aid is None or aid not in known:
                continue
            when = _date(element)
            if when is not None:
                trimmed.dropped_dates.append(when)
            parent = element.getparent()
            assert parent is not None
            previous = element.getprevious()
            if element.tail:  # keep the layout of what remains
                if previous is not None:
                    previous.tail = (previous.tail or "") + element.tail
                else:
                    parent.text = (parent.text or "") + element.tail
            parent.remove(element)
            trimmed.dropped += 1
        if trimmed.dropped:
            trimmed.body = etree.tostring(self.tree, xml_declaration=True, encoding="utf-8")
        return trimmed


def _item_id(element: etree._Element, link: str | None, feed_url: str) -> str | None:
    if link is None or XML_BASE in element.attrib or not _PLAIN_URL.fullmatch(link):
        return None
    return _link_id(link, feed_url)


@functools.lru_cache(maxsize=65_536)
def _link_id(link: str, feed_url: str) -> str | None:
    # Cached: a feed lists the same links poll after poll, and resolving and normalising a
    # URL costs more than reading its item.  The same resolution as the full parse
    # (ingest.parse), so the id is the same one.
    absolute = http_url(link, feed_url)
    if absolute is None:
        return None
    try:
        return article_id(absolute)
    except InvalidUrlError:
        return None


def scan_feed(body: bytes, feed_url: str, *, min_items: int = MIN_ITEMS) -> FeedScan:
    """Parse ``body`` strictly and find each item's article id (call from a worker thread;
    the returned scan keeps the tree for ``without``, which drops it)."""
    with LXML_LOCK:
        return _scan_feed(body, feed_url, min_items)


def _scan_feed(body: bytes, feed_url: str, min_items: int) -> FeedScan:
    scan = FeedScan(body)
    try:
        root = etree.fromstring(body, _parser())
    except (etree.XMLSyntaxError, ValueError):
        return scan
    if root is None or root.getroottree().docinfo.internalDTD is not None:
        return scan  # entities declared in the document: leave it all to feedparser
    if root.tag == "rss":
        channel = root.find("channel")
        if channel is None or XML_BASE in root.attrib or XML_BASE in channel.attrib:
            return scan
        items = [(i, _rss_link(i)) for i in channel.findall("item")]
    elif root.tag == f"{ATOM}feed":
        if XML_BASE in root.attrib:
            return scan
        items = [(e, _atom_link(e)) for e in root.findall(f"{ATOM}entry")]
    else:
        return scan
    if len(items) < min_items:
        return scan
    scan.tree = root.getroottree()
    scan.items = [(e, _item_id(e, link, feed_url)) for e, link in items]
    return scan
