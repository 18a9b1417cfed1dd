"""Fixtures of the register's tests: uploads (the admin's CSV imports) go to a folder of each test's own."""

import pytest


@pytest.fixture(autouse=True)
def _uploads_in_a_folder_of_the_test(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
