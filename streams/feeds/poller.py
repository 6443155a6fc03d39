"""The poller process: owns a share of the registered feeds, polls each when due, emits entries.

Assignment: every poller joins one consumer group on the compacted feeds topic, so each registry
partition, and with it each feed, belongs to exactly one poller; Kafka rebalances when a poller
joins or leaves. On assignment a poller reads the co-partitioned feed-state partitions (validators,
schedule, seen-set) and continues where the previous owner stopped. Registrations that arrive
later (`wirewatch feeds add|remove`) are picked up by the same consumer, without a restart.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import dataclasses
import functools
import json
import logging
import multiprocessing
import random
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import (
    CorruptRecordException,
    KafkaError,
    MessageSizeTooLargeError,
    RecordListTooLargeError,
)

from streams.codec import (
    Headers,
    decode_feed_registration,
    decode_feed_state,
    encode_record,
    message_headers,
)
from streams.deadletter import make_dead_letter, record_outcome
from streams.errors import DecodeError, FeedError
from streams.feeds.http import FetchConfig, Fetcher, FetchError, FetchResponse, Validators
from streams.feeds.netguard import AddressPolicy
from streams.feeds.parse import FeedSource, ParsedFeed, parse_feed
from streams.feeds.polling import (
    MAX_LISTED_ENTRIES,
    Selection,
    fit_entry,
    forget_undelivered,
    select_entries,
    state_after_failure,
    state_after_success,
    state_for_registration,
)
from streams.feeds.registry import read_partitions
from streams.feeds.schedule import (
    ScheduleConfig,
    initial_interval,
    plan_after_backlog,
    plan_after_failure,
    plan_after_success,
)
from streams.health import (
    BROKER_PROBE_INTERVAL_SECONDS,
    BROKER_PROBE_TIMEOUT_SECONDS,
    PollerHealth,
)
from streams.kafka.admin import probe_brokers
from streams.kafka.lag import watch_group_lag
from streams.kafka.security import client_options
from streams.kafka.topics import DEAD_LETTERS, FEED_STATE, FEEDS, RAW_ITEMS
from streams.metrics import PollerMetrics, status_label
from streams.records import DeadLetter, FeedRegistration, FeedState, RawItem, SeenEntry, Stage
from streams.settings import Settings

log = logging.getLogger(__name__)

MAX_DEAD_LETTER_BODY = 256 * 1024
SCHEDULER_TICK_SECONDS = 1.0
# Under the consumer's rebalance timeout, over a typical fetch plus parse.
HANDOVER_GRACE_SECONDS = 10.0
# Kafka's answers about one record, not about reaching Kafka: the same entry fails the same way
# on every try, so it is dead-lettered instead of retried. Anything else (timeouts, lost
# connections, leader changes, authorisation) leaves the entry to be sent again by a later poll.
ENTRY_ERRORS: tuple[type[Exception], ...] = (
    ValueError,  # not encodable, or over the entry budget even when cut (streams.feeds.polling)
    MessageSizeTooLargeError,
    RecordListTooLargeError,
    CorruptRecordException,
)


def schedule_config(settings: Settings) -> ScheduleConfig:
    """The poll schedule the settings ask for."""
    return ScheduleConfig(
        min_interval=settings.min_poll_interval_seconds,
        max_interval=settings.max_poll_interval_seconds,
        default_interval=min(
            max(settings.poll_interval_seconds, settings.min_poll_interval_seconds),
            settings.max_poll_interval_seconds,
        ),
        backoff_base=settings.backoff_base_seconds,
        backoff_max=settings.backoff_max_seconds,
    )


def fetch_config(settings: Settings) -> FetchConfig:
    """The HTTP behaviour the settings ask for."""
    return FetchConfig(
        user_agent=settings.user_agent,
        connect_timeout=min(settings.http_timeout_seconds, 10.0),
        read_timeout=settings.http_timeout_seconds,
        total_timeout=settings.http_timeout_seconds * 1.5,
        max_body_bytes=settings.max_feed_bytes,
        max_concurrency=settings.max_concurrent_fetches,
        max_per_host=settings.max_fetches_per_host,
        policy=AddressPolicy.from_strings(settings.allowed_networks),
        allow_file=settings.allow_file_urls,
    )


def poller_group(settings: Settings) -> str:
    """The pollers' consumer group on the feeds topic."""
    return f"{settings.app_id}-pollers"


@dataclass
class BrokerWatch:
    """The poller's view of the broker: each probe's answer goes to its gauge and /readyz."""

    health: PollerHealth

    async def run(self, client: Any, stop: asyncio.Event) -> None:
        """Probe the broker every few seconds until `stop`."""
        while not stop.is_set():
            try:
                connected = await probe_brokers(client, BROKER_PROBE_TIMEOUT_SECONDS)
            except Exception:
                # A probe bug must show as a broker not reached, never stop the poller.
                log.warning("broker probe failed", exc_info=True)
                connected = False
            self.health.record_probe(connected, time.monotonic())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), BROKER_PROBE_INTERVAL_SECONDS)


async def run_poller_service(
    settings: Settings,
    metrics: PollerMetrics,
    stop: asyncio.Event,
    health: PollerHealth | None = None,
) -> None:
    """Follow the registry and poll owned feeds until `stop`; flush everything on the way out."""
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.broker,
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        **client_options(settings),
    )
    await producer.start()
    fetcher = Fetcher(fetch_config(settings))
    parser = parser_pool(settings.parse_workers)
    service = PollerService(settings, fetcher, producer, metrics, parser=parser)
    watching = []
    if health is not None:
        # The broker probe (gauge and /readyz) and the group's lag, beside the polling.
        watching = [
            BrokerWatch(health).run(producer.client, stop),
            watch_group_lag(settings, poller_group(settings), lambda: [FEEDS.name(settings)],
                            health.metrics.group_lag, stop),
        ]  # fmt: skip
    try:
        await asyncio.gather(
            follow_registry(service, stop, health), service.run_scheduler(stop), *watching
        )
    finally:
        if parser is not None:
            parser.shutdown(wait=False, cancel_futures=True)
        for task in list(service.in_flight.values()):
            task.cancel()
        await asyncio.gather(*service.in_flight.values(), return_exceptions=True)
        await fetcher.aclose()
        await producer.stop()  # flushes what is still buffered
        if parser is not None:
            await close_parser_pool(parser)


# How long a stopping poller waits for its parser processes to finish the parse at hand.
PARSER_POOL_CLOSE_SECONDS = 5.0


async def close_parser_pool(
    pool: concurrent.futures.Executor, timeout_seconds: float = PARSER_POOL_CLOSE_SECONDS
) -> None:
    """Wait, in a thread and for `timeout_seconds` at most, until the pool's processes and its
    management thread have ended; then terminate any process still parsing.

    A pool only told to shut down without waiting is left to the interpreter's exit handler,
    which can race the pool's own thread closing its wake-up pipe and print "OSError: [Errno 9]
    Bad file descriptor" from `threading._shutdown` to stderr, outside the log format (seen once
    in a test run of a poller stopping)."""
    try:
        await asyncio.wait_for(asyncio.to_thread(pool.shutdown, True), timeout_seconds)
    except TimeoutError:
        processes = getattr(pool, "_processes", None) or {}
        for process in list(processes.values()):
            process.terminate()


def parser_pool(workers: int) -> concurrent.futures.Executor | None:
    """Processes that parse feed documents, or None to parse in a thread of this process.

    feedparser is pure Python (about 10 ms for a 20-entry feed) and holds the GIL: in a thread it
    starves the event loop that talks HTTP and Kafka. Worker processes are started with "spawn",
    not fork: forking a process with a running event loop and client threads is unsafe.
    """
    if workers <= 0:
        return None
    context = multiprocessing.get_context("spawn")
    return concurrent.futures.ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=_leave_interrupts_to_the_poller
    )


def _leave_interrupts_to_the_poller() -> None:
    # Ctrl-C reaches the whole process group; the poller shuts its pool down itself, and a
    # worker that also reacted would only print a KeyboardInterrupt traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def describe_entry(item: RawItem, max_bytes: int = MAX_DEAD_LETTER_BODY) -> tuple[bytes, bool]:
    """The entry as ASCII JSON with escapes, for the dead letter of an entry that cannot be sent,
    cut to `max_bytes` (then no longer valid JSON) so the dead letter itself fits in Kafka; and
    whether it was cut."""
    text = json.dumps(dataclasses.asdict(item), default=str, ensure_ascii=True).encode()
    return text[:max_bytes], len(text) > max_bytes


def is_entry_error(error: BaseException) -> bool:
    """Whether a failure to send an entry is the entry's own (see ENTRY_ERRORS)."""
    return isinstance(error, ENTRY_ERRORS)


@dataclass(frozen=True, slots=True)
class Delivery:
    """What became of the entries one poll selected."""

    delivered: int  # sent to raw-items, or dead-lettered
    undelivered: frozenset[str]  # item ids Kafka did not take: a later poll sends them again
    error: str | None  # the first reason Kafka gave for an undelivered entry


class PollerService:
    """Polls the feeds of the registry partitions this process owns."""

    def __init__(
        self,
        settings: Settings,
        fetcher: Fetcher,
        producer: AIOKafkaProducer,
        metrics: PollerMetrics,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.time,
        parser: concurrent.futures.Executor | None = None,
    ) -> None:
        self.settings = settings
        self.fetcher = fetcher
        self.producer = producer
        self.metrics = metrics
        self.rng = rng or random.Random()
        self.clock = clock
        # None: the loop's default thread pool, which still holds the GIL while feedparser runs.
        self.parser = parser
        self.schedule = schedule_config(settings)
        self.feeds: dict[str, FeedRegistration] = {}
        self.states: dict[str, FeedState] = {}
        self.partition_of: dict[str, int] = {}
        self.in_flight: dict[str, asyncio.Task[None]] = {}
        self.wake = asyncio.Event()
        # aiokafka may hand out a new partition's records before the rebalance listener has
        # loaded its state: registrations wait here until their partition's state is in.
        self.loaded: dict[int, asyncio.Event] = {}
        self.owned: set[int] = set()
        self.observers: set[asyncio.Task[None]] = set()  # referenced so they are not collected

    # --- ownership ------------------------------------------------------------------------------

    async def take(self, partitions: set[TopicPartition]) -> None:
        """Load the state of newly assigned partitions; their registrations follow in the stream."""
        numbers = {tp.partition for tp in partitions}
        self.owned |= numbers
        for number in numbers:
            self.loaded.setdefault(number, asyncio.Event())
        state_partitions = [
            TopicPartition(FEED_STATE.name(self.settings), number) for number in numbers
        ]
        loaded = await read_partitions(self.settings, state_partitions, decode_feed_state)
        self.states.update(loaded)
        for number in numbers:
            self.loaded[number].set()
        log.info("took %d registry partitions, %d feed states", len(partitions), len(loaded))

    async def release(self, partitions: set[TopicPartition]) -> None:
        """Stop polling the feeds of revoked partitions; their state stays in Kafka."""
        revoked = {tp.partition for tp in partitions}
        self.owned -= revoked
        for number in revoked:
            event = self.loaded.pop(number, None)
            if event is not None:
                event.set()  # a registration waiting for it finds the partition gone
        leaving = [f for f, p in self.partition_of.items() if p in revoked]
        # Let polls already under way finish (their entries and state then go out together),
        # so the next owner neither repeats nor misses them; cancel what outlasts the grace.
        running = [self.in_flight[f] for f in leaving if f in self.in_flight]
        if running:
            await asyncio.wait(running, timeout=HANDOVER_GRACE_SECONDS)
        for feed_id in leaving:
            await self._forget(feed_id)
        # The next owner (maybe this process again) reads the state back from Kafka.
        await self.producer.flush()
        # States loaded for partitions whose registrations never arrived go too.
        for feed_id in [f for f in self.states if f not in self.feeds]:
            del self.states[feed_id]

    async def _forget(self, feed_id: str) -> None:
        task = self.in_flight.pop(feed_id, None)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.feeds.pop(feed_id, None)
        self.states.pop(feed_id, None)
        self.partition_of.pop(feed_id, None)

    async def on_registration(
        self, partition: int, feed_id: str, registration: FeedRegistration | None
    ) -> None:
        """Apply one record of the feeds topic: a registration, or a removal (None)."""
        await self.loaded.setdefault(partition, asyncio.Event()).wait()
        if partition not in self.owned:
            return
        if registration is None:
            if feed_id in self.feeds:
                log.info("feed %s removed", feed_id)
            await self._forget(feed_id)
            return
        interval = initial_interval(self.schedule, registration.interval_seconds)
        state = state_for_registration(
            registration, self.states.get(feed_id), interval, self.clock()
        )
        self.feeds[feed_id] = registration
        self.states[feed_id] = state
        self.partition_of[feed_id] = partition
        self.wake.set()

    # --- scheduling -----------------------------------------------------------------------------

    def due_feeds(self, now: float) -> list[str]:
        """Feeds whose next poll is due, not disabled and not already being polled."""
        return [
            feed_id
            for feed_id, state in self.states.items()
            if feed_id in self.feeds
            and feed_id not in self.in_flight
            and state.disabled_reason is None
            and state.next_due_at <= now
        ]

    async def run_scheduler(self, stop: asyncio.Event) -> None:
        """Start a poll for every due feed; sleep until one is due or the registry changes."""
        while not stop.is_set():
            now = self.clock()
            due = self.due_feeds(now)
            if due:
                started = time.perf_counter()
                tasks = [self._start(feed_id) for feed_id in due]
                observer = asyncio.create_task(self._observe_round(tasks, started))
                self.observers.add(observer)
                observer.add_done_callback(self.observers.discard)
            self._update_gauges()
            waiting = [s.next_due_at for f, s in self.states.items() if f not in self.in_flight]
            sleep = min([SCHEDULER_TICK_SECONDS, *(t - now for t in waiting)])
            self.wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), timeout=max(sleep, 0.05))

    def _start(self, feed_id: str) -> asyncio.Task[None]:
        task = asyncio.create_task(self.poll(feed_id))
        self.in_flight[feed_id] = task
        task.add_done_callback(lambda _: self._finished(feed_id, task))
        return task

    def _finished(self, feed_id: str, task: asyncio.Task[None]) -> None:
        # No wake-up here: a polled feed is next due an interval away, and waking the scheduler
        # (a pass over every feed) once per finished poll made a 10,000-feed round quadratic.
        if self.in_flight.get(feed_id) is task:
            del self.in_flight[feed_id]

    async def _observe_round(self, tasks: list[asyncio.Task[None]], started: float) -> None:
        await asyncio.gather(*tasks, return_exceptions=True)
        self.metrics.poll_round_duration.observe(time.perf_counter() - started)
        log.info("poll round done: %d feeds in %.2f s", len(tasks), time.perf_counter() - started)

    def _update_gauges(self) -> None:
        self.metrics.feeds_owned.set(len(self.feeds))
        self.metrics.feeds_in_backoff.set(
            sum(
                1
                for state in self.states.values()
                if state.consecutive_failures and state.disabled_reason is None
            )
        )

    # --- one poll -------------------------------------------------------------------------------

    async def poll(self, feed_id: str) -> None:
        """Poll one feed; whatever goes wrong is kept on the feed's state and backs it off."""
        try:
            await self._poll(feed_id)
        except asyncio.CancelledError:
            raise
        except KafkaError as exc:
            # The broker, not the feed or a bug: a line without a traceback (one per feed per
            # poll during an outage, rate-limited by streams.lograte), and the feed backs off.
            log.warning("feed %s: Kafka unavailable: %s: %s", feed_id, type(exc).__name__, exc)
            await self._keep_failure(feed_id, f"Kafka unavailable: {type(exc).__name__}: {exc}")
        except Exception as exc:  # a bug or a dead parser process must not spin this feed
            log.exception("feed %s: unexpected failure", feed_id)
            if isinstance(exc, concurrent.futures.process.BrokenProcessPool):
                # A parser process died (killed, out of memory): start a new pool for the rest.
                self.parser = parser_pool(self.settings.parse_workers)
            await self._keep_failure(feed_id, f"internal error: {type(exc).__name__}: {exc}")

    async def _keep_failure(self, feed_id: str, error: str) -> None:
        state = self.states.get(feed_id)
        if state is not None:
            failed = self._failed(state, error, datetime.now(UTC), self.clock(), None)
            # Kept in memory even when Kafka cannot take it, so the back-off holds.
            with contextlib.suppress(Exception):
                await self._store(feed_id, failed)

    async def _poll(self, feed_id: str) -> None:
        registration, state = self.feeds[feed_id], self.states[feed_id]
        fetched_at, now = datetime.now(UTC), self.clock()
        started = time.perf_counter()
        try:
            response = await self.fetcher.fetch(
                state.url, Validators(state.etag, state.last_modified)
            )
        except FetchError as exc:
            self._count_fetch(str(exc.kind), "none", time.perf_counter() - started, 0)
            await self._store(
                feed_id, self._failed(state, str(exc), fetched_at, now, retry_after=None)
            )
            return
        elapsed = time.perf_counter() - started
        if response.status == 304:
            self._count_fetch("not_modified", "304", elapsed, response.wire_bytes)
            await self._store(
                feed_id, self._succeeded(state, response, None, fetched_at, now, 0, None)
            )
            return
        if response.body is None or not 200 <= response.status < 300:
            await self._store(feed_id, self._http_failure(state, response, fetched_at, now))
            return
        source = FeedSource(
            url=response.url,
            name=registration.name or "",
            feed_id=feed_id,
            language_hint=registration.language,
        )
        try:
            parsed = await asyncio.get_running_loop().run_in_executor(
                self.parser,
                functools.partial(
                    parse_feed,
                    response.body,
                    source,
                    fetched_at,
                    response.content_type,
                    max_entries=MAX_LISTED_ENTRIES,
                ),
            )
        except FeedError as exc:
            self._count_fetch("parse_error", status_label(response.status), elapsed,
                              response.wire_bytes)  # fmt: skip
            await self._dead_letter_document(registration, response, exc, fetched_at)
            await self._store(feed_id, self._failed(state, str(exc), fetched_at, now, None))
            return
        self._count_fetch("ok", status_label(response.status), elapsed, response.wire_bytes)
        for warning in parsed.warnings:
            log.info("feed %s: %s", feed_id, warning)
        if parsed.dropped_entries:
            self.metrics.feed_items_over_limit.inc(parsed.dropped_entries)
            log.warning(
                "feed %s lists more entries than a feed's state can remember: the %d after the "
                "first %d are not sent", feed_id, parsed.dropped_entries, MAX_LISTED_ENTRIES,
            )  # fmt: skip
        selection = select_entries(
            parsed.items, state.seen, now, self.settings.seen_retention_seconds,
            max_emit=self.settings.max_entries_per_poll,
        )  # fmt: skip
        self.metrics.items_received.labels(Stage.POLL).inc(len(parsed.items))
        self.metrics.feed_items_suppressed.inc(selection.suppressed)
        self.metrics.feed_items_held_back.labels("cap").inc(selection.held_back)
        delivery = await self._emit_entries(feed_id, state.url, selection)
        seen = forget_undelivered(selection.seen, delivery.undelivered, state.seen)
        if delivery.undelivered:
            self.metrics.feed_items_held_back.labels("kafka").inc(len(delivery.undelivered))
            # The feed is fine; Kafka is not. Keep what was delivered, retry the rest after the
            # back-off with the old validators (a 304 cannot hide the entries not yet sent).
            partial = dataclasses.replace(
                state, seen=seen, items_seen=state.items_seen + delivery.delivered
            )
            error = (
                f"Kafka did not take {len(delivery.undelivered)} of {len(selection.emit)} "
                f"entries, to be sent again: {delivery.error}"
            )
            await self._store(feed_id, self._failed(partial, error, fetched_at, now, None))
            return
        if selection.held_back:
            log.info(
                "feed %s: sent %d entries, %d held back for the next poll (max_entries_per_poll)",
                feed_id, len(selection.emit), selection.held_back,
            )  # fmt: skip
        succeeded = self._succeeded(
            state, response, parsed, fetched_at, now, delivery.delivered, seen,
            backlog=selection.held_back > 0,
        )  # fmt: skip
        await self._store(feed_id, succeeded)

    async def _emit_entries(self, feed_id: str, feed_url: str, selection: Selection) -> Delivery:
        """Send the selected entries, each within the entry budget, and wait for Kafka's answer
        on each: one entry that cannot be sent becomes a dead letter, not a failed feed."""
        topic = RAW_ITEMS.name(self.settings)
        letters: list[tuple[RawItem, BaseException]] = []
        sent: list[tuple[RawItem, bool, asyncio.Future[Any]]] = []
        undelivered: set[str] = set()
        error: str | None = None
        for item in selection.emit:
            if error is not None:
                # Kafka refused one for its own reasons; each further send would wait out the
                # same timeout, so the rest are left for the next poll too.
                undelivered.add(item.item_id)
                continue
            try:
                fitted = fit_entry(item)
            except ValueError as exc:
                letters.append((item, exc))
                continue
            future = await self._queue(
                topic, fitted.value, item.item_id.encode(), message_headers(fitted.item)
            )
            refusal = future.exception() if future.done() else None
            if refusal is not None and not is_entry_error(refusal):
                error = _describe_error(refusal)
            sent.append((fitted.item, fitted.truncated, future))
        results = await asyncio.gather(*(future for _, _, future in sent), return_exceptions=True)
        delivered = 0
        for (item, truncated, _), result in zip(sent, results, strict=True):
            if not isinstance(result, BaseException):
                delivered += 1
                record_outcome(self.metrics, Stage.POLL)
                self.metrics.feed_items_emitted.labels("update" if item.is_update else "new").inc()
                self.metrics.feed_items_truncated.inc(int(truncated))
            elif is_entry_error(result):
                letters.append((item, result))
            else:
                undelivered.add(item.item_id)
                error = error or _describe_error(result)
        dead = await self._dead_letter_entries(feed_id, feed_url, letters)
        for item, _ in letters:
            if item.item_id in dead:
                undelivered.add(item.item_id)
                error = error or dead[item.item_id]
        return Delivery(delivered + len(letters) - len(dead), frozenset(undelivered), error)

    async def _dead_letter_entries(
        self, feed_id: str, feed_url: str, letters: list[tuple[RawItem, BaseException]]
    ) -> dict[str, str]:
        """Send a DeadLetter for each entry; returns the ones Kafka did not take, with why."""
        futures = []
        made = []
        for item, exc in letters:
            payload, cut = describe_entry(item)
            extra = {"feed_url": feed_url, "feed_id": feed_id}
            if cut:
                extra["payload_truncated"] = "true"
            letter = make_dead_letter(Stage.POLL, payload, exc, datetime.now(UTC), extra=extra)
            letter = dataclasses.replace(letter, item_id=item.item_id)
            log.warning("feed %s: entry %s dead-lettered: %s", feed_id, item.item_id, exc)
            made.append(letter)
            futures.append(await self._send_dead_letter(letter))
        results = await asyncio.gather(*futures, return_exceptions=True)
        failed: dict[str, str] = {}
        for letter, result in zip(made, results, strict=True):
            if isinstance(result, BaseException):
                failed[cast(str, letter.item_id)] = _describe_error(result)
            else:
                record_outcome(self.metrics, Stage.POLL, letter)
        return failed

    async def _queue(
        self, topic: str, value: bytes, key: bytes | None, headers: Headers
    ) -> asyncio.Future[Any]:
        """Hand one message to the producer; the future holds Kafka's answer, or the refusal."""
        try:
            future: asyncio.Future[Any] = await self.producer.send(
                topic, value, key=key, headers=headers
            )
        except KafkaError as exc:
            # Refused before it was queued (over the producer's max_request_size, or no topic
            # metadata): the same outcome as a failed delivery, decided in one place.
            future = asyncio.get_running_loop().create_future()
            future.set_exception(exc)
        return future

    def _succeeded(
        self,
        state: FeedState,
        response: FetchResponse,
        parsed: ParsedFeed | None,
        fetched_at: datetime,
        now: float,
        count: int,
        seen: tuple[SeenEntry, ...] | None,
        backlog: bool = False,
    ) -> FeedState:
        registration = self.feeds[state.feed_id]
        ttl = parsed.ttl_seconds if parsed is not None else None
        plan = plan_after_success(
            now,
            state.interval_seconds,
            count > 0,
            self.schedule,
            self.rng,
            feed_interval=registration.interval_seconds,
            ttl=ttl,
            max_age=response.max_age_seconds,
        )
        if backlog:
            plan = plan_after_backlog(
                now, plan.interval, self.schedule, ttl=ttl, max_age=response.max_age_seconds
            )
        # With entries held back, the next request must not be conditional: an unchanged
        # document would answer 304 and the held-back entries would never be parsed again.
        return state_after_success(
            state,
            url=response.permanent_url or state.url,
            etag=None if backlog else response.validators.etag,
            last_modified=None if backlog else response.validators.last_modified,
            interval=plan.interval,
            next_due_at=plan.next_due,
            fetched_at=fetched_at,
            new_entries=count,
            seen=seen,
        )

    def _failed(
        self,
        state: FeedState,
        error: str,
        failed_at: datetime,
        now: float,
        retry_after: float | None,
        disabled_reason: str | None = None,
    ) -> FeedState:
        plan = plan_after_failure(
            now,
            state.interval_seconds,
            state.consecutive_failures + 1,
            self.schedule,
            self.rng,
            retry_after=retry_after,
        )
        log.warning("feed %s failed: %s", state.feed_id, error)
        return state_after_failure(
            state,
            error=error,
            failed_at=failed_at,
            next_due_at=plan.next_due,
            disabled_reason=disabled_reason,
        )

    def _http_failure(
        self, state: FeedState, response: FetchResponse, fetched_at: datetime, now: float
    ) -> FeedState:
        status = response.status
        label = status_label(status)
        if status == 410:
            self._count_fetch("gone", label, response.elapsed_seconds, response.wire_bytes)
            return self._failed(
                state, f"HTTP 410 Gone from {response.url}", fetched_at, now, None,
                disabled_reason="HTTP 410 Gone: the publisher removed this feed",
            )  # fmt: skip
        outcome = "throttled" if status in (429, 503) else "http_error"
        self._count_fetch(outcome, label, response.elapsed_seconds, response.wire_bytes)
        return self._failed(
            state, f"HTTP {status} from {response.url}", fetched_at, now,
            response.retry_after_seconds,
        )  # fmt: skip

    def _count_fetch(self, outcome: str, status: str, elapsed: float, wire_bytes: int) -> None:
        self.metrics.feed_fetches.labels(outcome, status).inc()
        self.metrics.feed_fetch_duration.labels(outcome).observe(elapsed)
        self.metrics.feed_bytes.inc(wire_bytes)

    async def _store(self, feed_id: str, state: FeedState) -> None:
        """Keep the new state, unless the feed was removed or moved while it was polled."""
        if feed_id not in self.feeds:
            return
        self.states[feed_id] = state
        future = await self._queue(
            FEED_STATE.name(self.settings), encode_record(state), feed_id.encode(),
            message_headers(state),
        )  # fmt: skip
        # Not awaited: the poll is done, and the next poll's state supersedes a lost one.
        future.add_done_callback(functools.partial(_report_lost, f"feed {feed_id}: state"))

    async def _dead_letter_document(
        self,
        registration: FeedRegistration,
        response: FetchResponse,
        error: Exception,
        failed_at: datetime,
    ) -> None:
        body = (response.body or b"")[:MAX_DEAD_LETTER_BODY]
        extra = {"feed_url": response.url, "feed_id": registration.feed_id}
        letter = make_dead_letter(Stage.POLL, body, error, failed_at, extra=extra)
        future = await self._send_dead_letter(letter)
        lost = functools.partial(_report_lost, f"feed {registration.feed_id}: document dead letter")

        def delivered(future: asyncio.Future[Any]) -> None:
            # Counted once Kafka has it, like an entry's dead letter (_dead_letter_entries).
            if future.cancelled() or future.exception() is not None:
                lost(future)
            else:
                record_outcome(self.metrics, Stage.POLL, letter)

        future.add_done_callback(delivered)

    async def _send_dead_letter(self, letter: DeadLetter) -> asyncio.Future[Any]:
        """Queue a dead letter; the future holds Kafka's answer."""
        key = letter.item_id.encode() if letter.item_id else None
        return await self._queue(
            DEAD_LETTERS.name(self.settings), encode_record(letter), key, message_headers(letter)
        )


def _describe_error(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


def _report_lost(what: str, future: asyncio.Future[Any]) -> None:
    # Retrieving the exception also keeps asyncio from logging "Future exception was never
    # retrieved" with a traceback for every message of an outage.
    error = None if future.cancelled() else future.exception()
    if error is not None:
        log.warning("%s not delivered to Kafka: %s", what, _describe_error(error))


class _Rebalance(ConsumerRebalanceListener):  # type: ignore[misc]  # aiokafka ships no types
    def __init__(
        self, service: PollerService, consumer: AIOKafkaConsumer, health: PollerHealth | None
    ) -> None:
        self.service = service
        self.consumer = consumer
        self.health = health

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        if self.health is not None:
            self.health.record_membership(False, time.monotonic())
        await self.service.release(set(revoked))

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        await self.service.take(set(assigned))
        if self.health is not None:
            self.health.record_membership(True, time.monotonic())
        if assigned:
            # Registrations are state, not events: every owner reads its partitions whole.
            await self.consumer.seek_to_beginning(*assigned)


async def follow_registry(
    service: PollerService, stop: asyncio.Event, health: PollerHealth | None = None
) -> None:
    """Consume the feeds topic in the pollers' group until `stop`, applying every record."""
    settings = service.settings
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.broker,
        group_id=poller_group(settings),
        # Every owner reads its partitions from the beginning (on_partitions_assigned), so the
        # committed offsets decide nothing here; they are committed so that the group's lag
        # (wirewatch_consumer_group_lag, kafka-consumer-groups) shows registrations not read yet.
        enable_auto_commit=True,
        auto_offset_reset="earliest",
        **client_options(settings),
    )
    consumer.subscribe([FEEDS.name(settings)], listener=_Rebalance(service, consumer, health))
    await consumer.start()
    try:
        while not stop.is_set():
            batches = await consumer.getmany(timeout_ms=500)
            for tp, records in batches.items():
                for record in records:
                    feed_id = (record.key or b"").decode("utf-8", "replace")
                    registration = None
                    if record.value is not None:
                        try:
                            registration = decode_feed_registration(record.value)
                        except DecodeError as exc:
                            log.warning("skipping a malformed registration %s: %s", feed_id, exc)
                            continue
                    await service.on_registration(tp.partition, feed_id, registration)
    finally:
        await consumer.stop()
