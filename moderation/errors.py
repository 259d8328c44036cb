"""Refusals from moderation services; views turn them into messages."""

from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from statements.errors import VoxitError


class NotAModerator(VoxitError):
    status_code = 403
    code = "not_a_moderator"
    default_message = _("Only moderators may decide on statements.")


class AlreadyDecided(VoxitError):
    """Another moderator decided first; nothing of this attempt was saved."""

    status_code = 409
    code = "already_decided"

    def __init__(self, statement, last_action=None):
        self.statement = statement
        self.last_action = last_action
        if last_action is not None:
            when = formats.date_format(timezone.localtime(last_action.created_at), "DATETIME_FORMAT")
            message = _(
                "Statement #%(id)s was already %(action)s by %(who)s at %(when)s. "
                "Your decision was not saved."
            ) % {
                "id": statement.pk,
                "action": last_action.get_action_display(),
                "who": last_action.actor_name,
                "when": when,
            }
        else:
            message = _(
                "Statement #%(id)s is no longer %(status)s. Your decision was not saved."
            ) % {
                "id": statement.pk,
                "status": statement.get_status_display(),
            }
        super().__init__(message, extra={"statement": statement.pk})


class InvalidDecision(VoxitError):
    code = "invalid_decision"
