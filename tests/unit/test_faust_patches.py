"""Unit tests of agents/faust_patches.py: each fails on stock faust-streaming 0.15.3.

No broker: the app is built with an unreachable broker and never started. Its real consumer,
producer buffer and table recovery objects are used; only the methods that would talk to Kafka
(or to the consumer thread) are replaced on the instance by small recording stand-ins.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any, cast

import faust
import pytest
from aiokafka.structs import ConsumerRecord
from faust.types import TP
from intervaltree import Interval
from prometheus_client import CollectorRegistry

from agents import faust_patches

TOPIC = "wirewatch-test-input"
TP0 = TP(TOPIC, 0)
TP1 = TP(TOPIC, 1)


@pytest.fixture(autouse=True)
def _patched() -> None:
    # To check a test against stock Faust, run a copy of this file with this call removed in a
    # fresh process (install() patches the classes for the rest of the process).
    faust_patches.install()


@pytest.fixture
def app() -> Iterator[faust.App]:
    # Never started: nothing connects to the (unreachable) broker.
    yield faust.App("wirewatch-unit", broker="kafka://127.0.0.1:1", store="memory://")


def _record(tp: TP, offset: int) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord(
        topic=tp.topic,
        partition=tp.partition,
        offset=offset,
        timestamp=0,
        timestamp_type=0,
        key=b"k",
        value=b"v",
        checksum=None,
        serialized_key_size=1,
        serialized_value_size=1,
        headers=(),
    )


def _ack(consumer: Any, tp: TP, *offsets: int) -> None:
    """What Consumer.ack leaves behind for acknowledged offsets (sorted list plus index)."""
    consumer._acked[tp].extend(offsets)
    consumer._acked[tp].sort()
    consumer._acked_index[tp].update(offsets)


# --- point 3: _new_offset / _add_gap ------------------------------------------------------------


def test_commit_waits_for_the_committed_offset_itself(app: faust.App) -> None:
    consumer: Any = app.consumer  # faust.types.ConsumerT does not declare the internals used
    consumer._committed_offset[TP0] = 10  # offset 10 is the next to process
    _ack(consumer, TP0, 11, 12, 13)

    # Offset 10 was never acknowledged: committing 14 would skip it (stock Faust returns 14).
    assert consumer._new_offset(TP0) is None

    _ack(consumer, TP0, 10)
    assert consumer._new_offset(TP0) == 14


async def test_a_gap_at_the_committed_offset_counts_as_done(app: faust.App) -> None:
    consumer: Any = app.consumer  # faust.types.ConsumerT does not declare the internals used
    consumer._committed_offset[TP0] = 10
    # Kafka skipped offset 10 (e.g. a transaction marker); stock Faust's _add_gap drops a gap
    # that starts at the committed offset.
    await consumer._add_gap(TP0, 10, 10)
    assert sorted(consumer._gap[TP0]) == [Interval(10, 11)]

    _ack(consumer, TP0, 11, 12)
    assert consumer._new_offset(TP0) == 13
    assert not consumer._gap[TP0]


async def test_a_gap_at_the_committed_offset_commits_only_up_to_the_next_unacked(
    app: faust.App,
) -> None:
    consumer: Any = app.consumer  # faust.types.ConsumerT does not declare the internals used
    consumer._committed_offset[TP0] = 10
    await consumer._add_gap(TP0, 10, 10)
    _ack(consumer, TP0, 12)  # 11 still in flight

    # The gap fills 10, nothing fills 11: commit 11 (stock Faust: no gap kept, returns None).
    assert consumer._new_offset(TP0) == 11
    consumer._committed_offset[TP0] = 11  # as the commit of 11 (_commit_offsets) leaves it
    assert consumer._new_offset(TP0) is None  # 11 is still missing
    _ack(consumer, TP0, 11)
    assert consumer._new_offset(TP0) == 13


# --- point 1: seek before resuming ---------------------------------------------------------------


def _record_resume_and_seek(app: faust.App) -> list[str]:
    """Make the real consumer's Kafka-facing calls record their order instead of running."""
    calls: list[str] = []
    consumer: Any = app.consumer

    async def perform_seek() -> None:
        calls.append("perform_seek")

    async def maybe_start() -> None:
        pass

    consumer.assignment = lambda: {TP0}
    consumer.perform_seek = perform_seek
    consumer.resume_partitions = lambda tps: calls.append(f"resume_partitions {sorted(tps)}")
    fetcher: Any = app._fetcher
    fetcher.maybe_start = maybe_start  # the real one would start fetching
    return calls


async def test_recovery_completed_seeks_before_resuming_stream_partitions(
    app: faust.App,
) -> None:
    calls = _record_resume_and_seek(app)

    recovery: Any = cast(Any, app.tables).recovery  # TableManagerT does not declare it
    await recovery.on_recovery_completed(app.consumer_generation_id)

    assert calls == ["perform_seek", f"resume_partitions {[TP0]}"]
    assert recovery.completed.is_set()
    assert cast(Any, app.consumer).flow_active


async def test_resume_streams_seeks_before_resuming_stream_partitions(app: faust.App) -> None:
    calls = _record_resume_and_seek(app)

    recovery: Any = cast(Any, app.tables).recovery
    await recovery._resume_streams(app.consumer_generation_id)

    assert calls == ["perform_seek", f"resume_partitions {[TP0]}"]


# --- point 1: what a seek leaves as the read offset ---------------------------------------------


async def test_perform_seek_leaves_the_committed_record_to_be_read_again(
    app: faust.App,
) -> None:
    consumer: Any = app.consumer
    sought_to_beginning: list[TP] = []

    async def seek_to_committed() -> dict[TP, int | None]:
        return {TP0: 5, TP1: None}  # TP1 has no committed offset yet

    async def seek_to_beginning(*tps: TP) -> None:
        sought_to_beginning.extend(tps)

    async def position(tp: TP) -> int:
        return 3  # the partition's first offset: older records were deleted by retention

    consumer.seek_to_committed = seek_to_committed
    # The aiokafka consumer thread is not started; only these calls of it are used.
    consumer._thread = SimpleNamespace(seek_to_beginning=seek_to_beginning, position=position)
    assert app.conf.consumer_auto_offset_reset == "earliest"

    await consumer.perform_seek()

    # Read offset = last offset read, so offset 5 itself is not dropped as already read
    # (stock Faust sets it to 5 and drops record 5).
    assert consumer._read_offset[TP0] == 4
    assert consumer._read_offset[TP1] is None
    assert consumer._committed_offset[TP0] == 5
    # A stream partition without a committed offset is read from its start, not from wherever
    # an earlier fetch left aiokafka's position.
    assert sought_to_beginning == [TP1]
    # ...and its first offset is where commits must start: a run that skips it is not committed.
    assert consumer._committed_offset[TP1] == 3
    consumer._acked[TP1].extend([4, 5])
    assert consumer._new_offset(TP1) is None


async def test_seek_leaves_the_record_sought_to_be_read_again(app: faust.App) -> None:
    consumer: Any = app.consumer
    sought: list[tuple[TP, int]] = []

    async def driver_seek(tp: TP, offset: int) -> None:
        sought.append((tp, offset))

    consumer._seek = driver_seek

    await consumer.seek(TP0, 7)

    assert sought == [(TP0, 7)]
    assert consumer._read_offset[TP0] == 6  # stock Faust: 7, dropping record 7


# --- point 1 and 2: getmany and the fetch --------------------------------------------------------


def _fetching_consumer(app: faust.App, fetch: Any) -> Any:
    """The real consumer with aiokafka's fetch (`Consumer._getmany`) replaced by `fetch`."""
    consumer: Any = app.consumer
    consumer.assignment = lambda: {TP0, TP1}
    consumer.highwater = lambda tp: 100
    consumer._getmany = fetch
    consumer._set_active_tps({TP0, TP1})  # as on_partitions_assigned leaves it
    consumer.resume_flow()
    return consumer


async def _collect(consumer: Any) -> list[tuple[TP, int]]:
    return [(tp, message.offset) async for tp, message in consumer.getmany(timeout=1.0)]


async def test_getmany_hands_on_nothing_of_a_batch_fetched_across_a_perform_seek(
    app: faust.App,
) -> None:
    async def seek_to_committed() -> dict[TP, int]:
        return {TP0: 3, TP1: 2}

    async def fetch(active_partitions: Any, timeout: float) -> dict[TP, list[Any]]:
        # Recovery seeks back to the committed offsets while this fetch is in flight.
        await consumer.perform_seek()
        return {TP0: [_record(TP0, 3), _record(TP0, 4)], TP1: [_record(TP1, 2)]}

    consumer = _fetching_consumer(app, fetch)
    consumer.seek_to_committed = seek_to_committed

    assert await _collect(consumer) == []


async def test_getmany_hands_on_nothing_of_a_batch_fetched_across_a_seek(
    app: faust.App,
) -> None:
    async def driver_seek(tp: TP, offset: int) -> None:
        pass

    async def fetch(active_partitions: Any, timeout: float) -> dict[TP, list[Any]]:
        await consumer.seek(TP0, 3)
        return {TP0: [_record(TP0, 3), _record(TP0, 4)]}

    consumer = _fetching_consumer(app, fetch)
    consumer._seek = driver_seek

    assert await _collect(consumer) == []
    # Without a seek the same batch is handed on (the test's set-up is not what blocks it).

    async def fetch_quietly(active_partitions: Any, timeout: float) -> dict[TP, list[Any]]:
        return {TP0: [_record(TP0, 3), _record(TP0, 4)]}

    consumer._getmany = fetch_quietly
    assert await _collect(consumer) == [(TP0, 3), (TP0, 4)]


async def test_fetch_gets_a_frozen_copy_of_the_active_partitions(app: faust.App) -> None:
    seen: list[Any] = []

    async def fetch(active_partitions: Any, timeout: float) -> dict[TP, list[Any]]:
        # Recovery pauses partitions while the fetch is in flight; Faust's pause clears and
        # refills its live set of active partitions.
        consumer._active_partitions.clear()
        seen.append(active_partitions)
        return {}

    consumer = _fetching_consumer(app, fetch)

    await consumer._wait_next_records(1.0)

    [requested] = seen
    assert requested is not consumer._active_partitions
    assert isinstance(requested, frozenset)
    # aiokafka reads an empty set as "every partition"; the copy kept what was asked for.
    assert requested == {TP0, TP1}

    # With no active partition aiokafka is not asked at all (never given an empty set).
    async def no_sleep(seconds: float) -> None:
        pass

    consumer.sleep = no_sleep
    consumer._active_partitions.clear()
    seen.clear()
    records, _ = await consumer._wait_next_records(1.0)
    assert records == {}
    assert seen == []


# --- point 4: ProducerBuffer.flush drains ---------------------------------------------------------


async def test_flush_drains_the_buffer_when_every_send_takes_longer_than_a_tenth_of_a_second(
    app: faust.App,
) -> None:
    published: list[int] = []

    async def publish_message(fut: Any, wait: bool = False) -> None:
        await asyncio.sleep(0.15)
        published.append(fut.number)

    # ProducerBuffer._send_pending touches only fut.message.channel.publish_message; a real
    # FutureMessage would need a real topic and producer to publish to.
    channel = SimpleNamespace(publish_message=publish_message)

    def future_message(number: int) -> SimpleNamespace:
        return SimpleNamespace(number=number, message=SimpleNamespace(channel=channel))

    buffer = app.producer.buffer
    await buffer.start()  # its own task sends pending messages too, as in a worker
    try:
        for number in range(3):
            buffer.put(future_message(number))  # type: ignore[arg-type]  # see above

        await asyncio.wait_for(buffer.flush(), timeout=5)

        assert buffer.size == 0
        assert sorted(published) == [0, 1, 2]
    finally:
        while buffer.size:  # stopping flushes; with messages left a stopped buffer raises
            buffer.pending.get_nowait()
        await buffer.stop()


async def test_a_flush_hands_messages_over_in_the_order_they_were_buffered(app: faust.App) -> None:
    """The buffer's own task takes the first message and waits inside the producer (metadata, a
    full batch) while a commit's flush drains the rest: the rest must not overtake it. Table
    changelog writes of one key otherwise land out of order, and a table recovered from the
    changelog goes back to an older value (an alert revision going backwards)."""
    handed_over: list[int] = []
    first_may_go = asyncio.Event()

    async def publish_message(fut: Any, wait: bool = False) -> None:
        if fut.number == 0:
            await first_may_go.wait()  # the producer is not ready for the first one yet
        handed_over.append(fut.number)  # what the producer appends to its batch, in order

    channel = SimpleNamespace(publish_message=publish_message)

    def future_message(number: int) -> SimpleNamespace:
        return SimpleNamespace(number=number, message=SimpleNamespace(channel=channel))

    buffer = app.producer.buffer
    await buffer.start()
    try:
        buffer.put(future_message(0))  # type: ignore[arg-type]  # see the test above
        for _ in range(5):  # the buffer's task takes it and waits in the producer
            await asyncio.sleep(0)
        assert buffer.size == 0 and handed_over == []
        for number in (1, 2, 3):
            buffer.put(future_message(number))  # type: ignore[arg-type]  # see above
        flushing = asyncio.ensure_future(buffer.flush())
        for _ in range(5):
            await asyncio.sleep(0)
        assert handed_over == []  # nothing overtakes the first message
        first_may_go.set()
        await asyncio.wait_for(flushing, timeout=5)
        assert handed_over == [0, 1, 2, 3]
    finally:
        first_may_go.set()
        while buffer.size:
            buffer.pending.get_nowait()
        await buffer.stop()


# --- point 5: a failed send stops the commit ----------------------------------------------------


def _recorded_commits(app: faust.App) -> tuple[Any, list[dict[TP, int]], list[BaseException]]:
    """The app's consumer, assigned TP0, with its driver commit and crash recorded (the offsets
    committed, the reasons it crashed for) and a producer flush that returns at once."""
    consumer: Any = app.consumer
    committed: list[dict[TP, int]] = []
    crashed: list[BaseException] = []

    async def flush() -> None:
        pass

    async def driver_commit(offsets: dict[TP, int]) -> bool:
        committed.append(dict(offsets))
        return True

    async def crash(reason: BaseException) -> None:
        crashed.append(reason)

    app.producer.flush = flush  # type: ignore[method-assign]  # the producer is not started
    consumer.assignment = lambda: {TP0}
    consumer._commit = driver_commit  # aiokafka's commit, via the consumer thread
    consumer.crash = crash  # the real one stops the (never started) worker
    return consumer, committed, crashed


async def test_commit_crashes_instead_of_committing_after_a_failed_delivery(
    app: faust.App,
) -> None:
    consumer, committed, crashed = _recorded_commits(app)
    loop = asyncio.get_running_loop()

    # Every send so far delivered: the commit goes ahead.
    delivered: asyncio.Future[Any] = loop.create_future()
    faust_patches.watch_delivery(app, delivered)
    delivered.set_result(None)
    await asyncio.sleep(0)  # done callbacks run on the next loop iteration
    assert await consumer._commit_offsets({TP0: 5}) is True
    assert committed == [{TP0: 5}]

    # A send finally failed: no later commit passes it.
    lost: asyncio.Future[Any] = loop.create_future()
    faust_patches.watch_delivery(app, lost)
    failure = TimeoutError("broker gone")
    lost.set_exception(failure)
    await asyncio.sleep(0)
    assert faust_patches.delivery_failure(app) is failure

    assert await consumer._commit_offsets({TP0: 9}) is False

    assert committed == [{TP0: 5}]
    assert crashed == [failure]
    assert consumer._committed_offset[TP0] == 5


# --- point 6: an agent that crashes stops the commits ------------------------------------------


async def test_commit_crashes_instead_of_committing_after_an_agent_crashed(
    app: faust.App,
) -> None:
    consumer, committed, crashed = _recorded_commits(app)
    assert await consumer._commit_offsets({TP0: 5}) is True

    # Faust's supervisor restarts the agent; the event it held is acknowledged as its stream
    # closes, so a commit now would pass an item no stage finished.
    failure = KeyError("an error outside the pure step")
    agent = SimpleNamespace(app=app, name="story")
    await faust_patches.refuse_commits_after_agent_crash(agent, failure)

    assert await consumer._commit_offsets({TP0: 9}) is False
    assert committed == [{TP0: 5}]
    assert crashed == [failure]


async def test_the_wirewatch_app_refuses_commits_when_any_agent_crashes() -> None:
    # Stock Faust commits right away here (Consumer.on_task_error), passing the crashed event.
    from agents.app import create_app
    from agents.wiring import Wiring
    from streams.metrics import WorkerMetrics
    from streams.pipeline import build_stages
    from streams.settings import load_settings

    settings = load_settings()
    registry = CollectorRegistry()
    wiring = Wiring(settings, WorkerMetrics.create(registry), build_stages(settings))
    app = create_app(settings, wiring)
    names = {agent.name.rsplit(".", 1)[-1] for agent in app.agents.values()}
    assert {"enrich", "story", "alert", "spike", "link"} <= names
    assert app.fetch_max_wait_ms == settings.fetch_max_wait_ms  # used by point 8
    assert app.fetch_min_bytes == settings.fetch_min_bytes  # and this
    assert app.conf.producer_linger == settings.producer_linger_ms / 1000
    consumer: Any = app.consumer
    commits: list[str] = []

    async def commit(*args: Any, **kwargs: Any) -> bool:
        commits.append("commit")
        return True

    consumer.commit = commit
    story = next(agent for agent in app.agents.values() if agent.name.endswith("story"))
    failure = RuntimeError("the index could not be read")
    await app._on_agent_error(story, failure)  # what Agent._execute_actor calls

    assert commits == []
    assert faust_patches.delivery_failure(app) is failure


async def test_a_revoke_commits_what_was_acknowledged_before_it(app: faust.App) -> None:
    # Point 7: the app's revoke handler (which waits for the agents, then commits) must still see
    # the offsets acknowledged before the rebalance; Faust dropped them first, so the partition's
    # next owner processed them again.
    consumer = cast(Any, app.consumer)
    consumer._committed_offset[TP0] = 10
    _ack(consumer, TP0, 10, 11, 12)
    seen_by_handler: list[dict[TP, int]] = []

    async def app_revoke_handler(revoked: set[TP]) -> None:
        seen_by_handler.append(consumer._filter_committable_offsets(revoked))

    consumer._on_partitions_revoked = app_revoke_handler
    await consumer.on_partitions_revoked({TP0})

    assert seen_by_handler == [{TP0: 13}]
    # Dropped afterwards, as Faust does: the partition may now belong to another worker.
    assert TP0 not in consumer._acked
    assert TP0 not in consumer._committed_offset


async def test_the_worker_consumer_holds_a_fetch_only_as_long_as_the_app_says() -> None:
    # Point 8: stock Faust builds its worker consumer with fetch_max_wait_ms=1500, whatever the
    # app says; a fetch of idle partitions then kept the busy ones unread for 1.5 s.
    from agents.app import WirewatchApp

    app: Any = WirewatchApp("wirewatch-unit", broker="kafka://127.0.0.1:1", store="memory://")
    app.fetch_max_wait_ms = 40
    app.fetch_min_bytes = 32768
    kafka_consumer = app.consumer._thread._create_worker_consumer(app.transport)
    try:
        assert kafka_consumer._fetch_max_wait_ms == 40
        # ... and gathers this much first (aiokafka's 1 byte answered at the first record).
        assert kafka_consumer._fetch_min_bytes == 32768
    finally:
        await kafka_consumer._client.close()

    # An app that does not ask (Faust's own) keeps Faust's value.
    plain: Any = faust.App("wirewatch-unit-plain", broker="kafka://127.0.0.1:1", store="memory://")
    stock = plain.consumer._thread._create_worker_consumer(plain.transport)
    try:
        assert stock._fetch_max_wait_ms == 1500
        assert stock._fetch_min_bytes == 1
    finally:
        await stock._client.close()
