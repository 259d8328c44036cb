"""Selectors that assemble the staff report and the residents' results from the latest run.

Everything here reads: the latest successful run (parsed once per process), a handful of
aggregate queries (counts per statement and choice, activity per day), never a query per row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone, translation

from clustering.math import ClusteringResult
from clustering.models import ClusteringRun
from clustering.selectors import run_latest, run_latest_succeeded, run_result
from moderation.selectors import DecisionTimes
from moderation.selectors import moderation_figures as moderation_figures_for
from statements.models import LANGUAGE_CODES, Conversation, Participant, Statement, Vote, VoteLog

SHAPES = ("circle", "square", "triangle", "diamond", "cross", "star")
COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#7a5a00", "#56B4E9")
MIN_GROUP_VOTES = 7  # Polis' in-conv rule: a resident is placed once they have voted this much


def group_letter(label: int) -> str:
    return chr(ord("A") + label) if 0 <= label < 26 else str(label + 1)


def _share(part: int, whole: int) -> float:
    return 100.0 * part / whole if whole else 0.0


@dataclass
class Split:
    """Agree / disagree / pass shares of some voters on one statement, in percent."""

    agree: int
    disagree: int
    seen: int

    @property
    def passes(self) -> int:
        return max(self.seen - self.agree - self.disagree, 0)

    @property
    def agree_pct(self) -> float:
        return _share(self.agree, self.seen)

    @property
    def disagree_pct(self) -> float:
        return _share(self.disagree, self.seen)

    @property
    def pass_pct(self) -> float:
        return _share(self.passes, self.seen)

    @property
    def bar(self) -> tuple[int, int, int]:
        """Whole-percent widths of the agree, disagree and pass parts of a bar, summing to 100
        (largest remainder; all 0 when nobody has seen it). The bar's CSS has a class per width:
        the page's Content-Security-Policy allows no inline style."""
        if not self.seen:
            return (0, 0, 0)
        exact = [100 * n / self.seen for n in (self.agree, self.disagree, self.passes)]
        widths = [int(x) for x in exact]
        for i in sorted(range(3), key=lambda i: widths[i] - exact[i])[: 100 - sum(widths)]:
            widths[i] += 1
        return tuple(widths)


@dataclass
class StatementRow:
    pk: int
    text: str
    lang: str  # of ``text``, for its lang attribute ("" when not known)
    status: str
    status_label: str
    is_meta: bool
    total: Split
    groups: list[Split] = field(default_factory=list)
    consensus: float | None = None
    divisiveness: float | None = None
    priority: float | None = None
    labelled: list = field(default_factory=list)  # (GroupView, Split) pairs


@dataclass
class RepresentativeView:
    row: StatementRow
    direction: str
    group: Split
    rest: Split


@dataclass
class GroupView:
    label: int
    letter: str
    size: int
    share: float
    shape: str
    colour: str
    representative: list[RepresentativeView]

    @property
    def swatch(self):
        from clustering.svg import group_swatch

        return group_swatch(self)

    @property
    def shape_name(self) -> str:
        from clustering.svg import shape_name

        return shape_name(self.shape)


@dataclass
class Report:
    conversation: Conversation
    run: ClusteringRun | None
    latest: ClusteringRun | None
    result: ClusteringResult | None
    participants: int
    voters: int
    in_groups: int
    published: int
    pending: int
    rejected: int
    votes: int
    groups: list[GroupView]
    rows: list[StatementRow]
    consensus: list[StatementRow]
    divisive: list[StatementRow]
    passed: list[StatementRow]

    @property
    def has_groups(self) -> bool:
        return bool(self.groups)

    @property
    def letters_skip(self) -> bool:
        """A letter is missing (A and C): groups keep their letters from run to run."""
        return [group.label for group in self.groups] != list(range(len(self.groups)))

    @property
    def failed_since(self) -> ClusteringRun | None:
        """The newest run, when it failed after the result shown."""
        if self.latest is not None and self.latest.status == ClusteringRun.Status.FAILED:
            if self.run is None or self.latest.pk > self.run.pk:
                return self.latest
        return None

    @property
    def running(self) -> bool:
        return self.latest is not None and self.latest.status == ClusteringRun.Status.RUNNING


def _published_votes(conversation: Conversation):
    """Votes on published statements: those on a statement since rejected, or on a withdrawn
    one, are left out of the report's counts, as they are out of the math and the table."""
    return Vote.objects.filter(conversation=conversation, statement__status=Statement.Status.PUBLISHED)


def _totals(conversation: Conversation) -> dict[int, Split]:
    totals: dict[int, Split] = {}
    for statement_id, choice, n in (
        _published_votes(conversation)
        .values_list("statement_id", "choice")
        .annotate(n=Count("id"))
        .order_by()
    ):
        split = totals.setdefault(statement_id, Split(0, 0, 0))
        split.seen += n
        if choice == 1:
            split.agree += n
        elif choice == -1:
            split.disagree += n
    return totals


def conversation_report(*, conversation: Conversation, top: int = 5) -> Report:
    run = run_latest_succeeded(conversation_id=conversation.pk)
    latest = run_latest(conversation_id=conversation.pk)
    result = run_result(run) if run is not None else None
    status_counts = dict(
        Statement.objects.filter(conversation=conversation)
        .values_list("status")
        .annotate(n=Count("id"))
        .order_by()
    )
    totals = _totals(conversation)
    status_labels = dict(Statement.Status.choices)
    rows: dict[int, StatementRow] = {}
    language = (translation.get_language() or "fi")[:2]
    translated = f"text_{language}" if language in LANGUAGE_CODES else "text"
    for pk, text, in_language, text_fi, status, is_meta in Statement.objects.filter(
        conversation=conversation
    ).values_list("pk", "text", translated, "text_fi", "status", "is_meta"):
        rows[pk] = StatementRow(
            pk=pk,
            # The reader's language where the statement has that translation, as residents see it.
            text=in_language or text,
            lang=(language if in_language else ("fi" if text_fi and text_fi == text else "")),
            status=status,
            status_label=str(status_labels.get(status, status)),
            is_meta=is_meta,
            total=totals.get(pk, Split(0, 0, 0)),
        )
    groups: list[GroupView] = []
    if result is not None and result.k > 0:
        col = {int(s): j for j, s in enumerate(result.statement_ids)}
        n_grouped = sum(len(m) for m in result.group_members)
        # Groups in the order of their stable labels (A, B, C...), whatever the run's order.
        order = sorted(range(len(result.group_labels)), key=lambda g: int(result.group_labels[g]))
        for g in order:
            for pk, row in rows.items():
                j = col.get(pk)
                row.groups.append(
                    Split(
                        int(result.group_agree[g, j]),
                        int(result.group_disagree[g, j]),
                        int(result.group_seen[g, j]),
                    )
                    if j is not None
                    else Split(0, 0, 0)
                )
        for pk, row in rows.items():
            j = col.get(pk)
            if j is None or row.is_meta:
                continue
            row.consensus = float(result.group_informed_consensus[j])
            row.priority = float(result.priority[j])
            probabilities = [(s.agree + 1) / (s.seen + 2) for s in row.groups]
            if len(row.groups) > 1 and all(s.seen for s in row.groups):
                row.divisiveness = max(probabilities) - min(probabilities)
        for position, g in enumerate(order):
            label, members = int(result.group_labels[g]), result.group_members[g]
            representative = []
            # One group has no others to differ from ("disagrees more than the other groups, of 0").
            for rep in result.repness[g] if len(order) > 1 else ():
                row = rows.get(rep.statement_id)
                # The run may predate a moderator's reversal (or an import may count unmoderated
                # comments): only what is published now is ever shown, to staff or residents.
                if row is None or row.status != Statement.Status.PUBLISHED or row.is_meta:
                    continue
                mine = row.groups[position]
                # The other groups of the same run, as the representativeness compares: today's
                # totals minus the run's counts mixed two moments (shares below 0 or over 100 %
                # while a recompute was due).
                others = [split for i, split in enumerate(row.groups) if i != position]
                rest = Split(
                    sum(o.agree for o in others),
                    sum(o.disagree for o in others),
                    sum(o.seen for o in others),
                )
                representative.append(
                    RepresentativeView(row=row, direction=rep.direction, group=mine, rest=rest)
                )
            groups.append(
                GroupView(
                    label=label,
                    letter=group_letter(label),
                    size=len(members),
                    share=_share(len(members), n_grouped),
                    # By the stable label, so a group keeps its mark from one run to the next.
                    shape=SHAPES[label % len(SHAPES)],
                    colour=COLOURS[label % len(COLOURS)],
                    representative=representative,
                )
            )
    for row in rows.values():
        row.labelled = list(zip(groups, row.groups, strict=False))
    published_rows = [
        r for r in rows.values() if r.status == Statement.Status.PUBLISHED and not r.is_meta
    ]
    # Only what a majority of every group agrees with: ranked by consensus alone, the top five
    # were listed even where one group agreed 0 % (and the same statements were "divisive").
    consensus = sorted(
        (
            r
            for r in published_rows
            if r.consensus is not None and r.groups and all(s.seen and 2 * s.agree > s.seen for s in r.groups)
        ),
        key=lambda r: -r.consensus,
    )[:top]
    divisive = sorted(
        (r for r in published_rows if r.divisiveness is not None), key=lambda r: -r.divisiveness
    )[:top]
    passed = sorted(
        (r for r in published_rows if r.total.seen >= 5 and r.total.passes),
        key=lambda r: -r.total.pass_pct,
    )[:top]
    return Report(
        conversation=conversation,
        run=run,
        latest=latest,
        result=result,
        participants=Participant.objects.filter(conversation=conversation).count(),
        voters=_published_votes(conversation)
        .values("participant_id")
        .distinct()
        .count(),
        in_groups=sum(g.size for g in groups),
        published=status_counts.get(Statement.Status.PUBLISHED, 0),
        pending=status_counts.get(Statement.Status.PENDING, 0),
        rejected=status_counts.get(Statement.Status.REJECTED, 0),
        votes=sum(t.seen for t in totals.values()),
        groups=groups,
        # Published statements only: pending and rejected ones never reach the report, not even
        # its table (their number is in ``pending`` and ``rejected``).
        rows=[r for r in rows.values() if r.status == Statement.Status.PUBLISHED],
        consensus=consensus,
        divisive=divisive,
        passed=passed,
    )


SORT_KEYS = {
    "id": lambda r: r.pk,
    "votes": lambda r: r.total.seen,
    "agree": lambda r: r.total.agree_pct,
    "disagree": lambda r: r.total.disagree_pct,
    "pass": lambda r: r.total.pass_pct,
    "consensus": lambda r: r.consensus if r.consensus is not None else -1,
    "divisive": lambda r: r.divisiveness if r.divisiveness is not None else -1,
    "status": lambda r: r.status,
}


def rows_sorted(rows: list[StatementRow], key: str, descending: bool) -> list[StatementRow]:
    return sorted(rows, key=SORT_KEYS.get(key, SORT_KEYS["id"]), reverse=descending)


# -- participation over time --------------------------------------------------------------


@dataclass
class Series:
    name: str
    points: list[tuple[date, int]]

    @property
    def total(self) -> int:
        return sum(n for _d, n in self.points)


def _per_day(queryset, field_name: str) -> dict[date, int]:
    tz = timezone.get_current_timezone()
    return {
        day: n
        for day, n in queryset.filter(**{f"{field_name}__isnull": False})
        .annotate(day=TruncDate(field_name, tzinfo=tz))
        .values_list("day")
        .annotate(n=Count("pk"))
        .order_by()
    }


def participation_series(
    *, conversation: Conversation, max_buckets: int = 92
) -> tuple[str, list[Series]]:
    """(bucket, series): per day, or per week when the activity spans more than ``max_buckets`` days."""
    from django.utils.translation import gettext as _

    raw = [
        # Every answer given, a changed one too: more than the votes counted above the chart.
        (
            _("Answers given (changed answers included)"),
            _per_day(VoteLog.objects.filter(conversation=conversation), "cast_at"),
        ),
        (
            _("New participants"),
            _per_day(Participant.objects.filter(conversation=conversation), "created_at"),
        ),
        (
            _("Statements submitted by residents"),
            # Seed statements are the city's, added at once: counted here they read as residents'.
            _per_day(
                Statement.objects.filter(conversation=conversation, origin=Statement.Origin.PARTICIPANT),
                "submitted_at",
            ),
        ),
        (
            _("Statements published"),
            _per_day(Statement.objects.filter(conversation=conversation), "published_at"),
        ),
    ]
    days = sorted({d for _n, counts in raw for d in counts})
    if not days:
        return "day", [Series(name, []) for name, _c in raw]
    bucket = "day"
    first, last = days[0], days[-1]
    if (last - first).days + 1 > max_buckets:
        bucket = "week"
        first = first - timedelta(days=first.weekday())
    step = timedelta(days=7 if bucket == "week" else 1)
    starts = []
    cursor = first
    while cursor <= last:
        starts.append(cursor)
        cursor += step
    if len(starts) > 400:  # a conversation exported years after it ran: keep the chart readable
        span = (len(starts) + 399) // 400
        starts = starts[::span]
        step = step * span
    out = []
    for name, counts in raw:
        sums = dict.fromkeys(starts, 0)
        for d, n in counts.items():
            index = min((d - first) // step, len(starts) - 1)
            sums[starts[index]] += n
        out.append(Series(name, list(sums.items())))
    return bucket, out


@dataclass
class ModerationFigures:
    submitted: int
    published: int
    rejected: int
    pending: int
    overdue: int
    times: DecisionTimes  # the moderation dashboard's own figures: working hours and the deadline


def moderation_figures(*, conversation: Conversation) -> ModerationFigures:
    """Residents' statements only: staff seeds are published without moderation."""
    counts = dict(
        Statement.objects.filter(conversation=conversation, origin=Statement.Origin.PARTICIPANT)
        .values_list("status")
        .annotate(n=Count("id"))
        .order_by()
    )
    figures = moderation_figures_for(conversation=conversation)
    return ModerationFigures(
        submitted=sum(counts.values()),
        published=counts.get(Statement.Status.PUBLISHED, 0),
        rejected=counts.get(Statement.Status.REJECTED, 0),
        pending=figures.pending,
        overdue=figures.overdue,
        times=figures.times,
    )


# -- residents' results ----------------------------------------------------------------------


@dataclass
class ResidentGroup:
    view: GroupView
    agrees_on: list[RepresentativeView]
    disagrees_on: list[RepresentativeView]
    is_mine: bool


@dataclass
class ResidentResults:
    report: Report
    groups: list[ResidentGroup]
    common_ground: list[StatementRow]
    my_group: GroupView | None
    my_votes: int
    votes_needed: int


def resident_results(
    *, conversation: Conversation, participant: Participant | None
) -> ResidentResults:
    report = conversation_report(conversation=conversation)
    my_label = None
    my_votes = 0
    if participant is not None:
        my_votes = Vote.objects.filter(
            participant=participant, statement__status=Statement.Status.PUBLISHED
        ).count()
        if report.result is not None:
            my_label = report.result.group_of(participant.pk)
    needed = max(min(MIN_GROUP_VOTES, report.published) - my_votes, 0)
    groups = [
        ResidentGroup(
            view=g,
            agrees_on=[r for r in g.representative if r.direction == "agree"][:3],
            disagrees_on=[r for r in g.representative if r.direction == "disagree"][:3],
            is_mine=g.label == my_label,
        )
        for g in report.groups
    ]
    # "Almost everyone": every group agrees more often than not.
    common = [
        r
        for r in report.consensus
        if r.groups and all(s.seen and s.agree_pct >= 60 for s in r.groups)
    ]
    my_group = next((g.view for g in groups if g.is_mine), None)
    return ResidentResults(
        report=report,
        groups=groups,
        common_ground=common,
        my_group=my_group,
        my_votes=my_votes,
        votes_needed=needed,
    )


def map_points(result: ClusteringResult, limit: int = 2000):
    """(x, y, group index or -1, weight) of what the opinion map draws.

    Every clustered participant up to ``limit``; beyond that the base clusters, weighted by size,
    so the map stays a few hundred elements at any scale.
    """
    group_index = {int(label): g for g, label in enumerate(result.group_labels)}
    if len(result.in_conv_ids) <= limit:
        positions = np.searchsorted(result.participant_ids, result.in_conv_ids)
        labels = result.group_map()
        xy = result.projections[positions]
        groups = [group_index.get(labels.get(int(p), -1), -1) for p in result.in_conv_ids]
        return [(float(x), float(y), g, 1) for (x, y), g in zip(xy, groups, strict=True)], False
    points = []
    for center, members, label in zip(
        result.base_cluster_centers,
        result.base_cluster_members,
        result.base_cluster_group,
        strict=True,
    ):
        points.append(
            (float(center[0]), float(center[1]), group_index.get(int(label), -1), len(members))
        )
    return points, True
