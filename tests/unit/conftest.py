"""Fixtures shared by the unit tests."""

from __future__ import annotations

import pytest

from streams.tagging.taxonomy import CompiledTaxonomy, load_default_taxonomy


@pytest.fixture(scope="session")
def taxonomy() -> CompiledTaxonomy:
    """The bundled taxonomy, compiled once per test process (a few tenths of a second each time);
    a test file with a `taxonomy` fixture of its own uses that one."""
    return load_default_taxonomy()
