"""Moderation pages: dashboard, queue, decisions, reversals, log and its CSV download.

Anonymous visitors (residents included: they have no login) are sent to the login page; logged-in
users who are neither moderators nor staff get 403.
"""

import csv
from datetime import datetime, time, timedelta
from functools import wraps
from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from moderation import selectors, services
from moderation.forms import BulkDecisionForm, DecisionForm, LogFilterForm, ReverseForm
from moderation.models import ModerationAction
from moderation.permissions import user_can_moderate
from statements.errors import VoxitError
from statements.text import spreadsheet_safe


def moderator_required(view):
    @wraps(view)
    @never_cache
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not user_can_moderate(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def _back(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


def _form_errors(form) -> str:
    return " ".join(str(error) for errors in form.errors.values() for error in errors)


@require_GET
@moderator_required
def dashboard(request):
    now = timezone.now()
    context = {
        "overall": selectors.moderation_figures(now=now),
        "conversations": selectors.moderation_dashboard(now=now),
        "now": now,
        "section": "dashboard",
    }
    return render(request, "moderation/dashboard.html", context)


@require_GET
@moderator_required
def queue(request, slug=None):
    conversation = selectors.conversation_get_for_moderation(slug=slug) if slug else None
    page, items = selectors.moderation_queue_page(
        conversation=conversation, page_number=request.GET.get("page")
    )
    # "Select all on this page" is a link (works without JavaScript): the page comes back with
    # every statement shown ticked. Decisions return to the page without it, or what is left
    # (the next statements) would come back ticked too.
    select_all = request.GET.get("select") == "all"
    query = request.GET.copy()
    query.pop("select", None)
    back = request.path + (f"?{query.urlencode()}" if query else "")
    select_query = query.copy()
    select_query["select"] = "all"
    query.pop("page", None)
    context = {
        "conversation": conversation,
        "items": items,
        "page": page,
        "back": back,
        "select_all": select_all,
        "select_query": select_query.urlencode(),
        "query": query.urlencode(),
        "reasons": ModerationAction.Reason.choices,
        "now": timezone.now(),
        "section": "queue" if conversation is None else "",
        "draft": _draft_for(request),
        "bulk_draft": _draft_for(request, _BULK_DRAFT_KEY),
    }
    return render(request, "moderation/queue.html", context)


# A refused decision's form, kept for the queue to fill in again beside its message: what the
# moderator typed (an edited wording, an explanation) is not lost to the redirect.
_DRAFT_KEY = "moderation_decision_draft"


def _keep_draft(request, statement, error, back: str) -> None:
    post = request.POST
    request.session[_DRAFT_KEY] = {
        "path": urlsplit(back).path,  # shown only on the page the moderator is sent back to
        "statement": statement.pk,
        "text": post.get("text"),
        "reason": post.get("reason", ""),
        "duplicate_of": post.get("duplicate_of", ""),
        "explanation": post.get("explanation", ""),
        "error": str(error),
        "invalid": _invalid_field(post, statement),
    }


def _invalid_field(post, statement) -> str | None:
    """The field a refused decision most likely failed on, for the queue to mark it invalid and
    tie the message to it (aria-describedby)."""
    if post.get("decision") == "approve":
        # Only an edited wording can be at fault; the wording as submitted is not.
        text = post.get("text")
        return "text" if text is not None and text.strip() != statement.text else None
    reason = post.get("reason", "")
    if not reason:
        return "reason"
    if reason == "duplicate":
        return "duplicate"
    if reason == "other" and not post.get("explanation", "").strip():
        return "explanation"
    return None


def _draft_for(request, key: str = _DRAFT_KEY) -> dict | None:
    draft = request.session.pop(key, None)  # once: a later visit shows the queue as it is
    return draft if draft and draft.get("path") == request.path else None


# The same for the bulk form: the statements left undecided stay ticked, with the reason fields.
_BULK_DRAFT_KEY = "moderation_bulk_draft"


def _keep_bulk_draft(request, back: str, statement_ids) -> None:
    post = request.POST
    request.session[_BULK_DRAFT_KEY] = {
        "path": urlsplit(back).path,
        "statements": [pk for pk in statement_ids if isinstance(pk, int)],
        "reason": post.get("reason", ""),
        "duplicate_of": post.get("duplicate_of", ""),
        "explanation": post.get("explanation", ""),
    }


def _posted_ids(request) -> list[int]:
    return [int(value) for value in request.POST.getlist("statements") if value.isdigit() and len(value) < 19]


def _queue_url(statement) -> str:
    return reverse("moderation:conversation_queue", kwargs={"slug": statement.conversation.slug})


@require_POST
@moderator_required
def decide(request, statement_id):
    statement = selectors.statement_get_for_moderation(statement_id=statement_id)
    back = _back(request, _queue_url(statement))
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        _keep_draft(request, statement, _form_errors(form), back)
        return HttpResponseRedirect(f"{back}#decision-error-{statement.pk}")
    data = form.cleaned_data
    try:
        if data["decision"] == "approve":
            # A wording box sent empty is an edit to nothing (refused), not "keep the original".
            text = data["text"] if "text" in request.POST else None
            action = services.statement_approve(
                statement_id=statement.pk, moderator=request.user, text=text
            )
        else:
            action = services.statement_reject(
                statement_id=statement.pk,
                moderator=request.user,
                reason=data["reason"],
                duplicate_of_id=data["duplicate_of"],
                explanation=data["explanation"],
            )
    except VoxitError as error:
        messages.error(request, error.message)
        _keep_draft(request, statement, error.message, back)
        return HttpResponseRedirect(f"{back}#decision-error-{statement.pk}")
    messages.success(
        request,
        _("Statement #%(id)s: %(action)s.")
        % {"id": statement.pk, "action": action.get_action_display()},
    )
    # On to the statement that came after it in the queue (oldest first), not the top of the
    # page: a keyboard or screen-reader user goes on from there.
    following = selectors.statement_next_pending(statement=statement)
    return HttpResponseRedirect(f"{back}#statement-{following}" if following else back)


@require_POST
@moderator_required
def bulk(request):
    back = _back(request, reverse("moderation:queue"))
    form = BulkDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        _keep_bulk_draft(request, back, _posted_ids(request))
        return HttpResponseRedirect(back)
    data = form.cleaned_data
    try:
        if data["decision"] == "approve":
            outcome = services.statements_approve_bulk(
                statement_ids=data["statements"], moderator=request.user
            )
        else:
            outcome = services.statements_reject_bulk(
                statement_ids=data["statements"],
                moderator=request.user,
                reason=data["reason"],
                duplicate_of_id=data["duplicate_of"],
                explanation=data["explanation"],
            )
    except VoxitError as error:
        messages.error(request, error.message)
        _keep_bulk_draft(request, back, _posted_ids(request))
        return HttpResponseRedirect(back)
    if outcome.decided:
        count = len(outcome.decided)
        if data["decision"] == "approve":
            text = ngettext(
                "%(count)d statement approved.", "%(count)d statements approved.", count
            )
        else:
            text = ngettext(
                "%(count)d statement rejected.", "%(count)d statements rejected.", count
            )
        messages.success(request, text % {"count": count})
    if outcome.refused:
        _keep_bulk_draft(request, back, [statement_id for statement_id, _reason in outcome.refused])
    # One message per reason, naming the statements it kept undecided (not one line for each).
    refused_by_reason: dict[str, list[str]] = {}
    for statement_id, reason in outcome.refused:
        refused_by_reason.setdefault(reason, []).append(f"#{statement_id}")
    for reason, numbers in refused_by_reason.items():
        messages.error(
            request,
            _("Not decided: %(numbers)s. %(reason)s") % {"numbers": ", ".join(numbers), "reason": reason},
        )
    return HttpResponseRedirect(back)


@require_GET
@moderator_required
def statement(request, statement_id):
    statement = selectors.statement_get_for_moderation(statement_id=statement_id)
    context = {
        "statement": statement,
        "history": selectors.statement_history(statement=statement),
        "duplicates": selectors.duplicates_resting_on(statement=statement),
        "deadline": None,
    }
    # A refused reversal comes back with what the moderator wrote.
    draft = _draft_for(request)
    context["draft"] = draft if draft and draft.get("statement") == statement.pk else None
    context["form"] = ReverseForm(
        initial={"reason": draft["reason"], "explanation": draft["explanation"]} if context["draft"] else None
    )
    if statement.status == statement.Status.PENDING:
        from moderation.deadlines import moderation_deadline

        context["deadline"] = moderation_deadline(statement.submitted_at)
    return render(request, "moderation/statement.html", context)


@require_POST
@moderator_required
def reverse_decision(request, statement_id):
    statement = selectors.statement_get_for_moderation(statement_id=statement_id)
    back = reverse("moderation:statement", kwargs={"statement_id": statement.pk})
    form = ReverseForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        _keep_draft(request, statement, _form_errors(form), back)  # the explanation is not lost
        return HttpResponseRedirect(back)
    data = form.cleaned_data
    try:
        action = services.statement_decision_reverse(
            statement_id=statement.pk,
            moderator=request.user,
            explanation=data["explanation"],
            reason=data["reason"],
            duplicate_of_id=data["duplicate_of"],
            expected_status=data["expected_status"] or None,
        )
    except VoxitError as error:
        messages.error(request, error.message)
        _keep_draft(request, statement, error.message, back)
    else:
        messages.success(
            request,
            _("Statement #%(id)s: %(action)s.")
            % {"id": statement.pk, "action": action.get_action_display()},
        )
    return HttpResponseRedirect(back)


def _filtered_log(request):
    form = LogFilterForm(request.GET or None, moderators=selectors.moderator_names())
    filters = {}
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        zone = timezone.get_current_timezone()
        filters = {
            "conversation": data["conversation"],
            "actor": data["moderator"],
            "action": data["action"],
            "reason": data["reason"],
            "statement_id": data["statement"],
            "since": datetime.combine(data["since"], time.min, tzinfo=zone)
            if data["since"]
            else None,
            "until": datetime.combine(data["until"] + timedelta(days=1), time.min, tzinfo=zone)
            if data["until"]
            else None,
        }
    actions = selectors.moderation_log(**filters)
    if form.is_bound and not form.is_valid():
        # A filter that cannot be read lists nothing (the form says why): the whole log under a
        # filter the moderator believes is applied would be wrong.
        actions = actions.none()
    return form, actions


@require_GET
@moderator_required
def log(request):
    form, actions = _filtered_log(request)
    page = Paginator(actions, 100).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "moderation/log.html",
        {"form": form, "page": page, "query": query.urlencode(), "section": "log"},
    )


@require_GET
@moderator_required
def log_csv(request):
    form, actions = _filtered_log(request)
    if form.is_bound and not form.is_valid():
        return HttpResponse(
            _("The filters could not be read: %(errors)s") % {"errors": _form_errors(form)},
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="moderation-log-{stamp}.csv"'
    response.write("\ufeff")  # Excel needs the BOM to read UTF-8 (ä, ö, å).
    # Finnish and Swedish Excel split columns at semicolons, not commas ("for Excel" link).
    writer = csv.writer(response, delimiter=";" if request.GET.get("excel") == "1" else ",")
    writer.writerow(
        [
            "id",
            "created_at",
            "moderator",
            "conversation",
            "statement_id",
            "action",
            "reason",
            "duplicate_of",
            "explanation",
            "status_before",
            "status_after",
            "text_before",
            "text_after",
            "action_label",  # the action and the reason in the reader's language
            "reason_label",
        ]
    )
    for action in actions.iterator(chunk_size=1000):
        writer.writerow(
            [
                spreadsheet_safe(value)
                for value in (
                    action.pk,
                    timezone.localtime(action.created_at).isoformat(),
                    action.actor_name,
                    action.conversation.slug,
                    action.statement_id,
                    action.action,
                    action.reason,
                    action.duplicate_of_id or "",
                    action.explanation,
                    action.status_before,
                    action.status_after,
                    action.text_before,
                    action.text_after,
                    action.get_action_display(),
                    action.get_reason_display() if action.reason else "",
                )
            ]
        )
    return response
