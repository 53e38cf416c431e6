import re

from django import forms
from django.utils.text import slugify

from branding.models import Layout, TextDirection
from branding.uploads import MAX_LOGO_BYTES, MAX_LOGO_SIDE

HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
# Font stacks only: names, quotes, commas, spaces and hyphens; nothing that could end a CSS rule.
FONT_FAMILY = re.compile(r"^[A-Za-z0-9 ,'\"\-]+$")


class LayoutForm(forms.Form):
    name = forms.CharField(max_length=80)
    identifier = forms.SlugField(
        max_length=80,
        required=False,
        help_text="Used by the API. Leave empty to derive it from the name.",
    )
    html = forms.CharField(
        label="HTML",
        max_length=Layout._meta.get_field("html").max_length,
        widget=forms.Textarea(attrs={"rows": 16, "spellcheck": "false"}),
        help_text="Liquid HTML. Put {{ content }} where each email's body goes; "
        "{{ brand.primary_color }}, {{ brand.logo_url }} and the other brand values are available.",
    )
    is_default = forms.BooleanField(required=False, label="Default layout for email steps")

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("identifier") and cleaned.get("name"):
            cleaned["identifier"] = slugify(cleaned["name"])[:80]
            if not cleaned["identifier"]:
                self.add_error(
                    "identifier",
                    "This name gives no identifier: enter one with letters, digits or hyphens.",
                )
        return cleaned


class ColourField(forms.CharField):
    widget = forms.TextInput(attrs={"type": "color"})

    def validate(self, value):
        super().validate(value)
        if value and not HEX_COLOUR.match(value):
            raise forms.ValidationError("Enter a colour as #rrggbb, for example #4f46e5.")


class BrandForm(forms.Form):
    primary_color = ColourField(label="Primary colour", max_length=7)
    font_color = ColourField(label="Font colour", max_length=7)
    content_background_color = ColourField(label="Content background colour", max_length=7)
    font_family = forms.CharField(
        max_length=120, help_text="A CSS font stack, e.g. Helvetica, Arial, sans-serif."
    )
    direction = forms.ChoiceField(choices=TextDirection.choices, label="Text direction")
    logo = forms.FileField(
        required=False,
        help_text=(
            "PNG, JPEG, SVG or WebP, at most 1 MB and "
            f"{MAX_LOGO_SIDE}\N{MULTIPLICATION SIGN}{MAX_LOGO_SIDE} pixels. "
            "SVGs with scripts or references outside the file are refused."
        ),
        widget=forms.FileInput(attrs={"accept": "image/png,image/jpeg,image/svg+xml,image/webp"}),
    )
    remove_logo = forms.BooleanField(required=False, label="Remove the current logo")

    def clean_font_family(self):
        value = self.cleaned_data["font_family"].strip()
        if not FONT_FAMILY.match(value):
            raise forms.ValidationError("Use font names, commas and quotes only.")
        return value

    def clean_logo(self):
        upload = self.cleaned_data.get("logo")
        if upload and upload.size > MAX_LOGO_BYTES:
            raise forms.ValidationError(
                f"The logo is {upload.size / 1024 / 1024:.1f} MB; the limit is 1 MB."
            )
        return upload
