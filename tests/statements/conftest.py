"""Helpers for the statements tests: a resident's browser as a test client."""

import pytest
from django.conf import settings
from django.test import Client


def resident_client(**kwargs) -> Client:
    """A fresh browser: its own cookies, so its own participant."""
    client = Client(**kwargs)
    client.defaults["HTTP_HOST"] = settings.ALLOWED_HOSTS[0]
    return client


@pytest.fixture
def other_browser():
    return resident_client()
