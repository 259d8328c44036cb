"""Who may moderate: the Moderators group (or anyone granted its permission) and staff."""

from django.contrib.auth.models import Group, Permission

MODERATORS_GROUP = "Moderators"
MODERATE_PERMISSION = "moderation.moderate_statement"
# Kept equal to migrations/0002_moderators_group.py, which cannot import this module.
GROUP_PERMISSIONS = [
    ("moderation", "moderate_statement"),
    ("moderation", "view_moderationaction"),
    ("statements", "view_statement"),
    ("statements", "view_conversation"),
]


def user_can_moderate(user) -> bool:
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return user.is_staff or user.has_perm(MODERATE_PERMISSION)


def moderators_group_ensure() -> Group:
    """The Moderators group with its permissions (a flushed test database lacks it)."""
    group, _created = Group.objects.get_or_create(name=MODERATORS_GROUP)
    for app_label, codename in GROUP_PERMISSIONS:
        permission = Permission.objects.filter(
            content_type__app_label=app_label, codename=codename
        ).first()
        if permission is not None:
            group.permissions.add(permission)
    return group
