from django import forms
from django.contrib import admin, messages
from django.db import models
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from statements import services
from statements.forms import SeedStatementsForm
from statements.models import Conversation, Participant, Statement, Vote

_POLIS_ZIP_MESSAGES = {
    "not_zip": _("The file is not a zip archive. Upload the export as a .zip file."),
    "no_export": _(
        "The zip holds no Polis export: it needs comments.csv and votes.csv or participants-votes.csv."
    ),
    "several_exports": _("The zip holds more than one export. Upload one conversation's export at a time."),
    "too_large": _("The export is too large to import here (over 1 GB unpacked): use manage.py import_polis."),
}


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = ["title_fi", "slug", "opens_at", "closes_at", "is_published", "show_results"]
    list_filter = ["is_published", "show_results", "allow_submissions"]
    search_fields = ["slug", "title_fi", "title_sv", "title_en"]
    prepopulated_fields = {"slug": ["title_fi"]}
    fieldsets = [
        (None, {"fields": ["slug", "is_published"]}),
        (_("Finnish"), {"fields": ["title_fi", "question_fi", "description_fi"]}),
        (_("Swedish"), {"fields": ["title_sv", "question_sv", "description_sv"]}),
        (_("English"), {"fields": ["title_en", "question_en", "description_en"]}),
        (_("Schedule"), {"fields": ["opens_at", "closes_at", "submissions_close_at"]}),
        (_("Settings"), {"fields": ["allow_submissions", "max_statement_length", "show_results"]}),
    ]
    change_form_template = "admin/statements/conversation/change_form.html"
    # One labelled date-and-time input per field (the browser's own picker, no JavaScript needed),
    # instead of the admin's split date and time boxes, whose "Date:"/"Time:" are not labels.
    formfield_overrides = {
        models.DateTimeField: {
            "form_class": forms.DateTimeField,
            "widget": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        }
    }

    change_list_template = "admin/statements/conversation/change_list.html"

    def get_urls(self):
        return [
            path("<int:pk>/seed/", self.admin_site.admin_view(self.seed_view), name="statements_conversation_seed"),
            path(
                "import-polis/",
                self.admin_site.admin_view(self.import_polis_view),
                name="statements_conversation_import_polis",
            ),
        ] + super().get_urls()

    def import_polis_view(self, request):
        """A Polis export (zip) as a new conversation, unpublished; its groups are then computed
        by replaying its vote log, as ``manage.py import_polis`` does."""
        from django.core.exceptions import PermissionDenied

        from clustering.forms import PolisImportForm
        from clustering.models import ClusteringRun
        from clustering.polis import PolisImportError, PolisZipUnreadable, conversation_import_polis_zip
        from clustering.services import conversation_recluster_request

        if not self.has_add_permission(request):
            raise PermissionDenied
        form = PolisImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            slug = form.cleaned_data["slug"] or None
            try:
                conversation = conversation_import_polis_zip(fileobj=upload, name=upload.name, slug=slug)
            except PolisZipUnreadable as error:
                form.add_error("file", _POLIS_ZIP_MESSAGES.get(error.code, _POLIS_ZIP_MESSAGES["no_export"]))
            except PolisImportError as error:
                # The reader's own words name the file and line at fault; they are in English.
                form.add_error("file", _("The export could not be imported: %(detail)s") % {"detail": error})
            else:
                conversation_recluster_request(conversation_id=conversation.pk, trigger=ClusteringRun.Trigger.MANUAL)
                messages.success(
                    request,
                    _(
                        "Imported as “%(title)s” (unpublished). Its opinion groups are being computed: "
                        "the report shows them in a moment."
                    )
                    % {"title": conversation.title},
                )
                return HttpResponseRedirect(reverse("reports:report", kwargs={"slug": conversation.slug}))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Import a Polis export"),
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/statements/import_polis.html", context)

    def seed_view(self, request, pk):
        from django.core.exceptions import PermissionDenied

        # Permission first: staff without it learn nothing about which conversations exist.
        if not self.has_change_permission(request):
            raise PermissionDenied
        conversation = get_object_or_404(Conversation, pk=pk)
        if not self.has_change_permission(request, conversation):
            raise PermissionDenied
        form = SeedStatementsForm(request.POST or None, request.FILES or None)
        refused, both_sources = [], False
        if request.method == "POST" and form.is_valid():
            pasted = form.cleaned_data["pasted_rows"]
            outcomes = services.statements_seed_bulk(conversation=conversation, rows=pasted, created_by=request.user)
            pasted_refused = [outcome.line for outcome in outcomes if not outcome.statement]
            refused = [("box", outcome) for outcome in outcomes if not outcome.statement]
            if form.cleaned_data.get("file_rows") is not None:
                filed_outcomes = services.statements_seed_bulk(
                    conversation=conversation, rows=form.cleaned_data["file_rows"], created_by=request.user
                )
                outcomes += filed_outcomes
                refused += [("file", outcome) for outcome in filed_outcomes if not outcome.statement]
                # Line numbers of the box and of the file are told apart when both had refusals.
                both_sources = bool(pasted_refused) and len(refused) > len(pasted_refused)
            added = sum(1 for outcome in outcomes if outcome.statement)
            messages.success(
                request,
                ngettext("%(count)d statement added.", "%(count)d statements added.", added) % {"count": added},
            )
            if all(outcome.statement for outcome in outcomes):
                return HttpResponseRedirect(reverse("admin:statements_conversation_change", args=[pk]))
            # Only the pasted lines that were not added stay in the box, to correct and send again:
            # the added ones would come back as "already exists".
            by_line = {row.line: row for row in pasted}
            left = ["\t".join(by_line[line]).rstrip("\t") for line in pasted_refused]
            form = SeedStatementsForm(initial={"lines": "\n".join(left)})
        context = {
            **self.admin_site.each_context(request),
            "title": _("Add seed statements"),
            "conversation": conversation,
            "form": form,
            "refused": [
                {"line": outcome.line, "text": outcome.text, "error": outcome.error, "source": source}
                for source, outcome in refused
            ],
            "both_sources": both_sources,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/statements/seed.html", context)


@admin.register(Statement)
class StatementAdmin(admin.ModelAdmin):
    list_display = ["id", "text", "conversation", "origin", "status", "submitted_at"]
    list_filter = ["status", "origin", "conversation"]
    search_fields = ["text", "text_sv", "text_en"]
    readonly_fields = [
        "origin", "status", "author", "created_by", "submitted_at", "published_at", "decided_at", "original_text"
    ]
    fields = ["conversation", "text", "text_fi", "text_sv", "text_en", "is_meta", *readonly_fields]

    def has_add_permission(self, request):
        # Statements are added through the seed form (published at once) or by residents (moderated).
        return False

    def has_delete_permission(self, request, obj=None):
        # Deleting would take its votes and its moderation log entries with it: moderators reject
        # instead, and a resident's own statements are erased by `manage.py forget_participant`.
        return False

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "conversation", "text"]


@admin.register(Participant)
class ParticipantAdmin(admin.ModelAdmin):
    list_display = ["pseudonym", "conversation", "created_at", "is_demo"]
    list_filter = ["conversation", "is_demo"]
    readonly_fields = ["conversation", "xid", "is_demo", "created_at"]
    exclude = ["browser_key"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        # Erasure goes through `manage.py forget_participant`, which also handles the resident's
        # statements and asks for a recompute; a plain delete here would do neither.
        return False


@admin.register(Vote)
class VoteAdmin(admin.ModelAdmin):
    list_display = ["participant", "statement", "choice", "updated_at"]
    list_filter = ["conversation", "choice"]
    list_select_related = ["participant", "statement"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        # A vote is the resident's to change; erasure goes through `manage.py forget_participant`.
        return False
