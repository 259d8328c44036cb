"""Polis export format: write a conversation as a Polis export, and import a Polis export folder.

Layout written (the classic Polis export, as in compdemocracy/openData):

- ``summary.csv``: key,value rows (topic, url, views, voters, voters-in-conv, commenters, comments,
  groups, conversation-description);
- ``comments.csv``: timestamp,datetime,comment-id,author-id,agrees,disagrees,moderated,is-meta,is-seed,
  comment-body (is-meta and is-seed as in Polis' newer exports); statements no resident saw are
  left out (pending, or rejected before they were voted on);
- ``votes.csv``: timestamp,datetime,comment-id,voter-id,vote (the whole vote log, agree = +1);
- ``participants-votes.csv``: participant,xid,group-id,n-comments,n-votes,n-agree,n-disagree and one
  column per comment;
- ``comment-groups.csv``: comment-id,comment,total-votes,total-agrees,total-disagrees,total-passes,
  then group-a-votes,group-a-agrees,group-a-disagrees,group-a-passes,... per opinion group.

Ids: a statement's and a participant's database id, as the report (#123), the moderation log and
the pseudonyms (P123) show them, stable across downloads; an imported conversation keeps its Polis
ids (PolisSource) and numbers what was added later above them. Group ids and letters are the
groups' labels, the report's letters (group-id 0 is group-a, "Group A").
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, validate_slug
from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import slugify

from clustering.models import PolisSource
from clustering.polis_io import PolisExport, PolisExportError, read_polis_export
from clustering.report import group_letter
from clustering.selectors import run_latest_succeeded, run_result
from clustering.services import votes_load
from statements.models import Conversation, Participant, Statement, Vote, VoteLog
from statements.text import clean_statement_text, spreadsheet_safe, spreadsheet_text, statement_text_key

Progress = Callable[[str, int, int], None]
MODERATED = {
    Statement.Status.PUBLISHED: 1,
    Statement.Status.PENDING: 0,
    Statement.Status.REJECTED: -1,
}


class PolisImportError(ValueError):
    """The folder cannot be imported; nothing was written."""


# -- export ----------------------------------------------------------------------------------


def _ms(when) -> int:
    return int(when.timestamp() * 1000)


def _polis_datetime(when) -> str:
    return when.astimezone(UTC).strftime("%a %b %d %H:%M:%S UTC %Y")


def _group_letter(label: int) -> str:
    return group_letter(label).lower()


class _Ids:
    """Database pk -> Polis id, for statements and participants.

    Stable from one download to the next and the same as everywhere else in Voxit: a statement's
    id is its number in the report (#123) and the moderation log, a participant's the number of
    their pseudonym (P123). An imported conversation keeps its Polis ids, and what was added
    after the import is numbered above them (pk + the largest Polis id + 1), so no id is given
    twice."""

    def __init__(self, conversation: Conversation):
        self.comment: dict[int, int] = {}
        self.participant: dict[int, int] = {}
        self.comment_offset = self.participant_offset = 0
        source = PolisSource.objects.filter(conversation=conversation).first()
        if source is not None:
            self.comment = dict(zip(source.statement_pks, source.comment_ids, strict=True))
            self.participant = dict(zip(source.participant_pks, source.polis_pids, strict=True))
            self.comment_offset = max(source.comment_ids, default=-1) + 1
            self.participant_offset = max(source.polis_pids, default=-1) + 1

    def of_comment(self, pk: int) -> int:
        found = self.comment.get(pk)
        return pk + self.comment_offset if found is None else found

    def of_participant(self, pk: int) -> int:
        found = self.participant.get(pk)
        return pk + self.participant_offset if found is None else found


def conversation_export_polis(
    *, conversation: Conversation, open_text: Callable[[str], object], excel: bool = False
) -> None:
    """Write the five files through ``open_text(name)``, a context manager giving a text stream.

    ``excel``: semicolons and CRLF line ends, as Finnish and Swedish Excel open a CSV file by a
    double click (the stream should then write a byte-order mark, for the ä and ö); for
    spreadsheets, not for Polis tools or the import, which read the standard commas."""

    def writer(f):
        return csv.writer(f, delimiter=";", lineterminator="\r\n") if excel else csv.writer(f, lineterminator="\n")
    p_votes, s_votes, choices = votes_load(conversation_id=conversation.pk)
    # Statements no resident ever saw stay out: pending ones, and those rejected before
    # publication (no votes). Their texts may name a person or insult one (the reasons they were
    # refused), and exports get published as open data. A statement rejected after it was voted
    # on stays, marked moderated -1, as Polis lists it: its votes are in the vote log.
    voted = set(np.unique(s_votes).tolist())
    statements = [
        row
        for row in Statement.objects.filter(conversation=conversation)
        .order_by("pk")
        .values_list("pk", "text", "submitted_at", "status", "author_id", "origin", "is_meta")
        if row[3] == Statement.Status.PUBLISHED or row[0] in voted
    ]
    ids = _Ids(conversation)
    run = run_latest_succeeded(conversation_id=conversation.pk)
    result = run_result(run) if run is not None else None
    group_of = result.group_map() if result is not None else {}

    n_s = len(statements)
    s_idx = np.searchsorted(np.asarray([s[0] for s in statements], dtype=np.int64), s_votes)
    agrees = np.bincount(s_idx[choices == 1], minlength=n_s)
    disagrees = np.bincount(s_idx[choices == -1], minlength=n_s)
    seen = np.bincount(s_idx, minlength=n_s)
    authored: dict[int, int] = {}
    for *_x, author_id, _origin, _meta in statements:
        if author_id is not None:
            authored[author_id] = authored.get(author_id, 0) + 1

    # Comments in Polis id order.
    comment_order = sorted(range(n_s), key=lambda i: ids.of_comment(statements[i][0]))
    with open_text("comments.csv") as f:
        w = writer(f)
        w.writerow(
            [
                "timestamp",
                "datetime",
                "comment-id",
                "author-id",
                "agrees",
                "disagrees",
                "moderated",
                "is-meta",
                "is-seed",
                "comment-body",
            ]
        )
        for i in comment_order:
            pk, text, submitted_at, status, author_id, origin, is_meta = statements[i]
            w.writerow(
                [
                    _ms(submitted_at),
                    _polis_datetime(submitted_at),
                    ids.of_comment(pk),
                    ids.of_participant(author_id) if author_id else "",
                    int(agrees[i]),
                    int(disagrees[i]),
                    MODERATED[status],
                    "true" if is_meta else "false",
                    "true" if origin == Statement.Origin.SEED else "false",
                    spreadsheet_safe(text),  # read back by read_polis_export
                ]
            )

    with open_text("votes.csv") as f:
        w = writer(f)
        w.writerow(["timestamp", "datetime", "comment-id", "voter-id", "vote"])
        log = (
            VoteLog.objects.filter(conversation=conversation)
            .order_by("cast_at", "pk")
            .values_list("cast_at", "statement_id", "participant_id", "choice")
        )
        for cast_at, statement_id, participant_id, choice in log.iterator(chunk_size=20_000):
            w.writerow(
                [
                    _ms(cast_at),
                    _polis_datetime(cast_at),
                    ids.of_comment(statement_id),
                    ids.of_participant(participant_id),
                    choice,
                ]
            )

    # participants-votes: one row per participant who voted, one column per comment.
    voters, p_idx = np.unique(p_votes, return_inverse=True)
    column_of_statement = np.empty(n_s, dtype=np.int64)
    column_of_statement[comment_order] = np.arange(n_s)
    matrix = np.full((len(voters), n_s), 3, dtype=np.int8)  # 3 = not seen
    if len(p_votes):
        matrix[p_idx, column_of_statement[s_idx]] = np.where(choices == -1, 2, choices)
    cells = np.asarray(["0", "1", "-1", ""])
    row_order = sorted(range(len(voters)), key=lambda r: ids.of_participant(int(voters[r])))
    with open_text("participants-votes.csv") as f:
        w = writer(f)
        w.writerow(
            ["participant", "xid", "group-id", "n-comments", "n-votes", "n-agree", "n-disagree"]
            + [ids.of_comment(statements[i][0]) for i in comment_order]
        )
        for r in row_order:
            pk = int(voters[r])
            row = matrix[r]
            group = group_of.get(pk)
            w.writerow(
                [
                    ids.of_participant(pk),
                    # The column stays for Polis' layout but is always empty: an embedding site's
                    # xid may identify a person, and exports carry pseudonymous ids only.
                    "",
                    "" if group is None else group,
                    authored.get(pk, 0),
                    int((row != 3).sum()),
                    int((row == 1).sum()),
                    int((row == 2).sum()),
                ]
                + cells[row].tolist()
            )

    with open_text("comment-groups.csv") as f:
        w = writer(f)
        labels = result.group_labels.tolist() if result is not None else []
        header = [
            "comment-id",
            "comment",
            "total-votes",
            "total-agrees",
            "total-disagrees",
            "total-passes",
        ]
        # Named by the group's label, as participants-votes' group-id and the report name it:
        # group-id 2 is group-c here and "Group C" in the report.
        for label in labels:
            letter = _group_letter(label)
            header += [
                f"group-{letter}-votes",
                f"group-{letter}-agrees",
                f"group-{letter}-disagrees",
                f"group-{letter}-passes",
            ]
        w.writerow(header)
        col = {int(s): j for j, s in enumerate(result.statement_ids)} if result is not None else {}
        for i in comment_order:
            pk, text, *_rest = statements[i]
            a, d, s = int(agrees[i]), int(disagrees[i]), int(seen[i])
            row = [ids.of_comment(pk), spreadsheet_safe(text), s, a, d, s - a - d]
            for g in range(len(labels)):
                j = col.get(pk)
                ga, gd, gs = (
                    (
                        int(result.group_agree[g, j]),
                        int(result.group_disagree[g, j]),
                        int(result.group_seen[g, j]),
                    )
                    if j is not None
                    else (0, 0, 0)
                )
                row += [gs, ga, gd, gs - ga - gd]
            w.writerow(row)

    with open_text("summary.csv") as f:
        w = writer(f)
        commenters = len({row[4] for row in statements if row[4] is not None})
        rows = [
            ("topic", spreadsheet_safe(conversation.title)),
            # The conversation's public address where SITE_URL says where Voxit is served.
            ("url", f"{settings.SITE_URL}/c/{conversation.slug}/" if settings.SITE_URL else ""),
            ("views", ""),
            ("voters", len(voters)),
            ("voters-in-conv", len(result.in_conv_ids) if result is not None else 0),
            ("commenters", commenters),
            ("comments", n_s),
            ("groups", len(labels)),
            ("conversation-description", spreadsheet_safe(conversation.question)),
        ]
        w.writerows(rows)


def conversation_export_polis_dir(
    *, conversation: Conversation, directory: str | Path
) -> list[Path]:
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = []

    @contextmanager
    def open_text(name):
        path = directory / name
        written.append(path)
        with path.open("w", newline="", encoding="utf-8") as f:
            yield f

    conversation_export_polis(conversation=conversation, open_text=open_text)
    return written


def conversation_export_polis_zip(*, conversation: Conversation, fileobj, excel: bool = False) -> None:
    """The export as a zip of one folder; ``excel``: the spreadsheet variant (semicolons, with a
    byte-order mark), see :func:`conversation_export_polis`."""
    folder = f"{conversation.slug}/"
    with zipfile.ZipFile(fileobj, "w", compression=zipfile.ZIP_DEFLATED) as archive:

        @contextmanager
        def open_text(name):
            with (
                archive.open(folder + name, "w") as raw,
                io.TextIOWrapper(raw, encoding="utf-8-sig" if excel else "utf-8", newline="") as f,
            ):
                yield f

        conversation_export_polis(conversation=conversation, open_text=open_text, excel=excel)


# -- import ----------------------------------------------------------------------------------


def _summary(folder: Path) -> dict[str, str]:
    path = folder / "summary.csv"
    if not path.is_file():
        return {}
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            return {row[0].strip(): spreadsheet_text(row[1]) for row in csv.reader(f) if len(row) >= 2}
    except UnicodeDecodeError:
        raise PolisImportError(f"{folder.name}/summary.csv: not UTF-8 text (save it as UTF-8)") from None


def _validate(export: PolisExport) -> None:
    if len(np.unique(export.comment_ids)) != len(export.comment_ids):
        raise PolisImportError("comments.csv repeats a comment-id.")
    unknown = np.setdiff1d(np.unique(export.comment_ids_voted), export.comment_ids)
    if len(unknown):
        raise PolisImportError(
            f"votes refer to {len(unknown)} comment(s) missing from comments.csv (e.g. {int(unknown[0])})."
        )
    for name, values in (("votes", export.votes), ("vote log", export.log_votes)):
        if len(values) and not np.isin(values, (-1, 0, 1)).all():
            raise PolisImportError(f"{name}: a vote is not -1, 0 or 1.")
    if not np.isin(export.comment_moderated, (-1, 0, 1)).all():
        raise PolisImportError("comments.csv: 'moderated' must be -1, 0 or 1.")
    if len(export.voter_ids) == 0:
        raise PolisImportError("the folder holds no votes.")


def _to_datetimes(ms: np.ndarray) -> list[datetime]:
    return [datetime.fromtimestamp(int(x) / 1000, tz=UTC) for x in ms]


def _copy_rows(
    model, columns: list[str], rows: list[tuple], progress: Progress | None, label: str
) -> None:
    """Insert many rows: COPY on PostgreSQL, batched bulk_create elsewhere."""
    total = len(rows)
    chunk = 100_000
    if connection.vendor == "postgresql":
        table = model._meta.db_table
        with connection.cursor() as cursor:
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for start in range(0, total, chunk):
                    for row in rows[start : start + chunk]:
                        copy.write_row(row)
                    if progress:
                        progress(label, min(start + chunk, total), total)
        return
    for start in range(0, total, 10_000):
        batch = [
            model(**dict(zip(columns, row, strict=True))) for row in rows[start : start + 10_000]
        ]
        model.objects.bulk_create(batch)
        if progress:
            progress(label, min(start + 10_000, total), total)
    if progress and not total:
        progress(label, 0, 0)


def conversation_import_polis(
    *, folder: str | Path, slug: str | None = None, progress: Progress | None = None
) -> Conversation:
    """Import a Polis export folder into a new conversation, all or nothing.

    votes.csv is the vote log (its latest row per voter and comment is the current vote);
    without it, participants-votes.csv gives the current votes, timed at their comment's creation.
    Unmoderated comments (0) become pending statements; the source is marked as one where they
    were shown, so the math includes them as Polis did.
    """
    folder = Path(folder)
    try:
        export = read_polis_export(folder)
    except PolisExportError as error:
        raise PolisImportError(str(error)) from None
    _validate(export)
    summary = _summary(folder)
    slug = slug or slugify(folder.name)[:80] or "polis-import"
    try:
        validate_slug(slug)
        MaxLengthValidator(80)(slug)
    except ValidationError:
        raise PolisImportError(
            f"{slug!r} cannot be a conversation's address: use at most 80 letters a-z, digits, "
            "hyphens and underscores."
        ) from None
    if Conversation.objects.filter(slug=slug).exists():
        raise PolisImportError(
            f"a conversation with the address {slug!r} exists already; pass --slug."
        )

    comment_time = dict(
        zip(export.comment_ids.tolist(), export.comment_timestamps.tolist(), strict=True)
    )
    if len(export.log_votes):
        log_ts, log_c, log_p, log_v = (
            export.log_timestamps,
            export.log_comment_ids,
            export.log_voter_ids,
            export.log_votes,
        )
    else:
        log_c, log_p, log_v = export.comment_ids_voted, export.voter_ids, export.votes
        log_ts = np.asarray([comment_time[c] for c in log_c.tolist()], dtype=np.int64)
    # Current vote time: the latest log row per (voter, comment), as polis_io keeps it.
    order = np.lexsort((np.arange(len(log_ts)), log_ts, log_c, log_p))
    last = np.ones(len(order), dtype=bool)
    last[:-1] = (log_p[order][1:] != log_p[order][:-1]) | (log_c[order][1:] != log_c[order][:-1])
    first = np.ones(len(order), dtype=bool)
    first[1:] = last[:-1]
    cur = order[last]
    cur_first = order[first]
    all_ts = np.concatenate([log_ts, export.comment_timestamps])
    opens = datetime.fromtimestamp(int(all_ts.min()) / 1000, tz=UTC)
    closes = datetime.fromtimestamp(int(all_ts.max()) / 1000 + 60, tz=UTC)

    pids = np.unique(
        np.concatenate(
            [
                export.voter_ids,
                export.comment_author_ids[export.comment_author_ids >= 0],
                export.group_participant_ids,
            ]
        )
    )
    first_seen: dict[int, int] = {}
    for p, t in zip(log_p.tolist(), log_ts.tolist(), strict=True):
        if t < first_seen.get(p, 1 << 62):
            first_seen[p] = t
    for p, t in zip(
        export.comment_author_ids.tolist(), export.comment_timestamps.tolist(), strict=True
    ):
        if p >= 0 and t < first_seen.get(p, 1 << 62):
            first_seen[p] = t

    status_of = {
        1: Statement.Status.PUBLISHED,
        0: Statement.Status.PENDING,
        -1: Statement.Status.REJECTED,
    }
    with transaction.atomic():
        conversation = Conversation.objects.create(
            slug=slug,
            title_fi=(summary.get("topic") or folder.name)[:200],
            question_fi=summary.get("conversation-description")
            or summary.get("topic")
            or folder.name,
            description_fi=f"Imported from the Polis export {folder.name}.",
            opens_at=opens,
            closes_at=closes,
            allow_submissions=False,
            is_published=False,
            max_statement_length=1000,
        )
        participants = Participant.objects.bulk_create(
            [
                Participant(
                    conversation=conversation,
                    created_at=datetime.fromtimestamp(
                        first_seen.get(int(p), int(all_ts.min())) / 1000, tz=UTC
                    ),
                )
                for p in pids.tolist()
            ],
            batch_size=5000,
        )
        participant_pk = dict(zip(pids.tolist(), [p.pk for p in participants], strict=True))
        if progress:
            progress("participants", len(participants), len(participants))
        keys_in_use: set[str] = set()
        new_statements = []
        comment_order = np.argsort(export.comment_ids, kind="stable")
        for i in comment_order.tolist():
            cid = int(export.comment_ids[i])
            status = status_of[int(export.comment_moderated[i])]
            when = datetime.fromtimestamp(int(export.comment_timestamps[i]) / 1000, tz=UTC)
            text = clean_statement_text(export.comment_bodies[i]) or f"({cid})"
            key = statement_text_key(text)
            if status != Statement.Status.REJECTED:
                if key in keys_in_use:
                    key = f"{key} #polis-{cid}"  # Polis allows repeated texts; Voxit's key must be unique
                keys_in_use.add(key)
            author = int(export.comment_author_ids[i])
            new_statements.append(
                Statement(
                    conversation=conversation,
                    text=text,
                    text_fi=text,
                    text_key=key,
                    original_text=text,
                    # A seed is the conversation owner's, not a resident's: Voxit's seeds have no author.
                    origin=Statement.Origin.SEED if export.comment_is_seed[i] else Statement.Origin.PARTICIPANT,
                    status=status,
                    is_meta=bool(export.comment_is_meta[i]),
                    author_id=None if export.comment_is_seed[i] else participant_pk.get(author),
                    submitted_at=when,
                    published_at=when if status == Statement.Status.PUBLISHED else None,
                    decided_at=when if status != Statement.Status.PENDING else None,
                )
            )
        statements = Statement.objects.bulk_create(new_statements, batch_size=2000)
        ordered_cids = export.comment_ids[comment_order].tolist()
        statement_pk = dict(zip(ordered_cids, [s.pk for s in statements], strict=True))
        if progress:
            progress("statements", len(statements), len(statements))

        ts_dt = _to_datetimes(log_ts)
        conversation_id = conversation.pk
        p_l, c_l, v_l = log_p.tolist(), log_c.tolist(), log_v.tolist()
        vote_rows = [
            (
                conversation_id,
                participant_pk[p_l[i]],
                statement_pk[c_l[i]],
                v_l[i],
                ts_dt[j],
                ts_dt[i],
            )
            for i, j in zip(cur.tolist(), cur_first.tolist(), strict=True)
        ]
        _copy_rows(
            Vote,
            [
                "conversation_id",
                "participant_id",
                "statement_id",
                "choice",
                "created_at",
                "updated_at",
            ],
            vote_rows,
            progress,
            "votes",
        )
        del vote_rows
        log_rows = [
            (conversation_id, participant_pk[p_l[i]], statement_pk[c_l[i]], v_l[i], ts_dt[i])
            for i in np.argsort(log_ts, kind="stable").tolist()
        ]
        _copy_rows(
            VoteLog,
            ["conversation_id", "participant_id", "statement_id", "choice", "cast_at"],
            log_rows,
            progress,
            "vote log",
        )
        PolisSource.objects.create(
            conversation=conversation,
            name=folder.name,
            imported_at=timezone.now(),
            statement_pks=[s.pk for s in statements],
            comment_ids=ordered_cids,
            participant_pks=[p.pk for p in participants],
            polis_pids=pids.tolist(),
        )
    return conversation


POLIS_EXPORT_FILES = ("summary.csv", "comments.csv", "votes.csv", "participants-votes.csv", "comment-groups.csv")
# An export of Polis' largest conversations is a few hundred MB of CSV; more is refused unread.
POLIS_ZIP_MAX_BYTES = 1024 * 1024 * 1024


class PolisZipUnreadable(PolisImportError):
    """The uploaded file is not a zip of one Polis export; ``code`` says why."""

    def __init__(self, code: str, detail: str = ""):
        self.code = code
        super().__init__(detail or code)


def polis_zip_slug(name: str) -> str:
    """The address a zip called ``name`` is imported under when none is given."""
    return slugify(Path(name).stem)[:80] or "polis-import"


def conversation_import_polis_zip(*, fileobj, name: str, slug: str | None = None) -> Conversation:
    """Import a zip of a Polis export (the five CSV files, at its top or in one folder, as Polis
    and Voxit's own export give them) into a new conversation, all or nothing.

    Only the export's own file names are taken out, by name alone (no path of the archive is
    written), into a temporary folder named after ``name``, which names the conversation;
    anything else in the archive is ignored. Raises :class:`PolisZipUnreadable` (``not_zip``,
    ``no_export``, ``several_exports``, ``too_large``) or :class:`PolisImportError`.
    """
    import shutil
    import tempfile

    try:
        archive = zipfile.ZipFile(fileobj)
    except (zipfile.BadZipFile, OSError):
        raise PolisZipUnreadable("not_zip") from None
    with archive, tempfile.TemporaryDirectory(prefix="voxit-polis-") as temporary:
        members: dict[str, zipfile.ZipInfo] = {}
        for member in archive.infolist():
            base = member.filename.replace("\\", "/").rsplit("/", 1)[-1]
            if member.is_dir() or base not in POLIS_EXPORT_FILES or "__MACOSX" in member.filename:
                continue
            if base in members:
                raise PolisZipUnreadable("several_exports")
            members[base] = member
        if "comments.csv" not in members or not {"votes.csv", "participants-votes.csv"} & set(members):
            raise PolisZipUnreadable("no_export")
        if sum(member.file_size for member in members.values()) > POLIS_ZIP_MAX_BYTES:
            raise PolisZipUnreadable("too_large")
        folder = Path(temporary) / polis_zip_slug(name)
        folder.mkdir()
        try:
            for base, member in members.items():
                with archive.open(member) as source, (folder / base).open("wb") as target:
                    shutil.copyfileobj(source, target, 1024 * 1024)
        except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError):
            raise PolisZipUnreadable("not_zip") from None
        return conversation_import_polis(folder=folder, slug=slug)
