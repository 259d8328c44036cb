from django import forms
from django.utils.translation import gettext_lazy as _

from statements.services import SeedFileUnreadable, seed_rows_parse


class SeedStatementsForm(forms.Form):
    """Seed statements in bulk: pasted lines or an uploaded text/CSV file."""

    lines = forms.CharField(
        label=_("Statements, one per line"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text=_("Finnish text; Swedish and English translations may follow on the same line, separated by tabs."),
    )
    file = forms.FileField(
        label=_("…or a file"),
        required=False,
        help_text=_(
            "A .txt file with one statement per line, or a .csv file with columns fi, sv, en separated by "
            "commas or semicolons, its first row naming them (fi;sv;en, or fi alone for one column). UTF-8."
        ),
    )

    MAX_FILE_BYTES = 2 * 1024 * 1024

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("file")
        if not cleaned.get("lines", "").strip() and not upload:
            raise forms.ValidationError(_("Paste statements or choose a file."))
        if upload:
            if upload.size > self.MAX_FILE_BYTES:
                raise forms.ValidationError(_("The file is too large (at most 2 MB)."))
            try:
                cleaned["file_text"] = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                raise forms.ValidationError(_("The file is not UTF-8 text. Save it as UTF-8 and try again.")) from None
            cleaned["file_is_csv"] = upload.name.lower().endswith(".csv")
        # Read both before anything is added: a file that cannot be read adds nothing, not half.
        try:
            cleaned["pasted_rows"] = seed_rows_parse(cleaned.get("lines", ""))
        except SeedFileUnreadable as error:
            self.add_error("lines", error.message)
        if upload and "file_text" in cleaned:
            try:
                cleaned["file_rows"] = seed_rows_parse(cleaned["file_text"], is_csv=cleaned["file_is_csv"])
            except SeedFileUnreadable as error:
                self.add_error("file", error.message)
        return cleaned
