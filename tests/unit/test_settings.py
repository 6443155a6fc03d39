"""Settings load from defaults, a TOML file and WIREWATCH_* variables, with clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from streams.errors import SettingsError
from streams.settings import describe_settings, load_settings


def test_defaults_need_no_file_or_environment() -> None:
    settings = load_settings(environ={})
    assert settings.broker == ""
    assert settings.topic("articles") == "wirewatch.articles"


def test_environment_overrides_file(tmp_path: Path) -> None:
    config = tmp_path / "w.toml"
    config.write_text(
        'broker = "a:9092"\npartitions = 6\nfeeds = [{url = "https://x/f.xml", language = "ar"}]\n'
    )
    settings = load_settings(config, environ={"WIREWATCH_PARTITIONS": "12"})
    assert settings.broker == "a:9092"
    assert settings.partitions == 12
    assert settings.feeds[0].language == "ar"


def test_unknown_environment_variable_is_named_in_the_error() -> None:
    with pytest.raises(SettingsError, match="WIREWATCH_BROKR"):
        load_settings(environ={"WIREWATCH_BROKR": "x:1"})


def test_malformed_number_names_the_setting() -> None:
    with pytest.raises(SettingsError, match="'partitions'"):
        load_settings(environ={"WIREWATCH_PARTITIONS": "many"})


def test_unknown_file_key_names_the_file(tmp_path: Path) -> None:
    config = tmp_path / "w.toml"
    config.write_text("colour = 'blue'\n")
    with pytest.raises(SettingsError, match=r"w\.toml: unknown setting 'colour'"):
        load_settings(config, environ={})


def test_watch_severity_must_be_known() -> None:
    with pytest.raises(SettingsError, match="severity"):
        load_settings(environ={"WIREWATCH_WATCH": "elections=loud"})


def test_feeds_from_environment_are_comma_separated() -> None:
    settings = load_settings(environ={"WIREWATCH_FEEDS": "http://a/1.xml, http://b/2.xml"})
    assert [f.url for f in settings.feeds] == ["http://a/1.xml", "http://b/2.xml"]


def test_describe_masks_secrets_and_lists_every_setting() -> None:
    described = describe_settings(load_settings(environ={}))
    assert "broker" in described and "watch" in described
