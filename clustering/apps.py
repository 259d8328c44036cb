from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClusteringConfig(AppConfig):
    name = "clustering"
    verbose_name = _("Opinion groups")
