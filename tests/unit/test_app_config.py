"""Faust settings derived from ours (agents/app.py)."""

from __future__ import annotations

import pytest

from agents.app import faust_config, heartbeat_interval
from streams.settings import load_settings


@pytest.mark.parametrize("session,heartbeat", [(6.0, 2.0), (9.0, 3.0), (30.0, 3.0), (300.0, 3.0)])
def test_the_heartbeat_beats_every_3_s_at_most_and_within_a_third_of_the_session(
    session: float, heartbeat: float
) -> None:
    # A rebalance waits for every member's next heartbeat: 7.5 s at the default 30 s session when
    # it was a quarter of the session.
    assert heartbeat_interval(session) == heartbeat
    assert heartbeat_interval(session) <= session / 3


def test_the_worker_s_faust_config_carries_it() -> None:
    settings = load_settings()
    config = faust_config(settings)
    assert config["broker_session_timeout"] == settings.session_timeout_seconds
    assert config["broker_heartbeat_interval"] == heartbeat_interval(
        settings.session_timeout_seconds
    )
