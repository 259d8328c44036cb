"""Every URL of the project x every kind of visitor -> the expected status.

URLs are enumerated from the URLconf, so a new URL without an expectation here fails the test.
The admin is covered through its index and every registered model's list and add pages.
"""

import pytest
from django.contrib import admin
from django.urls import URLResolver, get_resolver, reverse

from moderation.services import statement_reject
from statements import services
from statements.models import Statement
from tests.conftest import make_conversation
from tests.security.conftest import browser, logged_in, make_user

pytestmark = pytest.mark.django_db

ROLES = (
    "anonymous",
    "resident",
    "other_resident",
    "moderator",
    "report_viewer",
    "staff",
    "superuser",
)

# GET status per role, in ROLES order. 302 = sent to the login page (or, for redirects, elsewhere).
GET = {
    "statements:conversation_list": (200, 200, 200, 200, 200, 200, 200),
    "statements:conversation": (200, 200, 200, 200, 200, 200, 200),
    "statements:vote": (405,) * 7,
    "statements:answers": (200,) * 7,
    "statements:statement_new": (200,) * 7,
    "statements:mine": (200,) * 7,
    "statements:statement": (200,) * 7,
    "statements:statement#pending": (404,) * 7,  # unpublished: nobody reads it here, not even by id
    "statements:results": (404, 404, 404, 404, 200, 200, 200),  # results hidden unless shown
    "statements:conversation#draft": (404, 404, 404, 404, 404, 200, 200),  # staff preview only
    "moderation:dashboard": (302, 302, 302, 200, 403, 200, 200),
    "moderation:queue": (302, 302, 302, 200, 403, 200, 200),
    "moderation:conversation_queue": (302, 302, 302, 200, 403, 200, 200),
    "moderation:bulk": (405,) * 7,
    "moderation:statement": (302, 302, 302, 200, 403, 200, 200),
    "moderation:decide": (405,) * 7,
    "moderation:reverse": (405,) * 7,
    "moderation:log": (302, 302, 302, 200, 403, 200, 200),
    "moderation:log_csv": (302, 302, 302, 200, 403, 200, 200),
    "reports:index": (302, 302, 302, 403, 200, 200, 200),
    "reports:report": (302, 302, 302, 403, 200, 200, 200),
    "reports:recompute": (405,) * 7,
    "reports:export": (302, 302, 302, 403, 200, 200, 200),
    "api:conversations": (200,) * 7,
    "api:conversation": (200,) * 7,
    "api:next": (200,) * 7,
    "api:conversation#draft": (404, 404, 404, 404, 404, 200, 200),  # staff preview, as on the pages
    "api:next#draft": (404, 404, 404, 404, 404, 200, 200),
    "api:votes": (405,) * 7,
    "api:my_votes": (200,) * 7,
    "api:statements": (405,) * 7,
    "api:my_statements": (200,) * 7,
    "schema": (200,) * 7,
    "set_language": (302,) * 7,
    "login": (200,) * 7,
    "logout": (405,) * 7,
    "health": (200,) * 7,
    "admin_login": (302,) * 7,
    "admin:index": (302, 302, 302, 302, 302, 200, 200),
}

# State-changing POSTs by people who must not make them: refused, and nothing changes.
POST = {
    "moderation:decide": (302, 302, 302, None, 403, None, None),
    "moderation:reverse": (302, 302, 302, None, 403, None, None),
    "moderation:bulk": (302, 302, 302, None, 403, None, None),
    "reports:recompute": (302, 302, 302, 403, None, None, None),
}


def project_urls():
    """(name, route) of every non-admin URL pattern."""

    def walk(patterns, namespace=None):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace == "admin":
                    continue
                yield from walk(pattern.url_patterns, pattern.namespace or namespace)
            else:
                yield f"{namespace}:{pattern.name}" if namespace else pattern.name

    return sorted(set(walk(get_resolver().url_patterns)))


def test_every_url_has_an_expectation():
    missing = [name for name in project_urls() if name not in GET]
    assert not missing, f"add these URLs to the permission matrix: {missing}"


@pytest.fixture
def world(db):
    alpha = make_conversation("alpha")
    beta = make_conversation("beta")
    draft = make_conversation("draft", is_published=False)
    published = services.statement_seed(conversation=alpha, text="Julkaistu väite alfassa")
    services.statement_seed(conversation=beta, text="Julkaistu väite betassa")
    clients = {"anonymous": browser()}
    resident = browser()
    resident.post("/c/alpha/vote/", {"statement": published.pk, "choice": "agree"})
    resident.post("/c/alpha/statements/new/", {"text": "Odottava ehdotus alfassa", "confirm": "1"})
    clients["resident"] = resident
    other = browser()
    other.post("/c/beta/statements/new/", {"text": "Toisen asukkaan ehdotus", "confirm": "1"})
    clients["other_resident"] = other
    moderator = make_user("moderator", moderator=True)
    clients["moderator"] = logged_in(moderator)
    viewer = make_user("viewer")
    from django.contrib.auth.models import Group

    viewer.groups.add(Group.objects.get(name="Report viewers"))
    clients["report_viewer"] = logged_in(viewer)
    clients["staff"] = logged_in(make_user("staff", staff=True))
    clients["superuser"] = logged_in(make_user("root", staff=True, superuser=True))
    for client in clients.values():
        client.raise_request_exception = False
    pending = Statement.objects.pending().get(conversation=alpha)
    rejected = services.statement_submit(participant=pending.author, text="Hylätty ehdotus alfassa")
    statement_reject(statement_id=rejected.pk, moderator=moderator, reason="off_topic")
    return {
        "alpha": alpha,
        "draft": draft,
        "published": published,
        "pending": pending,
        "clients": clients,
    }


def url_arguments(name: str) -> set[str]:
    base = name.partition("#")[0]
    possibilities = get_resolver().reverse_dict.getlist(base.split(":")[-1])
    for namespace in base.split(":")[:-1]:
        resolver = get_resolver().namespace_dict[namespace][1]
        possibilities = resolver.reverse_dict.getlist(base.split(":")[-1])
    return set(possibilities[0][0][0][1]) if possibilities else set()


def url_for(name, world):
    base, _, variant = name.partition("#")
    values = {
        "slug": world["draft"].slug if variant == "draft" else world["alpha"].slug,
        "statement_id": world["pending"].pk if variant == "pending" else world["published"].pk,
    }
    if base.startswith("moderation:") and "statement_id" in url_arguments(name):
        values["statement_id"] = world["pending"].pk
    return reverse(base, kwargs={key: values[key] for key in url_arguments(name)})


def test_get_matrix(world):
    actual, mismatches = {}, []
    for name, expected in GET.items():
        url = url_for(name, world)
        row = tuple(world["clients"][role].get(url).status_code for role in ROLES)
        actual[name] = row
        if row != expected:
            mismatches.append(f"{name} {url}: expected {expected}, got {row}")
    assert not mismatches, "\n".join(mismatches)


def test_admin_model_pages(world):
    mismatches = []
    for model in admin.site._registry:
        for page in ("changelist", "add"):
            url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{page}")
            for role in ROLES:
                status = world["clients"][role].get(url).status_code
                if role in (
                    "anonymous",
                    "resident",
                    "other_resident",
                    "moderator",
                    "report_viewer",
                ):
                    ok = status == 302  # not staff: the admin sends them to the login page
                elif role == "superuser":
                    ok = status in (200, 403)  # 403: adding is switched off for some models
                else:
                    ok = status == 403  # staff without model permissions
                if not ok:
                    mismatches.append(f"{url} as {role}: {status}")
    assert not mismatches, "\n".join(mismatches)


def test_post_matrix_refuses_and_changes_nothing(world):
    before = list(Statement.objects.order_by("pk").values_list("pk", "status", "text"))
    mismatches = []
    for name, expected in POST.items():
        url = url_for(name, world)
        for role, status in zip(ROLES, expected, strict=True):
            if status is None:
                continue
            data = {"action": "approve", "reason": "off_topic", "statements": [world["pending"].pk]}
            got = world["clients"][role].post(url, data).status_code
            if got != status:
                mismatches.append(f"POST {name} as {role}: expected {status}, got {got}")
    assert not mismatches, "\n".join(mismatches)
    assert list(Statement.objects.order_by("pk").values_list("pk", "status", "text")) == before


def test_a_resident_reads_only_their_own_votes_and_statements(world):
    resident, other = world["clients"]["resident"], world["clients"]["other_resident"]
    mine = resident.get("/api/v1/conversations/alpha/votes/mine/").json()
    assert [vote["statement"]["id"] for vote in mine] == [world["published"].pk]
    assert other.get("/api/v1/conversations/alpha/votes/mine/").json() == []
    assert other.get("/api/v1/conversations/alpha/statements/mine/").json() == []
    assert world["pending"].text not in other.get("/c/alpha/statements/mine/").content.decode()
    for client in (other, world["clients"]["anonymous"]):
        for path in (
            "/c/alpha/",
            "/api/v1/conversations/alpha/next/",
            f"/c/alpha/s/{world['pending'].pk}/",
        ):
            assert world["pending"].text not in client.get(path).content.decode()
    assert world["pending"].text in resident.get("/c/alpha/statements/mine/").content.decode()


def test_matrix_urls_name_the_intended_objects(world):
    assert url_for("statements:statement#pending", world) == f"/c/alpha/s/{world['pending'].pk}/"
    assert url_for("statements:conversation#draft", world) == "/c/draft/"
    assert url_for("moderation:statement", world) == f"/moderation/s/{world['pending'].pk}/"
    assert url_for("api:next", world) == "/api/v1/conversations/alpha/next/"
