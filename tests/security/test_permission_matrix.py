"""Every URL of the project x every kind of visitor -> the expected status.

URLs are enumerated from the URLconf, the admin's included, so a new URL (a newly registered model,
a custom admin view) without an expectation here fails the test. Admin expectations follow the
permission setup: only staff reach the admin (``AdminSite.has_permission``); the matrix's staff
user holds no model permissions, the moderator and report viewer are not staff (the Moderators and
Report viewers groups grant no admin access), and the superuser is refused only what a ModelAdmin
switches off for everyone.
"""

from urllib.parse import urlsplit

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.urls import URLResolver, get_resolver, reverse

from moderation.models import ModerationAction
from moderation.services import statement_reject
from statements import services
from statements.models import Conversation, Statement, Vote
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
    "statements:vote": (302,) * 7,  # a GET goes back to the conversation (language switch, reload)
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
    "favicon": (301,) * 7,
    "admin_login": (302,) * 7,
}

# The admin, per role in ROLES order. LOGIN = 302 to the login page; other 302s go elsewhere.
LOGIN = "login"


def admin_row(staff, superuser, *, others=LOGIN):
    """Anonymous, both residents, the moderator and the report viewer are not staff: login."""
    return (others,) * 5 + (staff, superuser)


# What each ModelAdmin switches off for everyone, superusers included (read from the admin modules).
# A view-only admin (no change permission) still shows its change page read-only: 200.
ADMIN_MODELS = {
    ("auth", "group"): {},
    ("auth", "user"): {},
    ("statements", "conversation"): {},
    # Statements are seeded or submitted by residents, and never deleted here (their votes and
    # moderation log would go with them); participants and votes are erased by forget_participant.
    ("statements", "statement"): {"add": False, "delete": False},
    ("statements", "participant"): {"add": False, "delete": False},
    ("statements", "vote"): {"add": False, "delete": False},  # read-only change page
    ("moderation", "moderationaction"): {"add": False, "delete": False},  # append-only log
}


def admin_model_rows():
    rows = {}
    for (app, model), switched_off in ADMIN_MODELS.items():
        for page in ("changelist", "add", "change", "delete", "history"):
            superuser = 200 if switched_off.get(page, True) else 403
            rows[f"admin:{app}_{model}_{page}"] = admin_row(403, superuser)  # staff: no permissions
        # The pre-1.9 "<id>/" address redirects to the change page, which then checks permissions.
        rows[f"route:admin/{app}/{model}/<path:object_id>/"] = admin_row(302, 302)
    return rows


ADMIN_GET = {
    "admin:index": admin_row(200, 200),  # staff see an empty index
    "admin:login": (LOGIN,) * 7,  # /admin/login/ is served by admin_login (the throttled login)
    "admin:logout": admin_row(405, 405, others=302),  # GET not allowed; non-staff go to the index
    "admin:password_change": admin_row(200, 200),  # their own password
    "admin:password_change_done": admin_row(200, 200),
    "admin:jsi18n": admin_row(200, 200),
    "admin:autocomplete": admin_row(403, 403),  # no model has autocomplete fields
    "admin:view_on_site": admin_row(404, 404),  # no model has get_absolute_url
    "admin:app_list#auth": admin_row(404, 200),  # staff have no model of the app
    "admin:app_list#statements": admin_row(404, 200),
    "admin:app_list#moderation": admin_row(404, 200),
    "admin:statements_conversation_seed": admin_row(403, 200),  # needs change_conversation
    "admin:statements_conversation_import_polis": admin_row(403, 200),  # needs add_conversation
    "admin:auth_user_password_change": admin_row(403, 200),  # needs change_user
    "route:admin/(?P<url>.*)$": admin_row(404, 404),  # catch-all: no such admin page
    **admin_model_rows(),
}

# State-changing POSTs by people who must not make them: refused, and nothing changes.
POST = {
    "moderation:decide": (302, 302, 302, None, 403, None, None),
    "moderation:reverse": (302, 302, 302, None, 403, None, None),
    "moderation:bulk": (302, 302, 302, None, 403, None, None),
    "reports:recompute": (302, 302, 302, 403, None, None, None),
    "admin:statements_conversation_seed": admin_row(403, None, others=302),
    "admin:statements_conversation_import_polis": admin_row(403, None, others=302),
    "admin:statements_conversation_change": admin_row(403, None, others=302),
    "admin:statements_statement_change": admin_row(403, None, others=302),
    "admin:statements_statement_delete": admin_row(403, 403, others=302),
    "admin:statements_vote_change": admin_row(403, 403, others=302),  # read-only for everyone
    "admin:statements_vote_delete": admin_row(403, 403, others=302),
    "admin:statements_participant_delete": admin_row(403, 403, others=302),
    "admin:moderation_moderationaction_delete": admin_row(403, 403, others=302),  # append-only
}


def project_urls():
    """Every URL pattern of the project, the admin's included: ``namespace:name``, or
    ``route:<full route>`` for a pattern without a name."""

    def walk(patterns, namespace=None, prefix=""):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, pattern.namespace or namespace, route)
            elif pattern.name is None:
                yield f"route:{route}"
            else:
                yield f"{namespace}:{pattern.name}" if namespace else pattern.name

    return sorted(set(walk(get_resolver().url_patterns)))


def test_every_url_has_an_expectation():
    expected = {name.partition("#")[0] for name in (*GET, *ADMIN_GET)}
    missing = [name for name in project_urls() if name not in expected]
    assert not missing, f"add these URLs to the permission matrix: {missing}"
    stale = sorted(expected - set(project_urls()))
    assert not stale, f"the permission matrix names URLs that no longer exist: {stale}"
    app_labels = {model._meta.app_label for model in admin.site._registry}
    assert {name.partition("#")[2] for name in ADMIN_GET if "app_list" in name} == app_labels


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
        "moderator": moderator,
        # The object each admin page is opened on: the unpublished statement, a resident's vote.
        "admin_objects": {
            ("auth", "group"): Group.objects.get(name="Moderators"),
            ("auth", "user"): moderator,
            ("statements", "conversation"): alpha,
            ("statements", "statement"): pending,
            ("statements", "participant"): pending.author,
            ("statements", "vote"): Vote.objects.get(statement=published),
            ("moderation", "moderationaction"): ModerationAction.objects.get(statement=rejected),
        },
    }


def url_arguments(name: str) -> set[str]:
    base = name.partition("#")[0]
    possibilities = get_resolver().reverse_dict.getlist(base.split(":")[-1])
    for namespace in base.split(":")[:-1]:
        resolver = get_resolver().namespace_dict[namespace][1]
        possibilities = resolver.reverse_dict.getlist(base.split(":")[-1])
    return set(possibilities[0][0][0][1]) if possibilities else set()


def admin_url(name, world):
    base, _, variant = name.partition("#")
    objects = world["admin_objects"]
    if base == "route:admin/(?P<url>.*)$":
        return "/admin/no-such-page/"
    if base.startswith("route:admin/"):
        app, model = base.removeprefix("route:admin/").split("/")[:2]
        return f"/admin/{app}/{model}/{objects[app, model].pk}/"
    page = base.removeprefix("admin:")
    kwargs = {}
    if page == "app_list":
        kwargs["app_label"] = variant
    elif page == "view_on_site":
        content_type = ContentType.objects.get_for_model(Statement)
        kwargs.update(content_type_id=content_type.pk, object_id=world["pending"].pk)
    elif page == "statements_conversation_seed":
        kwargs["pk"] = world["alpha"].pk
    elif page == "auth_user_password_change":
        kwargs["id"] = world["moderator"].pk
    else:
        for (app, model), instance in objects.items():
            if page.startswith(f"{app}_{model}_") and "object_id" in url_arguments(base):
                kwargs["object_id"] = instance.pk
    return reverse(base, kwargs=kwargs)


def url_for(name, world):
    if name.startswith(("admin:", "route:admin/")):
        return admin_url(name, world)
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


def test_the_seed_page_tells_staff_without_rights_nothing_about_which_conversations_exist(world):
    staff, superuser = world["clients"]["staff"], world["clients"]["superuser"]
    missing = reverse("admin:statements_conversation_seed", kwargs={"pk": 999999})
    existing = reverse("admin:statements_conversation_seed", kwargs={"pk": world["alpha"].pk})
    assert staff.get(missing).status_code == staff.get(existing).status_code == 403
    assert superuser.get(missing).status_code == 404


def admin_outcome(response):
    location = urlsplit(response.get("Location", "")).path
    if response.status_code == 302 and location in ("/admin/login/", reverse("login")):
        return LOGIN
    return response.status_code


def test_admin_matrix(world):
    hidden = [world["pending"].text, "Hylätty ehdotus alfassa", "Toisen asukkaan ehdotus"]
    mismatches = []
    for name, expected in ADMIN_GET.items():
        url = url_for(name, world)
        responses = [world["clients"][role].get(url) for role in ROLES]
        row = tuple(admin_outcome(response) for response in responses)
        if row != expected:
            mismatches.append(f"{name} {url}: expected {expected}, got {row}")
        for role, response in zip(ROLES, responses, strict=True):
            body = response.content.decode(errors="replace")
            if role != "superuser" and any(text in body for text in hidden):
                mismatches.append(f"{name} {url} shows an unpublished statement to {role}")
    assert not mismatches, "\n".join(mismatches)


def test_post_matrix_refuses_and_changes_nothing(world):
    def state():
        return (
            list(Statement.objects.order_by("pk").values_list("pk", "status", "text")),
            list(Vote.objects.order_by("pk").values_list("pk", "choice")),
            list(ModerationAction.objects.order_by("pk").values_list("pk", "action")),
            list(Conversation.objects.order_by("pk").values_list("pk", "slug", "is_published")),
        )

    before = state()
    mismatches = []
    for name, expected in POST.items():
        url = url_for(name, world)
        for role, status in zip(ROLES, expected, strict=True):
            if status is None:
                continue
            data = {
                "action": "approve",
                "reason": "off_topic",
                "statements": [world["pending"].pk],
                "lines": "Uusi siemenväite",  # the admin's seed form
                "post": "yes",  # the admin's delete confirmation
                "slug": "renamed",
                "is_published": "on",
            }
            got = world["clients"][role].post(url, data).status_code
            if got != status:
                mismatches.append(f"POST {name} as {role}: expected {status}, got {got}")
    assert not mismatches, "\n".join(mismatches)
    assert state() == before


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
    pending, vote = world["pending"].pk, world["admin_objects"]["statements", "vote"].pk
    assert url_for("admin:statements_statement_change", world) == (f"/admin/statements/statement/{pending}/change/")
    assert url_for("admin:statements_vote_history", world) == f"/admin/statements/vote/{vote}/history/"
    assert url_for("admin:statements_conversation_seed", world) == (
        f"/admin/statements/conversation/{world['alpha'].pk}/seed/"
    )
    assert url_for("route:admin/statements/statement/<path:object_id>/", world) == (
        f"/admin/statements/statement/{pending}/"
    )
