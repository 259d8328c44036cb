"""Resident pages. They work as plain form posts; static/js/vote.js enhances voting with fetch."""

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from moderation import selectors as moderation_selectors
from statements import selectors, services
from statements.errors import ConversationClosed, DuplicateStatement, VoxitError
from statements.participants import ensure_browser_token, participant_for
from statements.ratelimit import rate_limited, statement_not_counted, statement_preview_ticket


def _conversation_url(conversation) -> str:
    return reverse("statements:conversation", kwargs={"slug": conversation.slug})


def _safe_next(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


def _conversation_context(request, conversation, participant, *, now=None, progress=None) -> dict:
    now = now or timezone.now()
    return {
        "conversation": conversation,
        "participant": participant,
        "is_open": conversation.is_open(now),
        "has_closed": conversation.has_closed(now),
        "not_yet_open": conversation.has_not_opened(now),
        "accepts_statements": conversation.accepts_statements(now),
        "progress": progress if progress is not None else selectors.participant_progress(
            conversation=conversation, participant=participant
        ),
    }


@require_GET
def conversation_list(request):
    return render(request, "statements/conversation_list.html", {"index": selectors.conversations_for_index()})


@require_GET
def conversation_detail(request, slug):
    conversation = selectors.conversation_get_visible(slug=slug, user=request.user)
    ensure_browser_token(request)
    participant = participant_for(request, conversation)
    now = timezone.now()
    statement = progress = None
    if conversation.is_open(now):  # the next statement and the progress from one read
        statement, progress = selectors.statement_next_with_progress(conversation=conversation, participant=participant)
    context = _conversation_context(request, conversation, participant, now=now, progress=progress)
    context["statement"] = statement
    return render(request, "statements/conversation_detail.html", context)


@require_http_methods(["GET", "HEAD", "POST"])
@rate_limited("vote")
def vote(request, slug):
    conversation = selectors.conversation_get_visible(slug=slug, user=request.user)
    if request.method != "POST":
        # A page answered at this address (the expired-form or too-many-votes page) can be
        # reloaded or switched to another language: both come here with a GET.
        return HttpResponseRedirect(_conversation_url(conversation) + "#statement-card")
    try:
        if not conversation.is_open():
            raise ConversationClosed()
        # The same service as the API: the participant is created only by a vote that lands.
        services.vote_cast_by_browser(
            conversation=conversation,
            browser_token=ensure_browser_token(request),
            statement_id=request.POST.get("statement"),
            choice=request.POST.get("choice"),
        )
    except VoxitError as error:
        messages.error(request, error.message, extra_tags=_statement_tag(request))
    else:
        messages.success(request, _("Your answer was saved."), extra_tags=_statement_tag(request))
    # The outcome is said at the top of the card; the page opens there (#vote-message).
    return HttpResponseRedirect(_safe_next(request, _conversation_url(conversation) + "#vote-message"))


def _statement_tag(request) -> str:
    """Names the statement answered, so the answers page shows the outcome beside it."""
    statement = request.POST.get("statement", "")
    return f"statement-{int(statement)}" if statement.isdigit() and len(statement) < 20 else ""


@require_GET
def statement_detail(request, slug, statement_id):
    conversation = selectors.conversation_get_visible(slug=slug, user=request.user)
    statement = selectors.statement_get_published(conversation=conversation, statement_id=statement_id)
    if statement is None:
        from django.http import Http404

        raise Http404("No such statement.")
    participant = participant_for(request, conversation)
    current = None
    if participant is not None:
        current = participant.votes.filter(statement=statement).values_list("choice", flat=True).first()
    context = _conversation_context(request, conversation, participant)
    context.update({"statement": statement, "current_choice": current})
    return render(request, "statements/statement_detail.html", context)


@require_GET
def answers(request, slug):
    conversation = selectors.conversation_get_visible(slug=slug, user=request.user)
    participant = participant_for(request, conversation)
    context = _conversation_context(request, conversation, participant)
    context["answers"] = selectors.participant_answers(participant=participant)
    # A message about an answer listed here is shown beside it; any other (a statement withdrawn
    # since the page was opened, so no longer listed) at the top.
    context["answer_tags"] = {f"statement-{vote.statement_id}" for vote in context["answers"]}
    return render(request, "statements/answers.html", context)


def _text_keys(statement) -> set[str]:
    return {statement.text_key} | {
        services.statement_text_key(text) for text in (statement.text_sv, statement.text_en) if text
    }


@rate_limited("statement", counted_already=statement_not_counted, refund_on_400=True)
def statement_new(request, slug):
    conversation = selectors.conversation_get_visible(slug=slug, user=request.user)
    participant = participant_for(request, conversation)
    context = _conversation_context(request, conversation, participant)
    text = ""
    if request.method == "POST":
        text = request.POST.get("text", "")
        confirmed = request.POST.get("confirm") == "1"
        if not confirmed and conversation.accepts_statements():
            # First step: offer existing statements to vote on instead; the resident may still send.
            similar = selectors.statements_similar_published(conversation=conversation, text=text)
            # The very same wording, in any of the statement's languages, is refused by the
            # service with its own link; no need to ask.
            key = services.statement_text_key(text)
            if similar and not any(key in _text_keys(suggestion.statement) for suggestion in similar):
                context.update(
                    {
                        "text": text,
                        "similar": similar,
                        "ticket": statement_preview_ticket(request, conversation, text),
                    }
                )
                return render(request, "statements/statement_new.html", context)
        try:
            if not conversation.accepts_statements():
                raise VoxitError(_("New statements are no longer accepted in this conversation."))
            services.statement_submit_by_browser(
                conversation=conversation, browser_token=ensure_browser_token(request), text=text
            )
        except DuplicateStatement as error:
            context["duplicate"] = error.existing
            context["error"] = error.message
        except VoxitError as error:
            context["error"] = error.message
        else:
            messages.success(request, _("Thank you! Your statement is waiting for moderation."))
            # Opens at the thanks (#messages), where a screen reader and the eye land.
            return HttpResponseRedirect(reverse("statements:mine", kwargs={"slug": conversation.slug}) + "#messages")
    elif request.method != "GET":
        from django.http import HttpResponseNotAllowed

        return HttpResponseNotAllowed(["GET", "POST"])
    context["text"] = text
    status = 400 if context.get("error") else 200
    return render(request, "statements/statement_new.html", context, status=status)


@require_GET
def my_statements(request, slug):
    conversation = selectors.conversation_get_visible(slug=slug, user=request.user)
    participant = participant_for(request, conversation)
    context = _conversation_context(request, conversation, participant)
    context["statements"] = selectors.participant_statements(participant=participant)
    context["fates"] = moderation_selectors.statement_fates(participant=participant)
    return render(request, "statements/my_statements.html", context)
