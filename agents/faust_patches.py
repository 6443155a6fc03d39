"""Fixes to faust-streaming 0.15.3 that stop a restarted or rebalanced worker from skipping records.

Why this exists (issue 11): under `kill -9` and restart, a worker committed input offsets whose
records no agent had processed, so items silently never reached `articles`. Traced with logging
inside a copy of faust (facts in ../shared/notes/faults-ops-links-facts.md, confirmed by
`tests/faults/`), the skips come from Faust's hand-over from table recovery to processing:

1. `Recovery.on_recovery_completed` and `Recovery._resume_streams` resume the stream partitions
   *before* seeking them to their committed offsets. Records fetched before the seek reach the
   agents, the seek resets the read offset in the middle of that batch, the rest of the batch
   opens a "gap" that later counts as acknowledged, the queued records are cleared when flow
   resumes, and the re-fetch from the committed offset is dropped as already read. Fixed by
   seeking first (`_on_recovery_completed`, `_resume_streams`) and, as a second line, by a seek
   epoch: a batch fetched before a seek is never handed on, and a record delivered while a seek
   ran never moves the read offset (`_getmany`, `_drain_messages`).
2. Faust passes its live, shared set of active partitions to aiokafka's fetch. When recovery ends
   it pauses the changelog partitions, which can empty that set while a fetch is in flight;
   aiokafka reads an empty set as "every partition", hands out records of partitions Faust then
   drops, and (with no committed offset yet) nothing seeks back. Fixed by fetching with a frozen,
   never-empty copy, seeking a partition back to the first record Faust drops, and seeking a
   stream partition with no committed offset to the start (`auto_offset_reset` earliest).
3. `_new_offset` commits a run of acknowledged offsets that starts one past the committed offset,
   so an offset nobody acknowledged could be committed over. Fixed: the run must start at the
   committed offset (gaps Kafka itself leaves, like transaction markers, are still filled from
   Faust's gap tree, which `_add_gap` now lets start at the committed offset).
4. `ProducerBuffer.flush`, which the commit awaits before committing, gives up after 0.1 s without
   progress, so table changelog writes (`send_soon`) could still be queued when the input offset
   was committed: after `kill -9` a table came back older than its input. Fixed: it drains. The
   drain sends queued messages itself while the buffer's own task may still be handing over the
   one it took; the two once reached the producer out of order (seen in a fault-free two-worker
   run: one story's alert-state changelog got revisions 3, 4, then 2, and the worker that took
   the partition over recovered revision 2 and revised the alert from there, so revisions went
   back and two items left the alert). So every hand-over waits for the ones taken before it.
5. A send that finally fails (broker gone longer than the producer's timeout) was only logged and
   the commit went ahead. `watch_delivery` marks the app; the next commit crashes the worker
   instead, so the input is processed again after the restart (`_commit_offsets`).
6. When an agent raises (outside the pure steps, which dead-letter their own failures: a send
   refused at once, a table or index error), Faust commits at once (`App._on_agent_error` calls
   `Consumer.on_task_error`, which commits) and its supervisor restarts the agent; the event the
   agent held was acknowledged as its stream closed, so that commit passed an item no stage
   finished (seen with a store bug: 15 and 116 story-articles missing in a fault run). The
   wirewatch app (`agents.app.WirewatchApp`) calls `refuse_commits_after_agent_crash` instead,
   which marks the app as point 5 does: the worker stops at its next commit and the input is
   processed again when it restarts. A loud restart, never a silent loss.

7. On a rebalance, `Consumer.on_partitions_revoked` drops the revoked partitions' acknowledged
   offsets *before* the app's revoke handler waits for the agents and commits (`wait_empty`), so
   that commit holds only what was acknowledged during the wait: everything processed since the
   last periodic commit (up to `commit_interval`, or all of a worker's work before its first
   one) is processed again by the partition's next owner. Seen as 13-277 duplicated
   story-articles in a fault-free two-worker start (a join during the first seconds). Fixed:
   the offsets are dropped after the handler, so the revoke commit covers every record the
   agents finished. Nothing more is committed than Faust's own handler means to commit (runs
   from the committed offset, after the producer's flush: points 3 to 5).

8. Faust's worker consumer asks the broker to hold a fetch up to 1500 ms when none of its
   partitions has data (`fetch_max_wait_ms=1500`, not a setting). aiokafka leaves out of its next
   fetch every partition it still holds records for, and fetches those again only after that
   fetch returns. So once the agents were slower than the fetcher for a tenth of a second, the
   next fetch covered only the idle partitions and the broker held it the whole 1500 ms, while
   the partitions just read had data waiting: in a latency run at 150 items/s, 22 fetches of
   1.5 s each, and the chain fell behind with a third of a core idle. `_create_worker_consumer`
   sets the wait from `WirewatchApp.fetch_max_wait_ms` (the `fetch_max_wait_ms` setting), and
   the least data a fetch gathers from `WirewatchApp.fetch_min_bytes` (aiokafka's 1 byte
   answered each fetch at the first record: ~125 fetches a second at 120 items/s).

Every replacement keeps Faust's own code and order except for the lines these points change.
`install()` is idempotent and runs before any app is built (`agents.app.create_app`).

To drop this module once upstream fixes the hand-over (faust-streaming issues #216/PR #217,
#221/PR #223, #606 are the same family; 0.15.3 of 2026-08 is the newest release): delete the
`install()` call, upgrade faust-streaming, and run `tests/faults/test_faults.py` and
`tests/unit/test_faust_patches.py`; the fault tests must still report nothing lost.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import AsyncIterator, Mapping
from typing import Any, cast

import faust
from faust.tables.recovery import Recovery
from faust.transport.consumer import CONSUMER_FETCHING, CONSUMER_PARTITIONS_REVOKED, Consumer
from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread
from faust.transport.producer import ProducerBuffer
from faust.types import TP
from faust.utils.tracing import traced_from_parent_span
from mode import Service

log = logging.getLogger(__name__)

FAUST_VERSION_PATCHED = "0.15.3"
_installed = False
# An app whose send finally failed: its next commit must not go ahead (point 5).
_delivery_failures: weakref.WeakKeyDictionary[Any, BaseException] = weakref.WeakKeyDictionary()


def install() -> None:
    """Replace the Faust methods named in the module docstring; a second call does nothing."""
    global _installed
    if _installed:
        return
    if faust.__version__ != FAUST_VERSION_PATCHED:
        # The replacements copy 0.15.3's bodies; on another release they may undo its fixes.
        log.warning(
            "faust-streaming %s is not %s, which agents/faust_patches.py was written for; "
            "re-run tests/faults before trusting it",
            faust.__version__,
            FAUST_VERSION_PATCHED,
        )
    Recovery.on_recovery_completed = _on_recovery_completed  # type: ignore[method-assign]  # patch
    Recovery._resume_streams = _resume_streams  # type: ignore[method-assign]  # patch
    Consumer.perform_seek = _perform_seek  # type: ignore[method-assign]  # patch
    Consumer.seek = _seek  # type: ignore[method-assign]  # patch
    Consumer.getmany = _getmany  # type: ignore[method-assign]  # patch
    Consumer._wait_next_records = _wait_next_records  # type: ignore[method-assign]  # patch
    Consumer._drain_messages = _drain_messages  # type: ignore[method-assign]  # patch
    Consumer._new_offset = _new_offset  # type: ignore[method-assign]  # patch
    Consumer._add_gap = _add_gap  # type: ignore[method-assign]  # patch
    Consumer._commit_offsets = _commit_offsets  # type: ignore[method-assign]  # patch
    Consumer.on_partitions_revoked = _on_partitions_revoked  # type: ignore[method-assign]  # patch
    ProducerBuffer._send_pending = _send_pending  # type: ignore[method-assign]  # patch
    ProducerBuffer.flush = _flush  # type: ignore[method-assign]  # patch
    AIOKafkaConsumerThread._create_worker_consumer = _create_worker_consumer  # type: ignore[method-assign]  # patch
    _installed = True


# --- point 5: a failed send stops the next commit ----------------------------------------------


def watch_delivery(app: Any, future: Any) -> None:
    """Remember it if `future` (a sent message's delivery) fails, so no commit passes it."""

    def delivered(done: asyncio.Future[Any]) -> None:
        if done.cancelled():
            _delivery_failures.setdefault(app, asyncio.CancelledError("send cancelled"))
        elif done.exception() is not None:
            _delivery_failures.setdefault(app, cast(BaseException, done.exception()))

    future.add_done_callback(delivered)


async def refuse_commits_after_agent_crash(agent: Any, exc: BaseException) -> None:
    """What the app does when an agent raises (point 6): no commit may pass the event it held."""
    log.critical(
        "agent %s crashed (%r): not committing again; the worker stops at its next commit and "
        "its input is processed again when it restarts",
        getattr(agent, "name", agent),
        exc,
    )
    _delivery_failures.setdefault(agent.app, exc)


def delivery_failure(app: Any) -> BaseException | None:
    """The first send of `app` that failed, if any."""
    return _delivery_failures.get(app)


async def _commit_offsets(
    self: Consumer, offsets: Mapping[TP, int], start_new_transaction: bool = True
) -> bool:
    # Flush first so every send of the processed records has either been acknowledged or failed.
    await self.app.producer.flush()
    failure = delivery_failure(self.app)
    if failure is not None:
        log.critical(
            "a message could not be delivered or an agent crashed (%r): not committing; the "
            "worker stops and its input is processed again when it restarts",
            failure,
        )
        await self.crash(failure)
        return False
    return await _ORIGINAL_COMMIT_OFFSETS(self, offsets, start_new_transaction)


_ORIGINAL_COMMIT_OFFSETS = Consumer._commit_offsets


# --- point 7: a revoke commits what was acknowledged before it ---------------------------------


@Service.transitions_to(CONSUMER_PARTITIONS_REVOKED)
async def _on_partitions_revoked(self: Consumer, revoked: set[TP]) -> None:
    """Faust 0.15.3's, with the revoked partitions' bookkeeping dropped after the app's handler
    (which waits for the agents and commits) instead of before it."""
    span = self.app._start_span_from_rebalancing("on_partitions_revoked")
    T = traced_from_parent_span(span)
    with span:
        if self._active_partitions is not None:
            self._active_partitions.difference_update(revoked)
        self._paused_partitions.difference_update(revoked)
        try:
            await T(self._on_partitions_revoked, partitions=revoked)(revoked)
        finally:
            for tp in revoked:
                self._gap.pop(tp, None)
                self._acked.pop(tp, None)
                self._acked_index.pop(tp, None)
                self._read_offset.pop(tp, None)
                self._committed_offset.pop(tp, None)


# --- point 1: seek before resuming, and a seek epoch -------------------------------------------


def _epoch(consumer: Consumer) -> int:
    return cast(int, getattr(consumer, "_wirewatch_seek_epoch", 0))


def _bump_epoch(consumer: Consumer) -> None:
    consumer._wirewatch_seek_epoch = _epoch(consumer) + 1  # type: ignore[attr-defined]  # ours


async def _on_recovery_completed(self: Recovery, generation_id: int = 0) -> None:
    consumer = self.app.consumer
    self.log.info("Restore complete!")
    await self.app.on_rebalance_complete.send()
    self._set_recovery_ended()
    callback_coros = [
        asyncio.ensure_future(
            table.on_recovery_completed(
                self.actives_for_table[table], self.standbys_for_table[table]
            )
        )
        for table in self.tables.values()
    ]
    if callback_coros:
        await asyncio.wait(callback_coros)
    assignment = consumer.assignment()
    if self.app.consumer_generation_id != generation_id:
        self.log.warning(
            f"Recovery rebalancing again app id {self.app.consumer_generation_id} "
            f"param {generation_id}"
        )
        return
    if assignment:
        # Seek while the stream partitions are still paused: nothing fetched before the seek
        # can reach an agent (Faust 0.15.3 resumed them first).
        self.log.info("Seek stream partitions to committed offsets.")
        await self._wait(consumer.perform_seek(), timeout=self.app.conf.broker_request_timeout)
    consumer.resume_partitions({tp for tp in assignment if not self._is_changelog_tp(tp)})
    self.completed.set()
    self.log.dev("Resume stream partitions")
    self.app.flow_control.resume()
    consumer.resume_flow()
    await cast(Any, self.app)._fetcher.maybe_start()
    self.tables.on_actives_ready()
    if not self.app.assignor.assigned_standbys():
        self.tables.on_standbys_ready()
    self.app.on_rebalance_end()
    self.log.info("Worker ready")


async def _resume_streams(self: Recovery, generation_id: int = 0) -> None:
    app = self.app
    consumer = app.consumer
    await app.on_rebalance_complete.send()
    assignment = consumer.assignment()
    if self.app.consumer_generation_id != generation_id:
        self.log.warning("Recovery rebalancing again")
        return
    if assignment:
        self.log.info("Seek stream partitions to committed offsets.")
        await self._wait(consumer.perform_seek(), timeout=self.app.conf.broker_request_timeout)
        self.log.dev("Resume stream partitions")
        consumer.resume_partitions({tp for tp in assignment if not self._is_changelog_tp(tp)})
    else:
        self.log.info("Resuming streams with empty assignment")
    self.completed.set()
    self.log.info("Resuming flow...")
    app.flow_control.resume()
    consumer.resume_flow()
    await cast(Any, app)._fetcher.maybe_start()
    self.tables.on_actives_ready()
    self.tables.on_standbys_ready()
    app.on_rebalance_end()
    self.log.info("Worker ready")


async def _perform_seek(self: Consumer) -> None:
    _bump_epoch(self)
    try:
        committed = await self.seek_to_committed()
        # aiokafka seeks only to a committed offset > 0; a stream partition with none stays where
        # an earlier fetch left it, past records nobody processed (point 2).
        uncommitted = [
            tp
            for tp, offset in committed.items()
            if (offset is None or offset <= 0) and not self._is_changelog_tp(tp)
        ]
        thread = getattr(self, "_thread", None)  # the aiokafka driver's consumer thread
        earliest = self.app.conf.consumer_auto_offset_reset == "earliest"
        if uncommitted and earliest and thread is not None:
            await thread.seek_to_beginning(*uncommitted)
        # The read offset is the last offset read: one before the next to read.
        self._read_offset.update(
            {
                tp: offset - 1 if offset is not None and offset > 0 else None
                for tp, offset in committed.items()
            }
        )
        self._committed_offset.update(
            {
                tp: offset if offset else None
                for tp, offset in committed.items()
                if offset is not None
            }
        )
        if uncommitted and earliest and thread is not None:
            # The first offset of the partition is where processing must start: holding it as
            # the committed offset lets `_new_offset` refuse a run that skips it.
            for tp in uncommitted:
                self._committed_offset[tp] = await thread.position(tp)
    finally:
        _bump_epoch(self)


async def _seek(self: Consumer, partition: TP, offset: int) -> None:
    _bump_epoch(self)
    try:
        self.log.dev("SEEK %r -> %r", partition, offset)
        await self._seek(partition, offset)
        self._read_offset[partition] = offset - 1 if offset and offset > 0 else None
    finally:
        _bump_epoch(self)


async def _wait_next_records(
    self: Consumer, timeout: float
) -> tuple[Mapping[TP, Any] | None, set[TP] | None]:
    if not self.flow_active:
        await self.wait(self.can_resume_flow)  # type: ignore[arg-type]  # as Faust does
    try:
        self.not_waiting_next_records.set()
        if self.app.client_only:
            return await self._getmany(active_partitions=None, timeout=timeout), None
        active_partitions = self._get_active_partitions()
        # A frozen copy: aiokafka keeps using the set while the fetch is in flight, and reads an
        # empty one as "every partition" (point 2).
        requested = frozenset(active_partitions)
        if not requested:
            await self.sleep(1)
            return {}, active_partitions
        records = await self._getmany(active_partitions=cast(Any, requested), timeout=timeout)
        return records, active_partitions
    finally:
        self.not_waiting_next_records.set()


async def _getmany(self: Consumer, timeout: float) -> AsyncIterator[tuple[TP, Any]]:
    epoch = _epoch(self)
    records, active_partitions = await self._wait_next_records(timeout)
    generation_id = self.app.consumer_generation_id
    if records is None or self.should_stop:
        return
    if _epoch(self) != epoch:
        # A seek ran while this batch was fetched: it is from before the seek, which re-reads
        # from the committed offset.
        return
    dropped: dict[TP, int] = {}
    to_message = self._to_message
    if self.flow_active:
        for tp, record in self.scheduler.iterate(records):
            if (
                not self.flow_active
                or self.app.consumer_generation_id != generation_id
                or _epoch(self) != epoch
            ):
                # A rebalance or a seek follows; it moves the position back to what was committed.
                break
            if (
                active_partitions is None
                or tp in active_partitions
                or tp in self._buffered_partitions
            ):
                self.app.monitor.track_tp_end_offset(tp, self.highwater(tp))
                yield tp, to_message(tp, record)
            else:
                dropped.setdefault(tp, record.offset)
        for tp, offset in dropped.items():
            # Paused after the fetch began: aiokafka already moved past these records; put its
            # position back so they are read when the partition resumes.
            if _epoch(self) == epoch and tp in self.assignment():
                await self._seek(tp, offset)
    else:
        self.log.dev("getmany called while flow not active. Seek back to committed offsets.")
        try:
            await self.perform_seek()
        except Exception as ex:
            self.log.warning(f"exception performing seek when flow not active {ex}")


async def _drain_messages(self: Consumer, fetcher: Any) -> None:  # pragma: no cover
    callback = self.callback
    getmany = self.getmany
    consumer_should_stop = cast(Any, self)._stopped.is_set
    fetcher_should_stop = fetcher._stopped.is_set
    get_read_offset = self._read_offset.__getitem__
    set_read_offset = self._read_offset.__setitem__
    commit_every = self._commit_every
    acks_enabled_for = self.app.topics.acks_enabled_for
    yield_every = 100
    num_since_yield = 0
    try:
        while not (consumer_should_stop() or fetcher_should_stop()):
            self.diag.set_flag(CONSUMER_FETCHING)
            ait = cast(AsyncIterator[tuple[TP, Any]], getmany(timeout=1.0))
            await self.sleep(0)
            if not self.should_stop:
                async for tp, message in ait:
                    num_since_yield += 1
                    if num_since_yield > yield_every:
                        await asyncio.sleep(0)
                        num_since_yield = 0
                    offset = message.offset
                    r_offset = get_read_offset(tp)
                    if r_offset is None or offset > r_offset:
                        # Offsets Kafka skipped (transaction markers, compaction) count as done.
                        skipped = r_offset is not None and offset - r_offset > 1
                        if skipped and acks_enabled_for(message.topic):
                            await self._add_gap(tp, cast(int, r_offset) + 1, offset - 1)
                        if commit_every is not None and self._n_acked >= commit_every:
                            self._n_acked = 0
                            await self.commit()
                        epoch = _epoch(self)
                        await self.wait_first(callback(message), self.suspend_flow.wait())
                        if _epoch(self) != epoch:
                            # Sought while this record was being handed on: the seek's read
                            # offset stands, and the record is read again after it.
                            continue
                        set_read_offset(tp, offset)
                    else:
                        self.log.dev("DROPPED MESSAGE ROFF %r: k=%r", offset, message.key)
                self.diag.unset_flag(CONSUMER_FETCHING)
    except self.consumer_stopped_errors:
        if self.transport.app.should_stop:
            self.log.info("Broker stopped consumer, shutting down...")
            return
        raise
    except asyncio.CancelledError:
        if self.transport.app.should_stop:
            self.log.info("Consumer shutting down for user cancel.")
            return
        raise
    except Exception as exc:
        self.log.exception("Drain messages raised: %r", exc)
        raise
    finally:
        self.diag.unset_flag(CONSUMER_FETCHING)


# --- point 3: commit only a run that starts at the committed offset -----------------------------


async def _add_gap(self: Consumer, tp: TP, offset_from: int, offset_to: int) -> None:
    """Mark offsets [offset_from, offset_to] as skipped by Kafka (acknowledged by nobody)."""
    committed = self._committed_offset[tp]
    gap_for_tp = self._gap[tp]
    if committed is not None:
        # The committed offset is the next one to read, so the gap may start there.
        offset_from = max(offset_from, committed)
    if offset_from <= offset_to:
        gap_for_tp.addi(offset_from, offset_to + 1)
        await asyncio.sleep(0)
        gap_for_tp.merge_overlaps()


def _new_offset(self: Consumer, tp: TP) -> int | None:
    acked = self._acked[tp]
    if not acked:
        return None
    max_offset = max(acked)
    gap_for_tp = self._gap[tp]
    if gap_for_tp:
        candidates = sorted(gap_for_tp.overlap(0, max_offset), key=lambda x: x.begin)
        if candidates:
            skipped: list[int] = []
            for entry in candidates:
                skipped.extend(range(entry.begin, entry.end))
            acked.extend(skipped)
            gap_for_tp.chop(0, max(skipped[-1], max_offset + 1))
    acked.sort()
    committed_offset = self._committed_offset[tp]
    if committed_offset is not None and acked[0] > committed_offset:
        # The next offset to commit was never acknowledged: wait for it (Faust 0.15.3 let a
        # run starting one past it commit).
        return None
    batch = _first_run(acked)
    acked[: len(batch)] = []
    self._acked_index[tp].difference_update(batch)
    return batch[-1] + 1


def _first_run(sorted_offsets: list[int]) -> list[int]:
    """The leading run of consecutive numbers (duplicates allowed) of a sorted list."""
    run = [sorted_offsets[0]]
    for offset in sorted_offsets[1:]:
        if offset > run[-1] + 1:
            break
        run.append(offset)
    return run


# --- point 4: the commit's flush drains the producer buffer -------------------------------------

_ORIGINAL_SEND_PENDING = ProducerBuffer._send_pending


async def _send_pending(self: ProducerBuffer, fut: Any) -> None:
    """Hand one buffered message to the producer, strictly after every message taken off the
    queue before it, whichever task took it (the buffer's own or a flush)."""
    self._wirewatch_in_flight = getattr(self, "_wirewatch_in_flight", 0) + 1  # type: ignore[attr-defined]  # ours
    lock = getattr(self, "_wirewatch_hand_over", None)
    if lock is None:
        lock = self._wirewatch_hand_over = asyncio.Lock()  # type: ignore[attr-defined]  # ours
    try:
        # Taking a message off the queue and asking for the lock happen in one step of the task
        # (no await between them), and asyncio's Lock serves its waiters first come, first
        # served: messages reach the producer in the order they were buffered.
        async with lock:
            await _ORIGINAL_SEND_PENDING(self, fut)
    finally:
        self._wirewatch_in_flight -= 1  # type: ignore[attr-defined]  # ours


async def _flush(self: ProducerBuffer) -> None:
    """Send every buffered message to the producer, including one being sent right now."""
    if self.app is not None and self.app.conf.producer_threaded:
        await self.flush_atmost(None)  # not used by wirewatch; Faust's own path
        return
    while True:
        if self.size:
            await self._send_pending(self.pending.get_nowait())
        elif getattr(self, "_wirewatch_in_flight", 0):
            # The buffer's own task took a message off the queue and is handing it over.
            await asyncio.sleep(0.001)
        else:
            return


# --- point 8: the broker holds a fetch for the app's fetch_max_wait_ms, not 1500 ms -------------

_stock_create_worker_consumer = AIOKafkaConsumerThread._create_worker_consumer


def _create_worker_consumer(self: AIOKafkaConsumerThread, transport: Any) -> Any:
    consumer = _stock_create_worker_consumer(self, transport)
    wait_ms = getattr(self.app, "fetch_max_wait_ms", None)
    if wait_ms is not None:
        # Read when the consumer starts, where aiokafka builds its fetcher from it.
        consumer._fetch_max_wait_ms = int(wait_ms)
    min_bytes = getattr(self.app, "fetch_min_bytes", None)
    if min_bytes is not None:
        consumer._fetch_min_bytes = int(min_bytes)  # read there too
    return consumer
