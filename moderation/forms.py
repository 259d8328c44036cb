from datetime import date

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from moderation.models import ModerationAction
from statements.models import Conversation

REASON_CHOICES = [("", _("— choose a reason —")), *ModerationAction.Reason.choices]


class RejectionFields(forms.Form):
    reason = forms.ChoiceField(label=_("Reason"), choices=REASON_CHOICES, required=False)
    duplicate_of = forms.CharField(
        label=_("Duplicate of statement number"), required=False, max_length=20
    )
    explanation = forms.CharField(
        label=_("Explanation"), required=False, max_length=2000, widget=forms.Textarea
    )


class DecisionForm(RejectionFields):
    """One statement in the queue: approve (maybe with edited wording) or reject with a reason."""

    decision = forms.ChoiceField(
        choices=[("approve", _("Approve")), ("reject", _("Reject"))], required=False
    )
    reject_duplicate_of = forms.IntegerField(required=False)
    text = forms.CharField(
        label=_("Wording to publish"), required=False, max_length=5000, widget=forms.Textarea
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("reject_duplicate_of"):
            # "Reject as duplicate of #N" beside a suggestion carries its own reason and target.
            cleaned["decision"] = "reject"
            cleaned["reason"] = ModerationAction.Reason.DUPLICATE
            cleaned["duplicate_of"] = cleaned["reject_duplicate_of"]
        if not cleaned.get("decision"):
            raise forms.ValidationError(_("Choose to approve or reject."))
        return cleaned


class BulkDecisionForm(RejectionFields):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("reject", _("Reject"))])
    statements = forms.TypedMultipleChoiceField(coerce=int, choices=[], required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Ids are checked by the service (which refuses decided or unknown ones one by one).
        self.fields["statements"].valid_value = lambda value: str(value).isdigit()

    def clean_statements(self):
        statements = self.cleaned_data["statements"]
        if not statements:
            raise forms.ValidationError(_("Select at least one statement."))
        return statements


class ReverseForm(RejectionFields):
    explanation = forms.CharField(
        label=_("Why is the decision reversed?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    # The status the moderator saw: if another moderator reversed it meanwhile, this one is
    # refused instead of reversing it back.
    expected_status = forms.ChoiceField(
        choices=[("published", "published"), ("rejected", "rejected")],
        required=False,
        widget=forms.HiddenInput,
    )


class _ConversationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.title  # in the reader's language where the conversation has it


class LogFilterForm(forms.Form):
    conversation = _ConversationChoiceField(
        label=_("Conversation"),
        queryset=Conversation.objects.order_by("-opens_at"),
        to_field_name="slug",
        required=False,
        empty_label=_("All conversations"),
    )
    moderator = forms.ChoiceField(label=_("Moderator"), required=False)
    action = forms.ChoiceField(
        label=_("Action"),
        required=False,
        choices=[("", _("All actions")), *ModerationAction.Action.choices],
    )
    reason = forms.ChoiceField(
        label=_("Reason"),
        required=False,
        choices=[("", _("All reasons")), *ModerationAction.Reason.choices],
    )
    statement = forms.IntegerField(
        label=_("Statement number"), required=False, min_value=1, max_value=2**63 - 1  # bigint
    )
    # Bounded so that "the day after" and time-zone conversion stay within datetime's range.
    since = forms.DateField(
        label=_("From (date)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[MinValueValidator(date(2000, 1, 1)), MaxValueValidator(date(2999, 12, 31))],
    )
    until = forms.DateField(
        label=_("To (date, inclusive)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[MinValueValidator(date(2000, 1, 1)), MaxValueValidator(date(2999, 12, 31))],
    )

    def __init__(self, *args, moderators=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["moderator"].choices = [
            ("", _("All moderators")),
            *[(name, name) for name in moderators],
        ]
