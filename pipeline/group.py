"""Membership of one ``parley pipeline`` process in the pipeline's Kafka consumer group.

Several processes share the articles topic the way any Kafka consumer group does: each joins
the group, Kafka assigns each some partitions, and when one dies its session times out and its
partitions go to the others.  The member's own consumer reads nothing (every assigned
partition stays paused); it only keeps the membership, learns the assignment and commits
offsets.  The records are read by the pipeline's partition readers (``pipeline.kafka_io``),
one Beam run per assignment (``pipeline.beam.group_run``).

Two rules keep "committed means stored" true across rebalances:

- **Commits go through the member's consumer**, which carries the member id and generation:
  once a group has live members, Kafka refuses commits from anyone else.
- **Only partitions the member owns right now are committed.**  Offsets stored while a
  rebalance is in progress are held; they are committed if the new assignment gives the
  partition back to this member (then nobody else has read it), and dropped otherwise, as are
  offsets that arrive for a partition already given away.  The new owner then reads those
  records again from the last committed offset: their documents exist already (deterministic
  ids), nothing is lost.

Between a revocation and the next assignment every partition is *paused*: the source reads
nothing from it and waits.  If the assignment that follows is the same, the run goes on where
it was; otherwise it ends and a run over the new assignment starts.

``Ownership`` is the bookkeeping (plain data, no Kafka); ``GroupMember`` the Kafka side.
kafka-python runs rebalance listeners on its IO thread, which must never block: the listener
only updates the bookkeeping, under a lock that no thread holds across a Kafka call.

Static membership (``instance_id`` = Kafka's ``group.instance.id``): a member that restarts
with the same id within the session timeout gets its partitions back without a rebalance of
the others.  Static members do not leave the group when they stop, so a stopped one's
partitions move only when its session times out.
"""

from __future__ import annotations

import contextlib
import enum
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kafka import AsyncConsumerRebalanceListener, KafkaAdminClient, KafkaConsumer, TopicPartition
from kafka.errors import FencedInstanceIdError, KafkaError
from kafka.structs import OffsetAndMetadata

from parley.kafka_membership import keep_join_going
from parley.logs import get_logger
from pipeline import metrics

log = get_logger(__name__)

# Offsets handed over by the pipeline are committed this soon (the member's poll timeout).
COMMIT_INTERVAL_MS = 100
COMMIT_TIMEOUT_MS = 5_000


class Turn(enum.Enum):
    """What the source may do with one partition of the current run."""

    READ = "read"  # assigned to this member, in this run
    WAIT = "wait"  # a rebalance is in progress: read nothing until it is settled
    END = "end"  # not this run's any more: end the partition's restriction


@dataclass(frozen=True)
class Assignment:
    partitions: frozenset[int]
    number: int  # counts this member's assignments: 1 for the first, +1 per rebalance


@dataclass
class Ownership:
    """Which partitions this member owns, which the current run reads, and which stored
    offsets may be committed (see the module docstring).  Not thread-safe by itself."""

    assignment: Assignment | None = None  # None: none yet, or a rebalance in progress
    run: frozenset[int] = frozenset()  # partitions of the Beam run in progress
    held: dict[int, int] = field(default_factory=dict)  # stored, not committed yet
    committed: dict[int, int] = field(default_factory=dict)
    last_owned: frozenset[int] = frozenset()  # owned before the rebalance in progress
    revoked_at: float | None = None
    assignments: int = 0
    # Since when this member has had no assignment (joining, or a rebalance), else None.
    unassigned_since: float | None = None

    def revoke(self, *, lost: bool, now: float) -> None:
        if self.assignment is not None and self.revoked_at is None:
            self.revoked_at = now
        if self.unassigned_since is None:
            self.unassigned_since = now
        self.assignment = None
        if lost:  # evicted from the group: a commit would be refused
            self.held.clear()
            self.last_owned = frozenset()

    def assign(self, partitions: frozenset[int], now: float) -> float | None:
        """A settled assignment; when it is the running one's, the run goes on and this
        returns how long the rebalance paused it."""
        self.assignments += 1
        self.assignment = Assignment(partitions, self.assignments)
        self.unassigned_since = None
        self.last_owned = partitions
        # Offsets of partitions that went elsewhere belong to their new owner now.
        self.held = {p: o for p, o in self.held.items() if p in partitions}
        self.committed = {p: o for p, o in self.committed.items() if p in partitions}
        if partitions and partitions == self.run and self.revoked_at is not None:
            paused, self.revoked_at = now - self.revoked_at, None
            return paused
        return None

    def begin_run(self, partitions: frozenset[int], now: float) -> float | None:
        """The run over ``partitions`` starts; returns the seconds since the revocation that
        ended the run before (None on the first)."""
        self.run = partitions
        since, self.revoked_at = self.revoked_at, None
        return None if since is None else now - since

    def turn(self, partition: int) -> Turn:
        if partition not in self.run:
            return Turn.END
        if self.assignment is None:
            return Turn.WAIT
        return Turn.READ if self.assignment.partitions == self.run else Turn.END

    def owned(self) -> frozenset[int]:
        return self.assignment.partitions if self.assignment else frozenset()

    def hand_over(self, offsets: Mapping[int, int]) -> None:
        """Next-offsets of stored records, to be committed while the partition is ours."""
        eligible = self.assignment.partitions if self.assignment else self.last_owned
        for partition, offset in offsets.items():
            newest = max(self.held.get(partition, -1), self.committed.get(partition, -1))
            if partition in eligible and offset > newest:
                self.held[partition] = offset

    def to_commit(self) -> dict[int, int]:
        owned = self.owned()
        return {p: o for p, o in self.held.items() if p in owned}

    def commit_done(self, offsets: Mapping[int, int]) -> None:
        for partition, offset in offsets.items():
            if self.held.get(partition) == offset:
                del self.held[partition]
            self.committed[partition] = max(offset, self.committed.get(partition, -1))

    def holds(self, partitions: frozenset[int]) -> bool:
        return bool(self.held.keys() & partitions)


SETTLED_STATES = ("Stable", "Empty")


class MembershipError(RuntimeError):
    """The process cannot be a member of the group any more (fenced by another worker with its
    instance id, or stuck); it ends, and its restart joins afresh."""


def membership_stuck(
    unassigned_for: float, settled_for: float | None, *, limit: float, grace: float
) -> bool:
    """A member without an assignment for longer than ``limit`` whose group has been settled
    (``Stable``, or ``Empty``: without it) for ``grace`` as well will not get one by waiting:
    something in its client is stuck.  While Kafka does not answer or the group is still
    rebalancing (``settled_for`` None), waiting is right; the grace covers a member that is
    about to rejoin (after a Kafka outage, say) when it looks."""
    return unassigned_for > limit and settled_for is not None and settled_for >= grace


def expand_instance_id(template: str | None) -> str | None:
    """``{hostname}`` in the configured id becomes this machine's (pod's, container's) name."""
    if not template:
        return None
    return template.replace("{hostname}", socket.gethostname())


class GroupMember:
    """The Kafka side (see the module docstring): ``start`` joins; ``next_assignment`` waits
    for one; ``turn`` and ``commit`` serve the running pipeline; ``close`` ends it."""

    def __init__(
        self,
        client_kwargs: Mapping[str, Any],
        topic: str,
        group_id: str,
        *,
        instance_id: str | None = None,
        session_timeout_ms: int = 10_000,
        heartbeat_interval_ms: int = 3_000,
        topic_wait_seconds: float = 60.0,
        stuck_after_seconds: float | None = None,
    ) -> None:
        self.topic = topic
        self.group_id = group_id
        self.instance_id = instance_id
        self._client_kwargs = dict(client_kwargs)
        self._topic_wait_seconds = topic_wait_seconds
        # Three sessions: a rebalance that waits for a dead member is over by then.
        self._stuck_after = stuck_after_seconds or max(30.0, 3 * session_timeout_ms / 1000)
        self._stuck_grace = session_timeout_ms / 1000
        self._consumer = KafkaConsumer(
            **client_kwargs,
            group_id=group_id,
            group_instance_id=instance_id,
            enable_auto_commit=False,
            session_timeout_ms=session_timeout_ms,
            heartbeat_interval_ms=heartbeat_interval_ms,
            # The member's poll loop never processes records, so the poll interval is never
            # the problem; the session timeout decides how fast a dead member is replaced.
            max_poll_interval_ms=max(300_000, 3 * session_timeout_ms),
            # Partitions added to the topic reach the group leader's metadata this fast.
            metadata_max_age_ms=30_000,
        )
        self._state = Ownership()
        self._changed = threading.Condition(threading.Lock())
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll_loop, name="group-member", daemon=True)
        self._watchdog = threading.Thread(target=self._watch, name="group-watchdog", daemon=True)
        self.error: BaseException | None = None

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> GroupMember:
        """Join the group (once the topic's partitions are known: a member that joins while its
        metadata still lacks them gets an empty assignment)."""
        deadline = time.monotonic() + self._topic_wait_seconds
        while not self._consumer.partitions_for_topic(self.topic):
            if time.monotonic() > deadline:
                raise RuntimeError(f"topic {self.topic!r} does not exist")
            time.sleep(0.25)
            self._consumer.topics()  # refresh metadata
        self._consumer.subscribe([self.topic], listener=_Listener(self))
        with self._changed:
            self._state.unassigned_since = time.monotonic()  # joining from now on
        self._thread.start()
        self._watchdog.start()
        return self

    def close(self) -> None:
        """Commit what the last run stored, stop polling and close the consumer: a dynamic
        member leaves the group (its partitions move at once), a static one is replaced after
        its session timeout."""
        self._stop.set()
        with self._changed:
            self._changed.notify_all()
        if self._thread.is_alive():
            self._thread.join(timeout=30)
        else:
            self._consumer.close()

    def _poll_loop(self) -> None:
        try:
            while not self._stop.is_set():
                # Every assigned partition is paused: this drives the group protocol
                # (joins, assignment, rebalances) and returns no records.
                self._consumer.poll(timeout_ms=COMMIT_INTERVAL_MS)
                keep_join_going(self._consumer)
                self._commit_held()
            self._commit_held()
        except BaseException as exc:  # surfaced by next_assignment, which ends the process
            self.error = exc
            if isinstance(exc, FencedInstanceIdError):
                log.error(
                    "another worker joined the group with this instance id; ids must be unique",
                    group_id=self.group_id,
                    instance_id=self.instance_id,
                )
            else:
                log.exception("group membership failed", group_id=self.group_id, error=str(exc))
        finally:
            # The membership is over: the run ends its partitions (Turn.END) and the run loop
            # sees the error, if any.
            self._stop.set()
            with self._changed:
                self._state.revoke(lost=True, now=time.monotonic())
                self._changed.notify_all()
            self._consumer.close()

    def _watch(self) -> None:
        """The safety net of ``membership_stuck``: a member that cannot get an assignment
        although its group has settled ends (the process exits with the reason, and its
        restart joins afresh) instead of idling on as a member that reads nothing.  It asks
        the group coordinator through a client of its own, in case the member's is the one
        that is stuck."""
        settled_since: float | None = None
        while not self._stop.wait(1.0):
            with self._changed:
                since = self._state.unassigned_since
            now = time.monotonic()
            waited = 0.0 if since is None else now - since
            if waited <= self._stuck_after:
                settled_since = None
                continue
            state = self._group_state()
            if state not in SETTLED_STATES:
                settled_since = None
                continue
            settled_since = settled_since or now
            if membership_stuck(
                waited, now - settled_since, limit=self._stuck_after, grace=self._stuck_grace
            ):
                self._fail(
                    RuntimeError(
                        f"no partitions assigned for {waited:.0f} s while group "
                        f"{self.group_id} is {state}: the group membership is stuck"
                    )
                )
                return

    def _group_state(self) -> str | None:
        admin = None
        try:
            admin = KafkaAdminClient(**self._client_kwargs, request_timeout_ms=5_000)
            state = admin.describe_groups([self.group_id])[self.group_id].get("group_state")
            return str(state) if state else None
        except (KafkaError, OSError) as exc:
            log.info("group state unknown", group_id=self.group_id, error=str(exc))
            return None
        finally:
            if admin is not None:
                admin.close()

    def _fail(self, error: BaseException) -> None:
        log.error("group membership failed", group_id=self.group_id, error=str(error))
        self.error = error
        self._stop.set()  # the run ends its partitions; next_assignment raises
        with self._changed:
            self._changed.notify_all()

    def _locked(self, change: Callable[[Ownership], Any]) -> Any:
        with self._changed:
            result = change(self._state)
            self._changed.notify_all()
        return result

    # -- rebalance listener (kafka-python's IO thread: bookkeeping only) ---------------------------

    def _revoked(self, partitions: set[TopicPartition], *, lost: bool) -> None:
        self._locked(lambda state: state.revoke(lost=lost, now=time.monotonic()))
        mine = sorted(tp.partition for tp in partitions if tp.topic == self.topic)
        if mine:  # (the first join revokes nothing)
            log.info("partitions lost" if lost else "partitions revoked", partitions=mine)

    def _assigned(self, partitions: set[TopicPartition]) -> None:
        self._consumer.pause(*partitions)  # the member reads nothing itself
        mine = frozenset(tp.partition for tp in partitions if tp.topic == self.topic)
        with self._changed:
            gone = self._state.last_owned - mine
            paused = self._state.assign(mine, time.monotonic())
            self._changed.notify_all()
        if paused is not None:
            metrics.REBALANCE_PAUSE.observe(paused)
        for partition in gone:  # another member's to report now
            with contextlib.suppress(KeyError):
                metrics.OFFSETS_COMMITTED.remove(self.topic, str(partition))
        log.info(
            "partitions assigned",
            partitions=sorted(mine),
            instance_id=self.instance_id,
            run_goes_on=paused is not None,
        )

    # -- for the run loop and the pipeline ---------------------------------------------------------

    def next_assignment(self, *, after: int = 0, timeout: float) -> Assignment | None:
        """The current assignment once one newer than number ``after`` is settled (None after
        ``timeout``, or when the member is closing)."""

        def newer() -> Assignment | None:
            current = self._state.assignment
            return current if current is not None and current.number > after else None

        with self._changed:
            self._changed.wait_for(
                lambda: newer() or self._stop.is_set() or self.error is not None, timeout=timeout
            )
            if self.error is not None:
                raise MembershipError(f"group membership failed: {self.error}") from self.error
            return newer()

    def begin_run(self, partitions: frozenset[int]) -> float | None:
        """See ``Ownership.begin_run``; first waits (briefly) until what the run before stored
        is committed, since the new run starts from the committed offsets."""
        with self._changed:
            self._changed.wait_for(
                lambda: self._stop.is_set() or not self._state.holds(partitions), timeout=5.0
            )
            return self._state.begin_run(partitions, time.monotonic())

    def owned(self) -> frozenset[int]:
        with self._changed:
            return self._state.owned()

    def turn(self, partition: int) -> Turn:
        if self._stop.is_set():
            return Turn.END
        with self._changed:
            return self._state.turn(partition)

    def commit(self, offsets: Mapping[tuple[str, int], int]) -> dict[tuple[str, int], int]:
        """Hand over the next-offsets of stored records; the member's thread (the only one
        using the consumer) commits them within ``COMMIT_INTERVAL_MS`` if the partitions are
        still this member's.  Returns nothing: ``parley_pipeline_committed_offset`` shows what
        was committed."""
        mine = {p: o for (t, p), o in offsets.items() if t == self.topic}
        self._locked(lambda state: state.hand_over(mine))
        return {}

    def _commit_held(self) -> None:
        with self._changed:
            todo = self._state.to_commit()
        if not todo:
            return
        try:
            self._consumer.commit(
                {
                    TopicPartition(self.topic, p): OffsetAndMetadata(o, "", -1)  # type: ignore[call-arg]
                    for p, o in todo.items()
                },
                # Retried while the coordinator is away, but not for long: this thread must
                # poll again to take part in a rebalance.
                timeout_ms=COMMIT_TIMEOUT_MS,
            )
        except FencedInstanceIdError:
            raise  # another worker has our id: we are a zombie, stop (see _poll_loop)
        except KafkaError as exc:
            # A rebalance began (CommitFailed: RebalanceInProgress, IllegalGeneration,
            # UnknownMemberId), or Kafka is away: the offsets stay held, for the partitions
            # that are still ours afterwards.
            log.warning("offset commit refused; held for the next one", error=str(exc))
            return
        self._locked(lambda state: state.commit_done(todo))
        for p, o in todo.items():
            metrics.OFFSETS_COMMITTED.labels(self.topic, str(p)).set(o)


class _Listener(AsyncConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, member: GroupMember) -> None:
        self._member = member

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        self._member._revoked(revoked, lost=False)

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        self._member._assigned(assigned)

    async def on_partitions_lost(self, lost: set[TopicPartition]) -> None:
        self._member._revoked(lost, lost=True)


# -- the process's member, for the DoFns of the embedded runner ----------------------------------
#
# The embedded runner executes the DoFns in this process; they are pickled, so they reach the
# member through these module-level functions (pickled by reference), like pipeline.lifecycle.

_member: GroupMember | None = None


def install(member: GroupMember | None) -> None:
    global _member
    _member = member


def current() -> GroupMember:
    if _member is None:
        raise RuntimeError(
            "pipeline.assignment is 'group' but no group member runs in this process "
            "(group assignment needs the embedded runner, started by `parley pipeline`)"
        )
    return _member


def turn(topic: str, partition: int) -> Turn:
    member = current()
    return member.turn(partition) if topic == member.topic else Turn.END
