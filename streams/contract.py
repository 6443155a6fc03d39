"""The consumer contract in code: the published JSON Schemas and the rules they follow.

docs/topics.md (Compatibility) is the policy; these are its checkable parts, pure functions over
schema documents. Published schemas are open (an object accepts fields it does not list), so a
field added in a later minor version never breaks a consumer validating against an earlier one.
`closed` undoes that for wirewatch's own tests, which check that wirewatch writes exactly the
documented fields and nothing else.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from typing import Any

Schema = dict[str, Any]

# <record>.v<major>.json is a major's first published schema; an additive change publishes
# <record>.v<major>.<minor>.json beside it and leaves the earlier files as they are.
SCHEMA_FILE = re.compile(r"(?P<record>[a-z_]+)\.v(?P<major>\d+)(?:\.(?P<minor>\d+))?\.json")


@dataclass(frozen=True, slots=True)
class SchemaFile:
    name: str  # the file name, as in the schema's $id
    record: str  # the key of codec.DECODERS
    major: int  # the schema_version of the messages it describes
    minor: int  # 0 for <record>.v<major>.json

    def load(self) -> Schema:
        text = (resources.files("streams") / "schemas" / self.name).read_text("utf-8")
        loaded: Schema = json.loads(text)
        return loaded


def schema_files() -> list[SchemaFile]:
    """Every published schema file, by record, major and minor."""
    found = []
    for entry in (resources.files("streams") / "schemas").iterdir():
        match = SCHEMA_FILE.fullmatch(entry.name)
        if match is not None:
            minor = int(match["minor"]) if match["minor"] is not None else 0
            found.append(SchemaFile(entry.name, match["record"], int(match["major"]), minor))
    return sorted(found, key=lambda f: (f.record, f.major, f.minor))


def files_of_major(record: str, major: int) -> list[SchemaFile]:
    """The published schemas of one major version, oldest minor first: a message of that major
    must validate against every one of them."""
    return [f for f in schema_files() if f.record == record and f.major == major]


def _objects(schema: Any, path: str = "#") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every subschema of a schema document, with its JSON pointer."""
    if isinstance(schema, dict):
        yield path, schema
        for key, value in schema.items():
            yield from _objects(value, f"{path}/{key}")
    elif isinstance(schema, list):
        for index, value in enumerate(schema):
            yield from _objects(value, f"{path}/{index}")


def _describes_an_object(schema: dict[str, Any]) -> bool:
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    return "properties" in schema and "object" in kinds


def policy_violations(schema: Schema, file: SchemaFile) -> list[str]:
    """Where a published schema breaks the compatibility policy; empty when it follows it."""
    problems = []
    if not str(schema.get("$id", "")).endswith(f"/{file.name}"):
        problems.append(f"$id {schema.get('$id')!r} does not name the file {file.name}")
    for path, sub in _objects(schema):
        for keyword in ("additionalProperties", "unevaluatedProperties"):
            if sub.get(keyword) is False:
                problems.append(
                    f"{path}: {keyword} is false, so a field added in a later minor version "
                    "would fail consumers of this one"
                )
        if _describes_an_object(sub):
            unlisted = set(sub.get("required", ())) - set(sub["properties"])
            if unlisted:
                problems.append(f"{path}: requires fields it does not describe: {unlisted}")
    version = schema.get("properties", {}).get("schema_version")
    if version is not None and version != {"const": file.major}:
        problems.append(
            f"schema_version is {version}, not {{'const': {file.major}}}: a consumer checks the "
            "major it reads"
        )
    return problems


def closed(schema: Schema) -> Schema:
    """A copy of `schema` in which every object refuses fields it does not list: what wirewatch's
    own tests validate its messages against, so an undocumented field is caught at the producer."""
    strict = copy.deepcopy(schema)
    for _, sub in _objects(strict):
        if _describes_an_object(sub) and "additionalProperties" not in sub:
            sub["additionalProperties"] = False
    return strict
