"""The consumer contract (docs/topics.md, Headers and Compatibility), without a broker.

- Every published schema follows the policy: open objects, `schema_version` the file's major.
- A message of a later minor version (today's records with fields added at every level) is
  accepted by every published schema of its major, by wirewatch's own decoders and by the example
  consumer; a breaking change is refused by all of them.
- Headers come from one table that names every record, its schema file and its version.

tests/integration/test_consumer_contract.py checks the same through a real broker.
"""

from __future__ import annotations

import copy
import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import jsonschema
import orjson
import pytest
from test_codec import ALERT, ARTICLE, FORMATS, ROUND_TRIPS, SPIKE_ALERT

from streams.codec import (
    DECODERS,
    RECORD_TYPES,
    Record,
    encode_record,
    message_headers,
    tombstone_headers,
)
from streams.contract import (
    SchemaFile,
    closed,
    files_of_major,
    policy_violations,
    schema_files,
)
from streams.records import Alert, FeedRegistration
from streams.settings import VERSION

ROOT = Path(__file__).resolve().parents[2]
PUBLIC = [param for param in ROUND_TRIPS if hasattr(param.values[0], "schema_version")]


def example_consumer() -> ModuleType:
    """examples/alert_consumer.py, loaded as the module a consumer would run."""
    spec = importlib.util.spec_from_file_location("alert_consumer", ROOT / "examples" /
                                                  "alert_consumer.py")  # fmt: skip
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CONSUMER = example_consumer()


def with_later_fields(value: Any) -> Any:
    """`value` as a later minor version might write it: a new field in every object, nested
    ones included (a new language detail, a new topic score, a new spike statistic...)."""
    if isinstance(value, dict):
        added = {key: with_later_fields(item) for key, item in value.items()}
        added["added_in_a_later_minor"] = {"note": "consumers of earlier minors ignore this"}
        return added
    if isinstance(value, list):
        return [with_later_fields(item) for item in value]
    return value


def validate(value: Any, file: SchemaFile) -> None:
    jsonschema.validate(value, file.load(), format_checker=FORMATS)


def test_every_schema_file_is_named_and_follows_the_policy() -> None:
    folder = ROOT / "streams" / "schemas"
    assert {f.name for f in schema_files()} == {p.name for p in folder.glob("*.json")}
    for file in schema_files():
        assert policy_violations(file.load(), file) == [], file.name


def test_the_policy_check_finds_a_closed_schema() -> None:
    (file,) = files_of_major("article", 3)
    problems = policy_violations(closed(file.load()), file)
    # The top level, language, topic tags and term matches: the four places a consumer of
    # the schemas before this policy broke on an added field.
    assert len(problems) == 4, problems
    wrong_major = file.load()
    wrong_major["properties"]["schema_version"] = {"type": "integer", "minimum": 3}
    assert any("schema_version" in p for p in policy_violations(wrong_major, file))


@pytest.mark.parametrize(("record", "name"), PUBLIC)
def test_a_later_minor_is_read_by_every_schema_of_its_major_and_by_our_decoders(
    record: Record, name: str
) -> None:
    later = with_later_fields(orjson.loads(encode_record(record)))
    files = files_of_major(name, RECORD_TYPES[type(record)].version)
    assert files, f"no published schema for {name} major {RECORD_TYPES[type(record)].version}"
    for file in files:
        validate(later, file)
        # The control: the same message against the closed schema fails, so the open one is
        # what lets it through.
        with pytest.raises(jsonschema.ValidationError, match="added_in_a_later_minor"):
            jsonschema.validate(later, closed(file.load()), format_checker=FORMATS)
    assert DECODERS[name](orjson.dumps(later)) == record


@pytest.mark.parametrize("alert", [ALERT, SPIKE_ALERT], ids=["story", "spike"])
def test_the_example_consumer_keeps_an_alert_of_a_later_minor(alert: Alert) -> None:
    validator = jsonschema.Draft202012Validator(orjson.loads(CONSUMER.SCHEMA.read_bytes()),
                                                format_checker=FORMATS)  # fmt: skip
    later = orjson.dumps(with_later_fields(orjson.loads(encode_record(alert))))
    assert CONSUMER.header_problem(message_headers(alert)) is None
    kept = CONSUMER.read_alert(later, validator)
    assert kept["added_in_a_later_minor"]
    table = CONSUMER.AlertTable()
    assert table.offer(kept) == "new"


def test_an_added_optional_field_keeps_both_minors_readable() -> None:
    """Publish a would-be article.v3.1.json: data of 3.1 passes 3.0's schema, and data of 3.0
    (still in the topic) passes 3.1's."""
    (first,) = files_of_major("article", 3)
    next_minor = copy.deepcopy(first.load())
    next_minor["$id"] = next_minor["$id"].replace("article.v3.json", "article.v3.1.json")
    next_minor["properties"]["translated_title"] = {"type": ["string", "null"]}
    tag = next_minor["properties"]["topics"]["items"]
    tag["properties"]["weight_version"] = {"type": "integer"}
    minor_file = SchemaFile("article.v3.1.json", "article", 3, 1)
    assert policy_violations(next_minor, minor_file) == []
    current = orjson.loads(encode_record(ARTICLE))
    later = copy.deepcopy(current)
    later["translated_title"] = "Elections: Title & more"
    later["topics"][0]["weight_version"] = 2
    validate(later, first)
    jsonschema.validate(current, next_minor, format_checker=FORMATS)
    jsonschema.validate(later, next_minor, format_checker=FORMATS)


def changed(record: Record, path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    """The record's JSON with the field at `path` set to `value`, or removed for `...`."""
    data: dict[str, Any] = orjson.loads(encode_record(record))
    parent: Any = data
    for step in path[:-1]:
        parent = parent[step]
    if value is ...:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return data


# Each is a breaking change by the policy: the previous major's schema and the example consumer
# must refuse it rather than misread it.
BREAKING = [
    pytest.param(changed(ALERT, ("severity",), "emergency"), id="new-value-of-a-closed-set"),
    pytest.param(changed(ALERT, ("kind",), "trend"), id="new-kind"),
    pytest.param(changed(ALERT, ("revision",), "2"), id="type-changed"),
    pytest.param(changed(ALERT, ("source_count",), ...), id="field-removed"),
    pytest.param(changed(ALERT, ("title",), None), id="field-made-nullable"),
    pytest.param(changed(ALERT, ("schema_version",), 3), id="next-major"),
]


@pytest.mark.parametrize("data", BREAKING)
def test_a_breaking_change_is_refused_by_the_schema_and_the_example_consumer(
    data: dict[str, Any],
) -> None:
    files = files_of_major("alert", 2)
    assert [file.name for file in files] == ["alert.v2.json", "alert.v2.1.json"]
    for file in files:  # every minor of the major refuses it
        with pytest.raises(jsonschema.ValidationError):
            validate(data, file)
        validator = jsonschema.Draft202012Validator(file.load(), format_checker=FORMATS)
        with pytest.raises(ValueError):
            CONSUMER.read_alert(orjson.dumps(data), validator)


def test_an_article_of_major_3_fails_the_major_2_schema_only_on_its_version() -> None:
    """Before the policy it failed article.v2.json three times (story_id, matches and the
    version); now only the major check refuses it, which is what a consumer must act on."""
    (v2,) = files_of_major("article", 2)
    validator = jsonschema.Draft202012Validator(v2.load(), format_checker=FORMATS)
    errors = list(validator.iter_errors(orjson.loads(encode_record(ARTICLE))))
    assert [list(error.absolute_path) for error in errors] == [["schema_version"]]


# --- headers --------------------------------------------------------------------------------


def test_the_record_table_names_every_decoder_and_the_newest_schema_file() -> None:
    assert {kind.schema for kind in RECORD_TYPES.values()} == set(DECODERS)
    newest: dict[str, int] = {}
    for file in schema_files():
        newest[file.record] = max(newest.get(file.record, 0), file.major)
    for record, kind in RECORD_TYPES.items():
        assert kind.name == record.__name__
        assert kind.version == newest[kind.schema], kind
        assert files_of_major(kind.schema, kind.version)[0].name == kind.schema_file


@pytest.mark.parametrize(("record", "name"), ROUND_TRIPS)
def test_headers_name_the_record_and_the_version_in_its_payload(record: Record, name: str) -> None:
    headers = dict(message_headers(record))
    assert list(headers) == [
        "content-type",
        "wirewatch-record",
        "wirewatch-schema-version",
        "wirewatch-version",
    ]
    assert headers["content-type"] == b"application/json"
    assert headers["wirewatch-record"] == type(record).__name__.encode()
    assert headers["wirewatch-version"] == VERSION.encode()
    payload = orjson.loads(encode_record(record))
    version = int(headers["wirewatch-schema-version"])
    assert version == payload.get("schema_version", 1)
    assert files_of_major(name, version), f"no {name}.v{version}.json"


def test_a_tombstone_names_its_record_without_a_content_type() -> None:
    headers = dict(tombstone_headers(FeedRegistration))
    assert headers == {
        "wirewatch-record": b"FeedRegistration",
        "wirewatch-schema-version": b"1",
        "wirewatch-version": VERSION.encode(),
    }


def test_the_example_consumer_skips_messages_its_headers_say_are_not_for_it() -> None:
    alert_headers = message_headers(ALERT)
    assert CONSUMER.header_problem(alert_headers) is None
    assert CONSUMER.header_problem([]) is None  # written before headers: the payload decides
    assert "not Alert" in CONSUMER.header_problem(message_headers(ARTICLE))
    next_major = [(k, b"3" if k == "wirewatch-schema-version" else v) for k, v in alert_headers]
    assert "major 3" in CONSUMER.header_problem(next_major)


def test_the_example_consumer_keeps_the_highest_revision_and_ignores_the_rest() -> None:
    table = CONSUMER.AlertTable()
    second = orjson.loads(encode_record(ALERT))
    first = {**second, "revision": 1}
    third = {**second, "revision": 3}
    assert [table.offer(a) for a in (second, first, second, third, first)] == [
        "new", "ignored", "ignored", "revised", "ignored",
    ]  # fmt: skip
    assert table.alerts == {ALERT.alert_id: third}
