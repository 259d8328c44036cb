from datetime import timedelta

import pytest
from django.utils import translation

from statements import services
from statements.errors import DuplicateStatement, InvalidStatementText, SubmissionsClosed
from statements.models import Statement
from tests.conftest import make_conversation, make_participant, make_seed

pytestmark = pytest.mark.django_db


def test_submitted_statement_waits_for_moderation(participant):
    statement = services.statement_submit(
        participant=participant, text="More trees on Mannerheimintie"
    )
    assert statement.status == Statement.Status.PENDING
    assert statement.origin == Statement.Origin.PARTICIPANT
    assert statement.author == participant
    assert statement.published_at is None


def test_seed_statement_is_published_at_once(conversation):
    statement = make_seed(conversation, "Libraries should open on Sundays")
    assert statement.status == Statement.Status.PUBLISHED
    assert statement.published_at is not None
    assert Statement.objects.published().filter(pk=statement.pk).exists()


def test_submitted_text_is_tidied(participant):
    statement = services.statement_submit(
        participant=participant, text="  More\u200b   trees\n\nplease \t "
    )
    assert statement.text == "More trees please"


@pytest.mark.parametrize("text", ["", "   ", "\n\t ", "\u200b\u200b"])
def test_whitespace_only_statement_is_refused(participant, text):
    with pytest.raises(InvalidStatementText):
        services.statement_submit(participant=participant, text=text)
    assert not Statement.objects.exists()


def test_statement_over_the_limit_is_refused_with_both_lengths_in_the_message(db):
    conversation = make_conversation(max_statement_length=40)
    participant = make_participant(conversation)
    with pytest.raises(InvalidStatementText) as refusal:
        services.statement_submit(participant=participant, text="x" * 41)
    assert "41" in str(refusal.value.message) and "40" in str(refusal.value.message)
    assert services.statement_submit(participant=participant, text="x" * 40).pk


def test_limit_counts_the_tidied_text(db):
    conversation = make_conversation(max_statement_length=20)
    participant = make_participant(conversation)
    assert (
        services.statement_submit(participant=participant, text="  " + "y" * 20 + "     ").text
        == "y" * 20
    )


@pytest.mark.parametrize(
    "variant", ["parks need more benches", "PARKS NEED MORE BENCHES", " Parks  need\tmore benches "]
)
def test_exact_duplicate_ignoring_case_and_whitespace_is_refused_and_points_to_the_original(
    participant, variant
):
    original = make_seed(participant.conversation, "Parks need more benches")
    with pytest.raises(DuplicateStatement) as refusal:
        services.statement_submit(participant=participant, text=variant)
    assert refusal.value.existing == original
    assert refusal.value.extra == {"existing_statement": original.pk}
    assert Statement.objects.count() == 1


def test_duplicate_of_a_pending_statement_is_refused_too(participant, db):
    services.statement_submit(participant=participant, text="Saunas in every district")
    someone_else = make_participant(participant.conversation)
    with pytest.raises(DuplicateStatement) as refusal:
        services.statement_submit(participant=someone_else, text="saunas in every district")
    # Someone else's statement awaiting moderation is not named to another resident.
    assert refusal.value.extra == {}


def test_a_different_wording_is_not_a_duplicate(participant):
    make_seed(participant.conversation, "Parks need more benches")
    assert services.statement_submit(participant=participant, text="Parks need more benches!").pk


def test_submission_after_the_submission_deadline_is_refused_while_voting_continues(db):
    conversation = make_conversation(
        opens_delta=timedelta(days=-10), closes_delta=timedelta(days=5)
    )
    conversation.submissions_close_at = conversation.opens_at + timedelta(days=2)
    conversation.save()
    participant = make_participant(conversation)
    statement = make_seed(conversation, "Still votable")
    with pytest.raises(SubmissionsClosed):
        services.statement_submit(participant=participant, text="Too late")
    assert (
        services.vote_cast(
            participant=participant, statement_id=statement.pk, choice="agree"
        ).choice
        == 1
    )


def test_submission_is_refused_when_the_conversation_does_not_allow_it(db):
    participant = make_participant(make_conversation(allow_submissions=False))
    with pytest.raises(SubmissionsClosed):
        services.statement_submit(participant=participant, text="Not allowed here")


@pytest.mark.parametrize(
    "opens,closes",
    [(timedelta(days=1), timedelta(days=3)), (timedelta(days=-3), timedelta(days=-1))],
)
def test_submission_outside_the_voting_window_is_refused(db, opens, closes):
    participant = make_participant(make_conversation(opens_delta=opens, closes_delta=closes))
    with pytest.raises(SubmissionsClosed):
        services.statement_submit(participant=participant, text="Outside the window")


def test_bulk_seed_reports_each_refused_line_and_keeps_the_rest(conversation):
    outcomes = services.statements_seed_bulk(
        conversation=conversation,
        rows=[
            ("First", "Första", "First en"),
            ("", "", ""),
            ("first", "", ""),
            ("z" * 200, "", ""),
            ("Second", "", ""),
        ],
    )
    assert [(o.line, bool(o.statement)) for o in outcomes] == [
        (1, True),
        (3, False),
        (4, False),
        (5, True),
    ]
    assert all(o.error for o in outcomes if not o.statement)
    first = Statement.objects.get(text="First")
    assert (first.text_sv, first.text_en) == ("Första", "First en")


def test_seed_rows_from_plain_lines_keep_commas():
    assert services.seed_rows_parse("One, two and three\n\n  Four  \n") == [
        ("One, two and three", "", ""),
        ("Four", "", ""),
    ]


def test_seed_rows_from_tab_separated_lines_carry_translations():
    assert services.seed_rows_parse("Yksi\tEtt\tOne\nKaksi\tTvå") == [
        ("Yksi", "Ett", "One"),
        ("Kaksi", "Två", ""),
    ]


def test_seed_rows_from_a_headerless_semicolon_csv_split_at_semicolons_and_keep_line_numbers():
    rows = services.seed_rows_parse("Yksi;Ett\n\nKaksi;Två;Two\n", is_csv=True)
    assert rows == [("Yksi", "Ett", ""), ("Kaksi", "Två", "Two")]
    assert [row.line for row in rows] == [1, 3]
    # Commas inside a semicolon file's statements are text, not columns.
    rows = services.seed_rows_parse("Lapsille, nuorille ja vanhoille;För barn, unga\nToinen;Andra\n", is_csv=True)
    assert rows == [("Lapsille, nuorille ja vanhoille", "För barn, unga", ""), ("Toinen", "Andra", "")]


@pytest.mark.parametrize(
    "content",
    [
        "Puisto; penkit\nToinen, rivi\n",  # a semicolon on one line only
        "Kirjastoja, lisää\nToinen rivi\n",  # one column, a comma in a statement
        '"Puistot, torit",Parker,Parks\n',
    ],
)
def test_a_headerless_csv_with_commas_is_refused_not_split_into_halves(content):
    # Split at commas, "Kirjastoja, lisää" was published as "Kirjastoja" with the Swedish "lisää".
    with pytest.raises(services.SeedFileUnreadable) as refusal:
        services.seed_rows_parse(content, is_csv=True)
    assert "fi,sv,en" in str(refusal.value.message)


@pytest.mark.parametrize(
    "content,expected",
    [
        ("fi\nLaajentaa, erityisesti ruotsiksi.\n", [("Laajentaa, erityisesti ruotsiksi.", "", "")]),
        ("suomi;ruotsi;englanti\nYksi;Ett;One\n", [("Yksi", "Ett", "One")]),
        ("en,fi,sv\nOne,Yksi,Ett\n", [("Yksi", "Ett", "One")]),
        ("Finska;Svenska\nYksi;Ett\n", [("Yksi", "Ett", "")]),
        ("Ilman pilkkuja\nToinen\n", [("Ilman pilkkuja", "", ""), ("Toinen", "", "")]),
    ],
)
def test_a_csv_header_names_the_columns_in_any_order(content, expected):
    assert services.seed_rows_parse(content, is_csv=True) == expected


@pytest.mark.parametrize(
    "content,is_csv,expected",
    [
        # Pasted from a spreadsheet with its header row: the row "fi sv en" was published.
        ("fi\tsv\ten\nYksi\tEtt\tOne\n", False, [("Yksi", "Ett", "One")]),
        ("fi\nYksi\tEtt\n", False, [("Yksi", "Ett", "")]),  # "fi" alone: the lines still split at tabs
        ("fi;sv;en;;\nYksi;Ett;One;;\n", True, [("Yksi", "Ett", "One")]),  # as Excel saves a row
        ("fi;sv;en;notes\nYksi;Ett;One;huom\n", True, [("Yksi", "Ett", "One")]),  # a column of its own
        ("Teksti, joka on väite\nToinen\n", True, None),  # a statement, not a header: refused whole
    ],
)
def test_header_rows_as_spreadsheets_save_them_are_skipped(content, is_csv, expected):
    if expected is None:
        with pytest.raises(services.SeedFileUnreadable):
            services.seed_rows_parse(content, is_csv=is_csv)
    else:
        assert services.seed_rows_parse(content, is_csv=is_csv) == expected


def test_a_row_with_more_columns_than_named_is_refused_with_its_line():
    with pytest.raises(services.SeedFileUnreadable) as refusal, translation.override("en"):
        services.seed_rows_parse("fi;sv;en\nYksi;Ett;One\nKaksi; tai kolme;Två;Two\n", is_csv=True)
    assert str(refusal.value.message).startswith("Line 3 has more columns than these: fi, sv, en.")
    # Trailing empty cells, as a spreadsheet saves them, are not columns.
    assert services.seed_rows_parse("fi;sv;en\nYksi;Ett;;;\n", is_csv=True) == [("Yksi", "Ett", "")]
    with pytest.raises(services.SeedFileUnreadable):
        services.seed_rows_parse("sv;en\nEtt;One\n", is_csv=True)


def test_seed_rows_from_csv_skip_a_language_header_and_a_bom():
    content = '\ufefffi,sv,en\n"Puistoja, lisää",Fler parker,More parks\nVain suomeksi\n'
    assert services.seed_rows_parse(content, is_csv=True) == [
        ("Puistoja, lisää", "Fler parker", "More parks"),
        ("Vain suomeksi", "", ""),
    ]


@pytest.mark.parametrize("language,text", [("sv", "Parkerna behöver fler bänkar"), ("en", " parks need MORE benches ")])
def test_a_statement_given_word_for_word_in_another_language_is_a_duplicate(participant, language, text):
    original = make_seed(
        participant.conversation,
        "Puistoihin tarvitaan lisää penkkejä",
        text_sv="Parkerna behöver fler bänkar",
        text_en="Parks need more benches",
    )
    with pytest.raises(DuplicateStatement) as refusal:
        services.statement_submit(participant=participant, text=text)
    assert refusal.value.existing == original, language
    assert Statement.objects.count() == 1
