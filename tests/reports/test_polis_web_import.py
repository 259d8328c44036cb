"""Staff import a Polis export from the admin: a zip upload becomes a conversation, grouped as the
command-line import groups it; anything else is refused with a message and imports nothing."""

import io
import zipfile

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from clustering.evaluate import evaluate
from clustering.models import ClusteringRun, PolisSource
from clustering.polis_io import read_polis_export
from statements.models import Conversation, Statement, Vote
from tests.conftest import require
from tests.reports.conftest import POLIS_OPEN

IMPORT_URL = "/admin/statements/conversation/import-polis/?lang=en"
SEATTLE = POLIS_OPEN / "15-per-hour-seattle"


@pytest.fixture
def staff(client, db):
    client.force_login(User.objects.create_superuser("importer", password="secret-pass-123"))
    return client


def zipped(files: dict[str, bytes], name="export.zip") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path, content in files.items():
            archive.writestr(path, content)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/zip")


def seattle_zip(folder_in_zip="15-per-hour-seattle/") -> SimpleUploadedFile:
    require(SEATTLE.is_dir(), f"needs the openData folder {SEATTLE} (set VOXIT_SHARED_DATA)")
    files = {folder_in_zip + path.name: path.read_bytes() for path in SEATTLE.iterdir() if path.suffix == ".csv"}
    files["__MACOSX/._comments.csv"] = b"junk"  # as a Mac's zip carries; ignored
    return zipped(files, "15-per-hour-seattle.zip")


def test_staff_import_a_polis_zip_and_its_groups_are_the_replayed_ones(staff, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(IMPORT_URL, {"file": seattle_zip()})
    conversation = Conversation.objects.get(slug="15-per-hour-seattle")
    assert response.status_code == 302
    assert response["Location"] == reverse("reports:report", kwargs={"slug": conversation.slug})
    assert not conversation.is_published
    assert PolisSource.objects.filter(conversation=conversation).exists()
    original = read_polis_export(SEATTLE)
    assert Vote.objects.filter(conversation=conversation).count() == len(original.votes)
    assert Statement.objects.filter(conversation=conversation).count() == len(original.comment_ids)
    # The first recompute replays the vote log, as `manage.py import_polis` does.
    run = ClusteringRun.objects.get(conversation=conversation)
    assert run.status == ClusteringRun.Status.SUCCEEDED
    assert run.parameters.get("replayed_runs")
    assert run.k == evaluate(original)["k"]
    report = staff.get(response["Location"] + "?lang=en").content.decode()
    assert "Imported as" in report and "Opinion map" in report


def test_files_at_the_top_of_the_zip_import_too(staff):
    staff.post(IMPORT_URL, {"file": seattle_zip(folder_in_zip=""), "slug": "seattle"})
    assert Conversation.objects.filter(slug="seattle").exists()


@pytest.mark.parametrize(
    "upload,message",
    [
        (SimpleUploadedFile("export.zip", b"not a zip at all"), "The file is not a zip archive."),
        (zipped({"readme.txt": b"hello"}), "The zip holds no Polis export"),
        (zipped({"a/comments.csv": b"x", "a/votes.csv": b"x", "b/comments.csv": b"x"}), "more than one export"),
        (
            zipped({"comments.csv": b"timestamp,comment-id\n1,2\n", "votes.csv": b"x\n"}),
            "The export could not be imported:",
        ),
    ],
)
def test_what_is_not_one_polis_export_is_refused_with_a_message(staff, upload, message):
    response = staff.post(IMPORT_URL, {"file": upload})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Conversation.objects.exists()


def test_an_address_in_use_is_refused_before_anything_is_read(staff):
    from tests.conftest import make_conversation

    make_conversation("taken")
    response = staff.post(IMPORT_URL, {"file": SimpleUploadedFile("x.zip", b"x"), "slug": "taken"})
    assert "A conversation with this address exists already." in response.content.decode()
    assert Conversation.objects.count() == 1


def test_the_import_page_needs_the_right_to_add_conversations(client, db):
    client.force_login(User.objects.create_user("plain-staff", password="secret-pass-123", is_staff=True))
    assert client.get(IMPORT_URL).status_code == 403
    assert client.post(IMPORT_URL, {"file": SimpleUploadedFile("x.zip", b"x")}).status_code == 403
    changelist = client.get("/admin/statements/conversation/")
    assert "import-polis" not in changelist.content.decode()


def test_importing_the_same_file_again_asks_for_another_address(staff):
    staff.post(IMPORT_URL, {"file": seattle_zip()})
    again = staff.post(IMPORT_URL, {"file": seattle_zip()}).content.decode()
    # It read "a conversation with the address ... exists already; pass --slug." in English.
    assert "The address taken from the file name, 15-per-hour-seattle, is in use already" in again
    assert "--slug" not in again
    assert Conversation.objects.count() == 1
