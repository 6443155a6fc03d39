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


@pytest.mark.parametrize(
    ("variable", "value", "named"),
    [
        ("WIREWATCH_SPIKE_FACTOR", "-3", "'spike_factor': got -3.0; accepted: a positive number"),
        ("WIREWATCH_STORY_SIMILARITY", "7", "'story_similarity': got 7.0; accepted: more than 0"),
        ("WIREWATCH_LOG_LEVEL", "verbose", "'log_level': got 'verbose'; accepted: one of debug"),
        ("WIREWATCH_SPIKE_MIN_COUNT", "0", "'spike_min_count': got 0; accepted: a whole number"),
        ("WIREWATCH_FETCH_MIN_BYTES", "0", "'fetch_min_bytes': got 0; accepted: a whole number"),
        ("WIREWATCH_PRODUCER_LINGER_MS", "-1", "'producer_linger_ms': got -1; accepted: 0"),
        ("WIREWATCH_SPIKE_SEVERITY", "loud", "'spike_severity': got 'loud'"),
        ("WIREWATCH_WORKER_METRICS_PORT", "70000", "'worker_metrics_port': got 70000"),
        ("WIREWATCH_SESSION_TIMEOUT_SECONDS", "2", "'session_timeout_seconds': must be between"),
    ],
)
def test_values_a_stage_would_refuse_later_are_refused_at_load(
    variable: str, value: str, named: str
) -> None:
    with pytest.raises(SettingsError, match=named.replace("(", r"\(").replace(".", r"\.")):
        load_settings(environ={variable: value})


def test_several_bad_values_are_counted_in_the_one_line() -> None:
    with pytest.raises(SettingsError, match=r"\(and 1 more\)$"):
        load_settings(environ={"WIREWATCH_SPIKE_FACTOR": "0", "WIREWATCH_LOG_LEVEL": "loud"})


def test_version_is_printed_without_loading_settings(capsys: pytest.CaptureFixture[str]) -> None:
    from streams.cli import main

    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.startswith("wirewatch ")
