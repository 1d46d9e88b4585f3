"""The hostile-input run: every input the issue found stopping a worker, and a fuzzed batch
(hypothesis, fixed seed) of records, subscriptions and article texts, against the whole alerting
path on the real Kafka and Elasticsearch — the pipeline and the dispatcher running in this
process, the API under uvicorn, an SMTP server and a webhook receiver on 127.0.0.1.

It ends with every worker still running, every poison input in the dead-letter topic with a
reason, every refused subscription answered with a 4xx, and every good article indexed and
alerted (webhook and e-mail, with a one-line subject).  Set ``PARLEY_FAULTS_REPORT=FILE`` to
append its row of the README's fault table (``python -m benchmarks.fault_table FILE``).
"""

from __future__ import annotations

import json
import os
import re
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import Elasticsearch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from support.alerting import Mailbox, WebhookReceiver, wait_until
from support.hostile import DESK_TOKEN, DispatcherThread, RunningApi, bearer
from support.pipeline_env import StreamingPipeline

from benchmarks.harness.machine import commit, load_average, machine
from benchmarks.harness.newsroom import STATEMENT_MARKER, statement_for, statement_marker
from ingest.ids import article_id
from parley.config import Settings
from parley.netguard import NetGuard
from pipeline.beam.transforms import ImportedHookFactory
from sinks.alerts.config import alerts_settings
from sinks.alerts.models import Alert, EmailChannel, Span, Subscription
from sinks.alerts.store import SubscriptionStore

pytestmark = [pytest.mark.slow]

# Line and paragraph separators, controls and a bidi override inside a quote (the issue's
# U+2028, U+0085, VT, FF and FS first); each article keeps it in the statement it alerts on.
QUOTE_CHARS = ["\u2028", "\x85", "\x0b", "\x0c", "\x1c", "\u2029", "\x1d", "\x1e", "\x1f"]
QUOTE_CHARS += ["\x00", "\x07", "\x1b", "\x7f", "\x9b", "\u202e", "\u2066", "\ud800"]
LEGACY_NAMES = ["hi\r\nBcc: evil@example.org", "x\u2028y\x85z\x0b\x0c\x1cend"]
FUZZ = settings(
    max_examples=40,
    derandomize=True,  # a fixed seed: the same batch on every run
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
TIMEOUT_S = 240


def good_article(serial: int, char: str, *, extra: str = "", title: str | None = None) -> bytes:
    """An article whose official statement about talks (unique marker) keeps ``char`` inside
    its quote; ``extra`` is an untrusted paragraph after it."""
    statement = statement_for(serial)
    statement = statement.replace(" ahead of", f"{char}ahead of").replace(
        " before meeting", f"{char}before meeting"
    )
    url = f"https://hostile.example/{serial}"
    # Written by hand, not through ArticleRecord: a lone surrogate is only possible as a JSON
    # escape from another producer, which is what this stands for.
    record = {
        "schema": "parley.article.v1",
        "id": article_id(url),
        "url": url,
        "title": title if title is not None else f"Talks {serial}",
        "text": f"Officials spoke on Monday.\n\n{statement}\n\n{extra}".strip(),
        "language": "en",
        "outlet": "hostile.example",
        "published_at": datetime.now(UTC).isoformat(),
    }
    return json.dumps(record).encode()


def nested(depth: int, serial: int) -> bytes:
    url = f"https://hostile.example/nested-{serial}"
    head = json.dumps({"id": article_id(url), "url": url, "text": "x"})[:-1]
    return f'{head}, "tags": {"[" * depth}{"]" * depth}}}'.encode()


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=25,
)
ARTICLE_LIKE = st.fixed_dictionaries(
    {
        "id": st.one_of(st.text(max_size=20), st.integers(), st.none()),
        "url": st.one_of(st.text(max_size=30), st.none()),
        "text": st.one_of(st.text(max_size=200), st.integers(), JSON_VALUES),
    },
    optional={
        "tags": JSON_VALUES,
        "published_at": st.one_of(st.text(max_size=30), st.integers()),
        "language": st.text(max_size=5),
        "text_source": st.text(max_size=10),
    },
)
RAW_RECORDS = st.one_of(
    st.binary(max_size=300),
    JSON_VALUES.map(lambda v: json.dumps(v).encode()),
    ARTICLE_LIKE.map(lambda v: json.dumps(v).encode()),
)
# Untrusted paragraphs and titles: any text (quote marks left out, so that the paragraph cannot
# swallow the statement's own quote; extraction quality is not what this run tests).
PARAGRAPHS = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\"“”«»„‘’'`"),
    max_size=300,
)
LUCENE_ISH = st.text(alphabet=st.sampled_from(list('ab *?/:()[]{}"~^\\-+!&|ORAND\u2028\x00')))


def produce(settings_: Settings, topic: str, values: list[bytes], partition: int = 0) -> list[int]:
    producer = KafkaProducer(
        **settings_.kafka.client_kwargs(), acks="all", max_request_size=2 * 1024 * 1024
    )
    try:
        futures = [producer.send(topic, value=v, partition=partition) for v in values]
        producer.flush()
        return [f.get(30).offset for f in futures]
    finally:
        producer.close(5)


def topic_records(settings_: Settings, topic: str) -> list[Any]:
    consumer = KafkaConsumer(**settings_.kafka.client_kwargs(), enable_auto_commit=False)
    try:
        tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        ends = consumer.end_offsets(tps)
        records: list[Any] = []
        while any(consumer.position(tp) < ends[tp] for tp in tps):
            for batch in consumer.poll(timeout_ms=500).values():
                records.extend(batch)
        return records
    finally:
        consumer.close()


def mails(mailbox: Mailbox) -> list[tuple[list[str], EmailMessage, bytes]]:
    with mailbox.cond:
        envelopes = list(mailbox.messages)
    out = []
    for envelope in envelopes:
        raw = envelope.original_content or b""
        message = message_from_bytes(raw, policy=default_policy)
        assert isinstance(message, EmailMessage)
        out.append((list(envelope.rcpt_tos), message, raw))
    return out


def test_hostile_inputs_end_to_end(
    hostile_settings: Settings,
    api: RunningApi,
    mailbox: tuple[Mailbox, int],
    webhook: WebhookReceiver,
    es_client: Elasticsearch,
    spec_for: Callable[..., dict[str, Any]],
) -> None:
    box, _ = mailbox
    s = hostile_settings
    started = time.time()
    refused: list[tuple[str, int]] = []  # (what, status) of every input the API refused

    # -- subscriptions: one that every good article must reach, hostile ones, a fuzzed batch --
    main = api.client.post(
        "/v1/subscriptions",
        headers=bearer(DESK_TOKEN),
        json=spec_for(
            name="officials on talks",
            query="triggers.category:negotiations AND speaker.official:true",
            channels=[
                {"type": "webhook", "url": webhook.url("/main")},
                {"type": "email", "to": ["desk@example.org"]},
            ],
        ),
    )
    assert main.status_code == 201, main.text
    main_id = main.json()["subscription_id"]
    hostile_specs = [
        spec_for(name=LEGACY_NAMES[0]),
        spec_for(name="a\u2028b\x85c"),
        spec_for(query="quote.text:/.*a.*b.*c.*/"),
        spec_for(query="*a*b*c*d*e*"),
        spec_for(query="speaker.name:(Putin AND"),
        spec_for(channels=[{"type": "email", "to": ["a\x00b@example.org"]}]),
        spec_for(channels=[{"type": "webhook", "url": "http://169.254.169.254/latest"}]),
        spec_for(name="big", query="talks OR " + "x" * 20_000_000),
    ]
    for spec in hostile_specs:
        response = api.client.post("/v1/subscriptions", headers=bearer(DESK_TOKEN), json=spec)
        assert 400 <= response.status_code < 500, (spec["name"][:40], response.text[:300])
        refused.append((f"subscription {spec['name'][:20]!r}", response.status_code))
    for path in ("/v1/subscriptions/" + "a" * 5000, "/v1/subscriptions/x%20y"):
        response = api.client.get(path, headers=bearer(DESK_TOKEN))
        assert response.status_code == 404
        refused.append((path[:30], 404))

    fuzzed_subscriptions: Counter[int] = Counter()

    @FUZZ
    @given(
        name=st.text(min_size=1, max_size=200),
        query=st.one_of(st.none(), LUCENE_ISH),
        speakers=st.lists(st.text(max_size=30), max_size=3),
    )
    def subscribe(name: str, query: str | None, speakers: list[str]) -> None:
        spec = spec_for(
            name=name,
            query=query,
            filters={"speakers": speakers, "categories": ["ceasefire"]},
            channels=[{"type": "webhook", "url": webhook.url("/fuzz")}],
        )
        response = api.client.post("/v1/subscriptions", headers=bearer(DESK_TOKEN), json=spec)
        assert response.status_code in (201, 422), (spec, response.status_code, response.text)
        fuzzed_subscriptions[response.status_code] += 1
        if response.status_code == 422:
            refused.append(("fuzzed subscription", 422))

    subscribe()

    # Stored before these checks existed (or by another tool): hostile names in e-mail headers.
    store = SubscriptionStore(
        es_client, s.elasticsearch, alerts_settings(s), NetGuard.from_settings(s.http)
    )
    for name in LEGACY_NAMES:
        store.put(
            Subscription(
                name=name,
                filters={"categories": ["negotiations"], "officials_only": True},
                channels=[EmailChannel(to=["legacy@example.org"])],
                owner="legacy",
            ),
            validate=False,
        )

    # -- the workers ---------------------------------------------------------------------------
    pipeline = StreamingPipeline(
        s,
        hook_factories=[
            ImportedHookFactory("sinks.alerts.hook:alert_hook", drop_alerts_keys=("enabled",))
        ],
    )
    dispatcher = DispatcherThread(s).start()
    try:
        # -- the article stream: each poison record is followed by a good article ----------------
        poison: list[bytes] = [
            nested(5000, 1),  # the record: 5,000 nested lists in tags
            nested(1000, 2),
            b"{this is not json",
            b"",
            b"[1, 2, 3]",
            b"null",
            json.dumps({"url": "https://hostile.example/no-id", "text": "t"}).encode(),
            json.dumps({"id": "abcdefgh12", "url": "u", "text": 5}).encode(),
            b"\xff\xfe\xfd binary",
        ]
        good: list[tuple[int, bytes]] = []  # (serial, record)
        stream: list[bytes] = []
        serial = 0
        for i, bad in enumerate(poison):
            stream.append(bad)
            good.append((serial, good_article(serial, QUOTE_CHARS[i % len(QUOTE_CHARS)])))
            stream.append(good[-1][1])
            serial += 1
        for char in QUOTE_CHARS[len(poison) % len(QUOTE_CHARS) :]:
            good.append((serial, good_article(serial, char)))
            stream.append(good[-1][1])
            serial += 1

        fuzzed_records: list[bytes] = []

        @settings(FUZZ, max_examples=100)
        @given(record=RAW_RECORDS)
        def fuzz_record(record: bytes) -> None:
            fuzzed_records.append(record)

        fuzz_record()

        fuzzed_texts: list[tuple[str, str, str]] = []

        @settings(FUZZ, max_examples=100)
        @given(
            paragraph=PARAGRAPHS,
            title=PARAGRAPHS,
            char=st.sampled_from(QUOTE_CHARS),
        )
        def fuzz_text(paragraph: str, title: str, char: str) -> None:
            fuzzed_texts.append((paragraph, title, char))

        fuzz_text()
        for record, (paragraph, title, char) in zip(fuzzed_records, fuzzed_texts, strict=False):
            stream.append(record)
            good.append((serial, good_article(serial, char, extra=paragraph, title=title)))
            stream.append(good[-1][1])
            serial += 1
        stream += fuzzed_records[len(fuzzed_texts) :]

        offsets = produce(s, s.kafka.topics.articles, stream)
        published_until = time.time()
        good_by_offset = {
            offset: serial_
            for offset, value in zip(offsets, stream, strict=True)
            for serial_, record in good
            if record is value
        }

        # -- the dispatcher's own poison: an unreadable record, an alert whose stored state
        # is not an alert; good alerts keep coming from the pipeline after them.
        garbage_id = "f" * 32
        es_client.index(
            index=s.elasticsearch.index("alerts"),
            id=garbage_id,
            document={"alert_id": garbage_id, "status": "exploded"},
            refresh=True,
        )
        garbage = Alert(
            alert_id=garbage_id,
            subscription_id=main_id,
            subscription_name="officials on talks",
            owner="desk",
            cluster_id="c",
            statement_id="s",
            quote=Span(text="q"),
        )
        produce(s, s.kafka.topics.alerts, [b"{not an alert", garbage.to_bytes()], partition=0)

        # -- wait for every good article's alerts -----------------------------------------------
        markers = {statement_marker(n): n for n, _ in good}

        def delivered() -> tuple[set[int], Counter[int], Counter[int]]:
            hooked = set()
            for received in webhook.received:
                if received.path == "/main":
                    text = received.json()["alert"]["quote"]["text"]
                    found = STATEMENT_MARKER.search(text)
                    if found:
                        hooked.add(markers[found.group(0)])
            desk: Counter[int] = Counter()
            legacy: Counter[int] = Counter()
            for to, message, _ in mails(box):
                body = message.get_body(("plain",))
                found = STATEMENT_MARKER.search(body.get_content() if body else "")
                if found:
                    (desk if to == ["desk@example.org"] else legacy)[markers[found.group(0)]] += 1
            return hooked, desk, legacy

        expected = set(markers.values())

        def all_delivered() -> bool:
            if not (pipeline.thread.is_alive() and dispatcher.alive()):
                return True  # a worker died: nothing more will come (asserted below)
            hooked, desk, legacy = delivered()
            return (
                hooked >= expected
                and set(desk) >= expected
                and all(legacy[n] >= len(LEGACY_NAMES) for n in expected)
            )

        if not wait_until(all_delivered, timeout=TIMEOUT_S, step=1.0):
            print("not all delivered:", diagnostics(es_client, s, dispatcher, webhook, box))
        last_alert = time.time()
        time.sleep(3)  # anything delivered twice shows up within seconds
        hooked, desk, legacy = delivered()
        workers_alive = {
            "pipeline": pipeline.thread.is_alive() and pipeline.error is None,
            "dispatcher": dispatcher.alive(),
            "api": api.alive(),
        }
    finally:
        dispatcher.close()
        pipeline.stop(timeout=120)

    # -- accounting -------------------------------------------------------------------------------
    assert workers_alive == {"pipeline": True, "dispatcher": True, "api": True}, (
        pipeline.error,
        dispatcher.error,
    )
    letters = [json.loads(r.value) for r in topic_records(s, s.kafka.topics.deadletter)]
    pipeline_letters = {
        d["source_offset"]: d
        for d in letters
        if d["worker"] == "pipeline" and d["source_topic"] == s.kafka.topics.articles
    }
    dispatcher_letters = [d for d in letters if d["worker"] == "dispatcher"]
    es_client.indices.refresh(index=s.elasticsearch.index("articles"))
    indexed_ids = {
        hit["_id"]
        for hit in es_client.search(
            index=s.elasticsearch.index("articles"), size=10_000, source=False
        )["hits"]["hits"]
    }
    lost = []
    for offset, value in zip(offsets, stream, strict=True):
        if offset in pipeline_letters:
            assert pipeline_letters[offset]["reason"], pipeline_letters[offset]
            continue
        try:
            record_id = json.loads(value)["id"]
        except (ValueError, TypeError, KeyError):
            record_id = None
        if record_id not in indexed_ids:
            lost.append((offset, value[:80]))
    good_ids = {json.loads(record)["id"] for _, record in good}
    assert not lost, f"neither indexed nor dead-lettered: {lost[:10]}"
    assert good_ids <= indexed_ids
    assert all(o not in pipeline_letters for o in good_by_offset)
    for value, offset in zip(stream, offsets, strict=True):
        if any(value is p for p in poison):
            assert pipeline_letters[offset]["reason"] in ("invalid_json", "schema", "empty")
    assert pipeline_letters[offsets[0]]["detail"] == "JSON nested too deeply to parse"

    reasons = Counter(f"{d['worker']}:{d['reason']}" for d in letters)
    assert hooked == expected, f"no webhook alert for {sorted(expected - hooked)}; {reasons}"
    assert set(desk) == expected and set(legacy) == expected, reasons
    duplicates = sum(n - 1 for n in desk.values()) + sum(
        n - len(LEGACY_NAMES) for n in legacy.values()
    )
    assert duplicates == 0
    for _to, message, raw in mails(box):
        assert len(message.get_all("Subject") or []) == 1
        assert message["Bcc"] is None and message["X-Evil"] is None
        header_block = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
        for line in re.split(rb"\r?\n", header_block):
            assert not line.startswith(b"Bcc"), line
    assert {d["reason"] for d in dispatcher_letters} == {"invalid_alert", "dispatch_error"}
    garbage_letter = next(d for d in dispatcher_letters if d["reason"] == "dispatch_error")
    assert garbage_letter["source_key"] is None or garbage_letter["context"]
    # The offsets moved past every poison record.
    consumer = KafkaConsumer(
        **s.kafka.client_kwargs(), group_id=s.pipeline["group_id"], enable_auto_commit=False
    )
    try:
        assert consumer.committed(TopicPartition(s.kafka.topics.articles, 0)) == offsets[-1] + 1
    finally:
        consumer.close()

    report_row(
        tried=len(stream) + 2 + len(hostile_specs) + 2 + sum(fuzzed_subscriptions.values()) + 1,
        good=len(good),
        in_kafka=len(stream),
        indexed=len(good_ids & indexed_ids),
        alerted=len(hooked),
        dead_lettered=len(pipeline_letters) + len(dispatcher_letters),
        refused=len(refused),
        subscriptions_accepted=fuzzed_subscriptions[201],
        duplicates=duplicates,
        recovered_s=round(last_alert - published_until, 1),
        started=started,
    )


def diagnostics(
    es: Elasticsearch,
    s: Settings,
    dispatcher: DispatcherThread,
    webhook: WebhookReceiver,
    box: Mailbox,
) -> dict[str, Any]:
    """What the run looked like when it gave up waiting (printed with the failure)."""
    index = s.elasticsearch.index("alerts")
    es.indices.refresh(index=index)
    buckets = es.search(
        index=index, size=0, aggs={"s": {"terms": {"field": "status", "size": 20}}}
    )["aggregations"]["s"]["buckets"]
    return {
        "alerts_by_status": {b["key"]: b["doc_count"] for b in buckets},
        "dispatcher_in_flight": dispatcher.dispatcher.tracker.in_flight(),
        "dispatcher_tasks": len(dispatcher.dispatcher._tasks),
        "dispatcher_commit_failures": dispatcher.dispatcher.commit_failures,
        "webhooks": len(webhook.received),
        "mails": len(box.messages),
    }


def report_row(**r: Any) -> None:
    """The run's line of the README's fault table (see tests/faults and benchmarks/fault_table)."""
    row = {
        "fault": (
            f"hostile inputs: {r['tried']} tried — {r['dead_lettered']} dead-lettered with a "
            f"reason, {r['refused']} refused by the API with a 4xx; {r['good']} good articles "
            "after and among them"
        ),
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        **commit(),
        "machine": machine(),
        "load_average": load_average(),
        "published": r["good"],
        "in_kafka": r["in_kafka"],
        "indexed": r["indexed"],
        "alerted": r["alerted"],
        "lost": r["good"] - min(r["indexed"], r["alerted"]),
        "duplicate_alerts": r["duplicates"],
        "redeliveries": 0,
        "worker_restarts": [],
        "recovered_s": r["recovered_s"],
        "inputs_tried": r["tried"],
        "dead_lettered": r["dead_lettered"],
        "refused_4xx": r["refused"],
        "fuzzed_subscriptions_accepted": r["subscriptions_accepted"],
        "worker_exits": 0,
        "duration_s": round(time.time() - r["started"], 1),
    }
    print(json.dumps(row))
    path = os.environ.get("PARLEY_FAULTS_REPORT")
    if path:
        with Path(path).open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(row) + "\n")
