"""The `wirewatch` command: parses arguments and calls the library; user errors are one line."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import orjson

from streams.errors import SettingsError, WirewatchError
from streams.settings import VERSION

if TYPE_CHECKING:
    from streams.settings import Settings


def _load(args: argparse.Namespace) -> Any:
    from streams.settings import load_settings

    return load_settings(args.config)


def cmd_run(args: argparse.Namespace) -> int:
    from streams.runner import run_all

    return run_all(_load(args))


def _process_entry_point(name: str) -> Callable[[Settings], None]:
    """A process that lives outside streams/ (the Faust worker is in agents/), by entry point."""
    found = entry_points(group="wirewatch.processes", name=name)
    if not found:
        raise SettingsError(
            f"no '{name}' process is installed (entry point group wirewatch.processes); "
            "reinstall the package: pip install -e ."
        )
    loaded: Callable[[Settings], None] = next(iter(found)).load()
    return loaded


def cmd_worker(args: argparse.Namespace) -> int:
    run_worker = _process_entry_point("worker")

    sys.argv = [sys.argv[0], "worker"]  # Faust's Worker reads argv; give it nothing of ours
    run_worker(_load(args))
    return 0


def cmd_poll(args: argparse.Namespace) -> int:
    from streams.runner import run_poller

    run_poller(_load(args))
    return 0


def cmd_config(args: argparse.Namespace) -> int:
    from streams.pipeline import check_stage_settings
    from streams.settings import describe_settings

    settings = _load(args)
    # The taxonomy and rule files too: what a worker would refuse at start-up is refused here.
    check_stage_settings(settings)
    sys.stdout.write(
        orjson.dumps(describe_settings(settings), option=orjson.OPT_INDENT_2).decode() + "\n"
    )
    return 0


def cmd_taxonomy_check(args: argparse.Namespace) -> int:
    from streams.tagging.taxonomy import check_taxonomy

    if args.command == "topics":
        print("wirewatch: `topics check` moved to `taxonomy check`", file=sys.stderr)
    problems = check_taxonomy(Path(args.path))
    for problem in problems:
        print(problem, file=sys.stderr)
    if not problems:
        print(f"{args.path}: OK")
    return 1 if problems else 0


def cmd_rules_check(args: argparse.Namespace) -> int:
    from streams.alerts.rule_file import BUNDLED_RULES, check_rules
    from streams.tagging.taxonomy import load_taxonomy

    settings = _load(args)
    taxonomy = load_taxonomy(Path(settings.taxonomy_path) if settings.taxonomy_path else None)
    name = args.path or settings.alert_rules_path
    problems = check_rules(Path(name) if name else None, taxonomy)
    for problem in problems:
        print(problem, file=sys.stderr)
    if not problems:
        print(f"{name or BUNDLED_RULES}: OK")
    return 1 if problems else 0


def cmd_classify(args: argparse.Namespace) -> int:
    from streams.classify import classify_feeds, classify_lines
    from streams.pipeline import build_enricher

    settings = _load(args)
    enricher = build_enricher(settings)
    now = datetime.now(UTC)
    if args.feed:
        results = classify_feeds(args.feed, enricher, now, settings, sys.stderr)
    else:
        results = classify_lines(_input_lines(args.inputs), enricher, now, sys.stderr)
    count = 0
    for line in results:
        sys.stdout.buffer.write(line + b"\n")
        count += 1
    sys.stdout.flush()
    return 0 if count else 1


def _input_lines(paths: Sequence[str]) -> Iterator[tuple[str, int, str]]:
    if not paths or paths == ["-"]:
        for number, line in enumerate(sys.stdin, 1):
            yield "<stdin>", number, line
        return
    for path in paths:
        try:
            with open(path, encoding="utf-8", errors="surrogateescape") as handle:
                for number, line in enumerate(handle, 1):
                    yield path, number, line
        except OSError as exc:
            print(f"{path}: cannot read ({exc.strerror})", file=sys.stderr)


def _connected(args: argparse.Namespace, command: str) -> Settings:
    """Settings for a command that talks to Kafka, once the broker accepted our connection."""
    from streams.kafka.connect import check_broker

    settings: Settings = _load(args)
    if not settings.broker:
        raise _user_error(f"`wirewatch {command}` needs WIREWATCH_BROKER=host:port")
    asyncio.run(check_broker(settings))
    return settings


def cmd_tail(args: argparse.Namespace) -> int:
    from streams.kafka.tail import tail_topic

    settings = _connected(args, "tail")
    return asyncio.run(
        tail_topic(settings, args.topic, args.from_beginning, args.max_messages, args.timeout,
                   sys.stdout)
    )  # fmt: skip


def cmd_story_routes(args: argparse.Namespace) -> int:
    from streams.kafka.story_routes import print_story_routes

    settings = _connected(args, "story-routes")
    return asyncio.run(print_story_routes(settings, args.hours, args.partitions, sys.stdout))


def cmd_feeds(args: argparse.Namespace) -> int:
    from streams.feeds import registry
    from streams.feeds.feedlist import read_feed_list, write_opml, write_toml, write_yaml
    from streams.kafka.admin import ensure_topics
    from streams.settings import FeedConfig

    settings = _connected(args, "feeds")
    now = datetime.now(UTC)
    asyncio.run(ensure_topics(settings))
    action = args.feeds_command
    if action == "add":
        feed = FeedConfig(args.url, args.name, args.language, args.interval)
        registration = registry.registration_for(feed, now)
        asyncio.run(registry.write_registrations(settings, [registration]))
        print(f"registered {registration.feed_id} {registration.url}")
    elif action == "import":
        feeds = read_feed_list(Path(args.path))
        registrations = [registry.registration_for(feed, now) for feed in feeds]
        asyncio.run(registry.write_registrations(settings, registrations))
        print(f"registered {len(registrations)} feeds from {args.path}")
    elif action == "remove":
        known = asyncio.run(registry.read_registry(settings))
        feed_ids = registry.resolve_feed_ids(args.targets, known)
        asyncio.run(registry.remove_feeds(settings, feed_ids))
        print(f"removed {len(feed_ids)} feeds")
    elif action == "list":
        known = asyncio.run(registry.read_registry(settings))
        states = asyncio.run(registry.read_states(settings))
        rows = registry.feed_rows(known, states, now)
        if args.json:
            for row in rows:
                sys.stdout.write(orjson.dumps(row).decode() + "\n")
        else:
            print(registry.format_feed_table(rows))
    elif action == "export":
        known = asyncio.run(registry.read_registry(settings))
        feeds = [
            FeedConfig(r.url, r.name, r.language, r.interval_seconds)
            for r in sorted(known.values(), key=lambda r: r.url)
        ]
        writers = {"opml": write_opml, "toml": write_toml, "yaml": write_yaml}
        sys.stdout.write(writers[args.format](feeds))
    return 0


def _user_error(message: str) -> WirewatchError:
    from streams.errors import SettingsError

    return SettingsError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wirewatch",
        description="Live news feeds → Kafka → clean, language, topics → alerts.",
    )
    parser.add_argument("--version", action="version", version=f"wirewatch {VERSION}")
    parser.add_argument("--config", help="TOML config file (default: $WIREWATCH_CONFIG)")
    # `--config` is also taken after the subcommand (`wirewatch worker --config x.toml`); SUPPRESS
    # keeps a subcommand that was not given it from overwriting the one given before it.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", default=argparse.SUPPRESS, help="TOML config file")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser(
        "run",
        parents=[common],
        help="everything on the embedded default: broker, feeds, worker, poller",
    )
    sub.add_parser(
        "worker", parents=[common], help="the Faust worker (enrich, story, alert and spike agents)"
    )
    sub.add_parser("poll", parents=[common], help="the feed poller")
    sub.add_parser("config", parents=[common], help="print the effective settings, secrets masked")
    classify = sub.add_parser(
        "classify", parents=[common], help="the pipeline's steps without Kafka, as JSON lines"
    )
    classify.add_argument("inputs", nargs="*", help="JSON Lines files (default: standard input)")
    classify.add_argument("--feed", nargs="+", metavar="PATH_OR_URL", help="feed documents")
    tail = sub.add_parser("tail", parents=[common], help="print a topic's messages readably")
    tail.add_argument("topic", help="raw-items, articles, alerts, dead-letters or a full name")
    tail.add_argument("--from-beginning", action="store_true")
    tail.add_argument("--max-messages", type=int, default=None)
    tail.add_argument("--timeout", type=float, default=None, help="stop after this many idle s")
    routes = sub.add_parser(
        "story-routes",
        parents=[common],
        help="how the story stage's input spreads over partitions, and a plan that evens it",
    )
    routes.add_argument("--hours", type=float, default=24.0, help="of story-route to count")
    routes.add_argument(
        "--partitions", type=int, default=None, help="plan for this many (default: `partitions`)"
    )
    feeds = sub.add_parser(
        "feeds", parents=[common], help="the feed registry (a compacted Kafka topic)"
    )
    feeds_sub = feeds.add_subparsers(dest="feeds_command", required=True)
    add = feeds_sub.add_parser(
        "add", parents=[common], help="register a feed; running pollers pick it up"
    )
    add.add_argument("url")
    add.add_argument("--name")
    add.add_argument("--language", help="the feed's language, a prior for detection")
    add.add_argument("--interval", type=float, help="pinned poll interval in seconds")
    remove = feeds_sub.add_parser("remove", parents=[common], help="unregister feeds by id or URL")
    remove.add_argument("targets", nargs="+")
    listing = feeds_sub.add_parser("list", parents=[common], help="every feed with its health")
    listing.add_argument("--json", action="store_true", help="one JSON object per feed")
    importing = feeds_sub.add_parser(
        "import", parents=[common], help="register feeds from OPML, TOML or YAML"
    )
    importing.add_argument("path")
    export = feeds_sub.add_parser(
        "export", parents=[common], help="print the registry as OPML, TOML or YAML"
    )
    export.add_argument("--format", choices=("opml", "toml", "yaml"), default="opml")
    taxonomy = sub.add_parser("taxonomy", parents=[common], help="news-topic taxonomy tools")
    taxonomy_sub = taxonomy.add_subparsers(dest="taxonomy_command", required=True)
    check = taxonomy_sub.add_parser("check", parents=[common], help="validate a taxonomy file")
    check.add_argument("path")
    # The old name, kept so scripts keep working; "topics" also means Kafka topics.
    topics = sub.add_parser("topics", parents=[common], help="the old name of `taxonomy` (moved)")
    topics_sub = topics.add_subparsers(dest="taxonomy_command", required=True)
    topics_sub.add_parser(
        "check", parents=[common], help="moved to `wirewatch taxonomy check`"
    ).add_argument("path")
    rules = sub.add_parser("rules", parents=[common], help="alert rule tools")
    rules_sub = rules.add_subparsers(dest="rules_command", required=True)
    rules_check = rules_sub.add_parser(
        "check", parents=[common], help="validate an alert rule file (TOML or YAML)"
    )
    rules_check.add_argument("path", nargs="?", help="default: the configured or bundled rules")
    return parser


COMMANDS = {
    "run": cmd_run,
    "worker": cmd_worker,
    "poll": cmd_poll,
    "config": cmd_config,
    "classify": cmd_classify,
    "tail": cmd_tail,
    "story-routes": cmd_story_routes,
    "taxonomy": cmd_taxonomy_check,
    "topics": cmd_taxonomy_check,
    "rules": cmd_rules_check,
    "feeds": cmd_feeds,
}


def main(argv: Sequence[str] | None = None, stderr: TextIO = sys.stderr) -> int:
    """Entry point of the `wirewatch` console command."""
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except WirewatchError as exc:
        print(f"wirewatch: {exc}", file=stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
