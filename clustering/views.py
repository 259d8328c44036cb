"""The staff report, its export and recompute actions, and the residents' results page."""

import tempfile
from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from clustering import report as report_selectors
from clustering.models import ClusteringRun
from clustering.polis import conversation_export_polis_zip
from clustering.services import conversation_recluster_request
from clustering.svg import bar_chart, opinion_map
from statements import selectors as statement_selectors
from statements.models import Conversation
from statements.participants import participant_for


def can_view_reports(user) -> bool:
    return user.is_authenticated and (
        user.is_staff or user.is_superuser or user.has_perm("clustering.view_report")
    )


def report_viewer_required(view):
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not can_view_reports(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


@require_GET
@report_viewer_required
def report_index(request):
    conversations = Conversation.objects.order_by("-opens_at")
    return render(request, "reports/index.html", {"conversations": conversations})


@require_GET
@report_viewer_required
def report(request, slug):
    conversation = get_object_or_404(Conversation, slug=slug)
    data = report_selectors.conversation_report(conversation=conversation)
    sort = request.GET.get("sort", "id")
    descending = request.GET.get("dir") == "desc"
    show_statements = request.GET.get("statements") == "1"
    bucket, series = report_selectors.participation_series(conversation=conversation)
    context = {
        "conversation": conversation,
        "report": data,
        "rows": report_selectors.rows_sorted(data.rows, sort, descending),
        "sort": sort,
        "descending": descending,
        "show_statements": show_statements,
        "charts": [(s, bar_chart(s, bucket)) for s in series],
        "bucket": bucket,
        "moderation": report_selectors.moderation_figures(conversation=conversation),
        "sort_columns": [
            ("id", _("Number")),
            ("votes", _("Votes")),
            ("agree", _("Agree")),
            ("disagree", _("Disagree")),
            ("pass", _("Pass")),
            ("consensus", _("Consensus")),
            ("divisive", _("Divisiveness")),
        ],
    }
    if data.has_groups:
        # Statements on the map: the published ones (a run may predate a later rejection).
        texts = (
            {r.pk: r.text for r in data.rows if not r.is_meta}
            if show_statements
            else None
        )
        context["opinion_map"] = opinion_map(data.result, data.groups, texts)
    return render(request, "reports/report.html", context)


@require_POST
@report_viewer_required
def report_recompute(request, slug):
    conversation = get_object_or_404(Conversation, slug=slug)
    with transaction.atomic():
        conversation_recluster_request(
            conversation_id=conversation.pk, trigger=ClusteringRun.Trigger.MANUAL
        )
    messages.success(request, _("A recompute was requested. Reload the report in a moment."))
    return HttpResponseRedirect(reverse("reports:report", kwargs={"slug": slug}))


@require_GET
@report_viewer_required
def report_export(request, slug):
    conversation = get_object_or_404(Conversation, slug=slug)
    excel = request.GET.get("excel") == "1"
    spool = tempfile.SpooledTemporaryFile(max_size=32 * 1024 * 1024)
    conversation_export_polis_zip(conversation=conversation, fileobj=spool, excel=excel)
    spool.seek(0)
    return FileResponse(
        spool,
        as_attachment=True,
        filename=f"{conversation.slug}-polis-export{'-excel' if excel else ''}.zip",
        content_type="application/zip",
    )


@require_GET
def results(request, slug):
    conversation = statement_selectors.conversation_get_visible(slug=slug, user=request.user)
    if not (conversation.show_results or can_view_reports(request.user)):
        raise Http404("This conversation does not show results.")
    participant = participant_for(request, conversation)
    data = report_selectors.resident_results(conversation=conversation, participant=participant)
    context = {
        "conversation": conversation,
        "participant": participant,
        "results": data,
        "nav": "results",
        "has_closed": conversation.has_closed(),
        "not_yet_open": conversation.has_not_opened(),
        "accepts_statements": conversation.accepts_statements(),
    }
    return render(request, "results/results.html", context)
