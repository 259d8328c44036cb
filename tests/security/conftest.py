"""Helpers for the security tests: residents' browsers, logins, and a clean rate-limit cache."""

import json

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

PASSWORD = "a-long-test-password-1234"


def browser(**kwargs) -> Client:
    client = Client(**kwargs)
    client.defaults["HTTP_HOST"] = settings.ALLOWED_HOSTS[0]
    return client


def api(name, conversation=None, **kwargs):
    if conversation is not None:
        kwargs["slug"] = conversation.slug
    return reverse(f"api:{name}", kwargs=kwargs)


def post_json(client, path, body, **extra):
    return client.post(path, json.dumps(body), content_type="application/json", **extra)


def make_user(username, *, staff=False, superuser=False, moderator=False, report_viewer=False):
    user = get_user_model().objects.create_user(
        username, password=PASSWORD, is_staff=staff, is_superuser=superuser
    )
    if moderator:
        from moderation.permissions import moderators_group_ensure

        user.groups.add(moderators_group_ensure())
    if report_viewer:
        from django.contrib.auth.models import Permission

        permission = Permission.objects.filter(
            content_type__app_label="clustering", codename__in=["view_report", "view_clusteringrun"]
        ).first()
        if permission is not None:
            user.user_permissions.add(permission)
    return user


def logged_in(user) -> Client:
    client = browser()
    client.force_login(user)
    return client


@pytest.fixture(autouse=True)
def clean_cache():
    cache.clear()
    yield
    cache.clear()
