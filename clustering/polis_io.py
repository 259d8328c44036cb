"""Read a Polis export folder (compdemocracy/openData layout). Pure Python/NumPy, no Django.

Files: ``comments.csv`` (two layouts: with a ``datetime`` column, or the newer
one with ``is-meta``/``is-seed`` and no datetime), ``votes.csv`` (the raw vote
log, agree = +1) or, when it is missing, ``participants-votes.csv`` (one row
per participant, one column per comment, and Polis' ``group-id``).
"""

from __future__ import annotations

import csv
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from statements.text import spreadsheet_text  # pure Python, no Django

__all__ = ["PolisExport", "PolisExportError", "read_polis_export"]

csv.field_size_limit(sys.maxsize)


class PolisExportError(ValueError):
    """The folder is not a readable Polis export."""


@dataclass(frozen=True, eq=False)
class PolisExport:
    """One conversation's export.

    Comments (C,): ``comment_ids``, ``comment_author_ids``, ``comment_moderated``
    (1 accepted, 0 unmoderated, -1 rejected), ``comment_is_meta`` and ``comment_is_seed`` (bool; False in
    the older layout), ``comment_bodies`` (list of str), ``comment_timestamps``
    (epoch ms, int64).
    Raw vote log (R,): ``log_timestamps`` (ms), ``log_comment_ids``,
    ``log_voter_ids``, ``log_votes`` (+1 agree, -1 disagree, 0 pass); empty when
    only participants-votes.csv exists.
    Current votes (V,): ``voter_ids``, ``comment_ids_voted``, ``votes`` -- the
    latest row per (voter, comment).
    Polis groups: ``group_participant_ids`` and ``group_ids`` for participants
    Polis clustered (empty when participants-votes.csv is absent).
    """

    name: str
    comment_ids: np.ndarray
    comment_author_ids: np.ndarray
    comment_moderated: np.ndarray
    comment_is_meta: np.ndarray
    comment_is_seed: np.ndarray
    comment_bodies: list[str]
    comment_timestamps: np.ndarray
    log_timestamps: np.ndarray
    log_comment_ids: np.ndarray
    log_voter_ids: np.ndarray
    log_votes: np.ndarray
    voter_ids: np.ndarray
    comment_ids_voted: np.ndarray
    votes: np.ndarray
    group_participant_ids: np.ndarray
    group_ids: np.ndarray

    @property
    def has_polis_groups(self) -> bool:
        return len(self.group_ids) > 0

    @property
    def has_vote_log(self) -> bool:
        """True when votes.csv (the timed vote log) was read, not only participants-votes.csv."""
        return len(self.log_timestamps) > 0


def _shown(path: Path) -> str:
    """A file named as the export names it (folder/file), not by where it was unpacked."""
    return f"{path.parent.name}/{path.name}"


def _open_rows(path: Path):
    # utf-8-sig: a file saved as "CSV UTF-8" by Excel starts with a byte-order mark.
    f = path.open(newline="", encoding="utf-8-sig")
    reader = csv.reader(f)
    try:
        header = next(reader)
    except StopIteration:
        f.close()
        raise PolisExportError(f"{_shown(path)}: empty file") from None
    return f, [h.strip() for h in header], reader


def _require(path: Path, header: list[str], needed: tuple[str, ...]) -> None:
    missing = [h for h in needed if h not in header]
    if missing:
        raise PolisExportError(f"{_shown(path)}: not a Polis export file (missing columns {', '.join(missing)})")


def _int(value: str, default: int = 0) -> int:
    value = value.strip()
    if not value:
        return default
    return int(float(value))


def _read_comments(path: Path):
    f, header, reader = _open_rows(path)
    with f:
        _require(path, header, ("comment-id", "moderated", "comment-body"))
        col = {h: i for i, h in enumerate(header)}
        ids, authors, moderated, meta, seed, bodies, stamps = [], [], [], [], [], [], []
        for row in reader:
            if not row:
                continue
            try:
                ids.append(_int(row[col["comment-id"]]))
                authors.append(_int(row[col["author-id"]], -1) if "author-id" in col else -1)
                moderated.append(_int(row[col["moderated"]]))
                meta.append(
                    row[col["is-meta"]].strip().lower() in ("1", "true", "t")
                    if "is-meta" in col
                    else False
                )
                seed.append(
                    row[col["is-seed"]].strip().lower() in ("1", "true", "t")
                    if "is-seed" in col
                    else False
                )
                bodies.append(spreadsheet_text(row[col["comment-body"]]))
                stamps.append(_int(row[col["timestamp"]]) if "timestamp" in col else 0)
            except (IndexError, ValueError) as exc:
                raise PolisExportError(f"{_shown(path)}: malformed row {row[:3]!r}: {exc}") from None
    return (
        np.asarray(ids, dtype=np.int64),
        np.asarray(authors, dtype=np.int64),
        np.asarray(moderated, dtype=np.int8),
        np.asarray(meta, dtype=bool),
        np.asarray(seed, dtype=bool),
        bodies,
        np.asarray(stamps, dtype=np.int64),
    )


def _read_vote_log(path: Path):
    f, header, reader = _open_rows(path)
    with f:
        _require(path, header, ("timestamp", "comment-id", "voter-id", "vote"))
        it, ic, iv, ivote = (header.index(h) for h in ("timestamp", "comment-id", "voter-id", "vote"))
        ts, cid, vid, vote = [], [], [], []
        try:
            for row in reader:
                if row:
                    ts.append(row[it])
                    cid.append(row[ic])
                    vid.append(row[iv])
                    vote.append(row[ivote])
            return (
                np.asarray(ts, dtype=np.float64).astype(np.int64),
                np.asarray(cid, dtype=np.int64),
                np.asarray(vid, dtype=np.int64),
                np.asarray(vote, dtype=np.int8),
            )
        except (IndexError, ValueError) as exc:
            raise PolisExportError(f"{_shown(path)}: malformed vote row: {exc}") from None


def _latest(ts, cid, vid, vote):
    """Latest row per (voter, comment) by timestamp (file order breaks ties)."""
    order = np.lexsort((np.arange(len(ts)), ts, cid, vid))
    v, c = vid[order], cid[order]
    last = np.ones(len(order), dtype=bool)
    last[:-1] = (v[1:] != v[:-1]) | (c[1:] != c[:-1])
    keep = order[last]
    return vid[keep], cid[keep], vote[keep]


def _read_participants_votes(path: Path):
    f, header, reader = _open_rows(path)
    with f:
        _require(path, header, ("participant", "group-id"))
        ip, ig = header.index("participant"), header.index("group-id")
        first = header.index("n-disagree") + 1 if "n-disagree" in header else ig + 1
        comment_cols = np.asarray([int(h) for h in header[first:]], dtype=np.int64)
        gp, gid, vv, vc, vx = [], [], [], [], []
        try:
            for row in reader:
                if not row:
                    continue
                pid = int(row[ip])
                if row[ig].strip():
                    gp.append(pid)
                    gid.append(int(float(row[ig])))
                for j, cell in enumerate(row[first:]):
                    if cell.strip():
                        vv.append(pid)
                        vc.append(comment_cols[j])
                        vx.append(int(float(cell)))
        except (IndexError, ValueError) as exc:
            raise PolisExportError(f"{_shown(path)}: malformed row: {exc}") from None
    return (
        np.asarray(gp, dtype=np.int64),
        np.asarray(gid, dtype=np.int64),
        np.asarray(vv, dtype=np.int64),
        np.asarray(vc, dtype=np.int64),
        np.asarray(vx, dtype=np.int8),
    )


def read_polis_export(folder: str | Path) -> PolisExport:
    """Read one export folder; raises PolisExportError when it is not one."""
    try:
        return _read_polis_export(Path(folder))
    except UnicodeDecodeError:
        raise PolisExportError(
            f"{Path(folder).name}: a file is not UTF-8 text (save the CSV files as UTF-8, "
            "not as Unicode text or in a Windows code page)"
        ) from None


def _read_polis_export(folder: Path) -> PolisExport:
    if not folder.is_dir():
        raise PolisExportError(f"{folder}: not a directory")
    comments = folder / "comments.csv"
    votes_csv = folder / "votes.csv"
    pv_csv = folder / "participants-votes.csv"
    if not comments.is_file():
        raise PolisExportError(f"{folder}: no comments.csv, not a Polis export")
    if not votes_csv.is_file() and not pv_csv.is_file():
        raise PolisExportError(f"{folder}: neither votes.csv nor participants-votes.csv")
    c_ids, c_auth, c_mod, c_meta, c_seed, c_body, c_ts = _read_comments(comments)
    empty = np.empty(0, dtype=np.int64)
    gp, gid = empty, empty
    if pv_csv.is_file():
        gp, gid, pv_v, pv_c, pv_x = _read_participants_votes(pv_csv)
    if votes_csv.is_file():
        ts, cid, vid, vote = _read_vote_log(votes_csv)
        voters, voted, current = _latest(ts, cid, vid, vote)
    else:
        ts, cid, vid, vote = empty, empty, empty, np.empty(0, dtype=np.int8)
        voters, voted, current = pv_v, pv_c, pv_x
    return PolisExport(
        name=folder.name,
        comment_ids=c_ids,
        comment_author_ids=c_auth,
        comment_moderated=c_mod,
        comment_is_meta=c_meta,
        comment_is_seed=c_seed,
        comment_bodies=c_body,
        comment_timestamps=c_ts,
        log_timestamps=ts,
        log_comment_ids=cid,
        log_voter_ids=vid,
        log_votes=vote,
        voter_ids=voters,
        comment_ids_voted=voted,
        votes=current,
        group_participant_ids=gp,
        group_ids=gid,
    )
