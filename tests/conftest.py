"""Shared fixtures, and the rule for tests that need a service: under CI=true they fail, elsewhere skip."""

import os
from pathlib import Path

import pytest

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
ARTIFACTS_DIR = Path(os.environ.get("TEST_ARTIFACTS_DIR", Path(__file__).resolve().parent.parent / "var" / "artifacts"))


def require(condition: bool, reason: str) -> None:
    """Skips the test outside CI when `condition` is false; under CI=true the test fails instead."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: this test must run here)")
    pytest.skip(reason)


@pytest.fixture
def artifacts_dir() -> Path:
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS_DIR


@pytest.fixture
def participant(db):
    from tests.factories import UserFactory

    return UserFactory(email="pat.participant@example.org", first_name="Pat", last_name="Participant")


@pytest.fixture(autouse=True)
def _empty_cache():
    """Rate-limit counters live in the cache; each test starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
