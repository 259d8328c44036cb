"""Domain errors raised by services. Views and the API turn them into messages and 4xx codes."""

from django.utils.translation import gettext_lazy as _


class VoxitError(Exception):
    """A refusal the user should read. ``message`` is translated lazily into the request's language."""

    status_code = 400
    code = "invalid"
    default_message = _("The request could not be handled.")

    def __init__(self, message=None, *, code: str | None = None, extra: dict | None = None):
        self.message = message or self.default_message
        if code:
            self.code = code
        self.extra = extra or {}
        super().__init__(str(self.message))


class ConversationClosed(VoxitError):
    status_code = 403
    code = "conversation_closed"
    default_message = _("This conversation is not open for voting.")


class StatementNotVotable(VoxitError):
    status_code = 404
    code = "statement_not_found"
    default_message = _("That statement does not exist in this conversation.")


class SubmissionsClosed(VoxitError):
    status_code = 403
    code = "submissions_closed"
    default_message = _("New statements are no longer accepted in this conversation.")


class InvalidStatementText(VoxitError):
    code = "invalid_text"


class DuplicateStatement(VoxitError):
    status_code = 409
    code = "duplicate"
    default_message = _("This statement already exists in the conversation.")

    def __init__(self, existing, message=None):
        self.existing = existing
        # Only a published statement is named: another resident's pending one stays private.
        extra = {"existing_statement": existing.pk} if existing.status == "published" else {}
        super().__init__(message, extra=extra)
