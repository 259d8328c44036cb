from django import forms
from django.utils.translation import gettext_lazy as _

from statements.models import Conversation


class PolisImportForm(forms.Form):
    """A Polis export to import as a new conversation: the zip Polis (or Voxit) gives."""

    file = forms.FileField(
        label=_("Polis export (.zip)"),
        help_text=_(
            "A zip of the export's CSV files (comments.csv with votes.csv or participants-votes.csv; "
            "summary.csv if there is one), as Polis' data export and Voxit's own export give them."
        ),
    )
    slug = forms.SlugField(
        label=_("Address"),
        required=False,
        max_length=80,
        help_text=_("The conversation's address; empty: taken from the file name."),
    )

    def clean_slug(self):
        slug = self.cleaned_data.get("slug") or ""
        if slug and Conversation.objects.filter(slug=slug).exists():
            raise forms.ValidationError(_("A conversation with this address exists already."))
        return slug

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("file")
        if upload and not cleaned.get("slug") and "slug" not in self.errors:
            from clustering.polis import polis_zip_slug

            taken = polis_zip_slug(upload.name)
            if Conversation.objects.filter(slug=taken).exists():
                self.add_error(
                    "slug",
                    _(
                        "The address taken from the file name, %(slug)s, is in use already: give the "
                        "conversation another address."
                    )
                    % {"slug": taken},
                )
        return cleaned
