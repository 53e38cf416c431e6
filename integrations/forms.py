"""Forms built from the provider registry. Secret fields are write-only: never given a value
to render, and left empty they keep what is saved."""

from django import forms

from integrations.models import IDENTIFIER_MAX_LENGTH, NAME_MAX_LENGTH
from integrations.providers.base import CredentialField, FieldKind

CREDENTIAL_PREFIX = "credentials."


def _credential_form_field(credential: CredentialField, *, is_set: bool) -> forms.Field:
    common = {"label": credential.label, "required": False, "help_text": credential.help_text}
    if credential.secret:
        help_text = "Saved: leave empty to keep it." if is_set else credential.help_text
        return forms.CharField(
            **{**common, "help_text": help_text},
            widget=forms.PasswordInput(
                render_value=False,
                attrs={
                    "autocomplete": "new-password",
                    "placeholder": "•••••••• set" if is_set else "",
                },
            ),
        )
    if credential.kind is FieldKind.BOOLEAN:
        return forms.BooleanField(**common)
    if credential.kind is FieldKind.INTEGER:
        return forms.IntegerField(
            **common, min_value=credential.minimum, max_value=credential.maximum
        )
    if credential.kind is FieldKind.EMAIL:
        return forms.EmailField(**common)
    if credential.kind is FieldKind.URL:
        return forms.URLField(**common, assume_scheme="https")
    return forms.CharField(**common, max_length=2_000)


class IntegrationForm(forms.Form):
    """Name, Provider Identifier, active, and the provider's credentials (``credentials.<key>``
    fields, so the services' errors land on them)."""

    name = forms.CharField(max_length=NAME_MAX_LENGTH, required=False)
    identifier = forms.CharField(
        label="Provider Identifier",
        max_length=IDENTIFIER_MAX_LENGTH,
        required=False,
        help_text="How triggers name this integration (overrides.<channel>.integrationIdentifier) "
        "and subscribers' chat credentials. Lowercase letters, digits and hyphens.",
    )
    active = forms.BooleanField(required=False, initial=True)

    def __init__(self, *args, provider, integration=None, stored: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.provider = provider
        stored = stored or {}
        if integration is None:
            self.fields["identifier"].help_text = (
                "Leave empty to get one made from the provider's id, e.g. "
                f"{provider.id}-x7k2p9. " + self.fields["identifier"].help_text
            )
            self.fields["name"].initial = provider.name
        else:
            self.fields["identifier"].required = True
            self.initial.update(
                {
                    "name": integration.name,
                    "identifier": integration.identifier,
                    "active": integration.active,
                }
            )
        if provider.built_in:
            del self.fields["identifier"]
        for credential in provider.fields:
            name = CREDENTIAL_PREFIX + credential.key
            self.fields[name] = _credential_form_field(
                credential, is_set=bool(stored.get(credential.key))
            )
            if not credential.secret and credential.key in stored:
                self.initial[name] = stored[credential.key]

    @property
    def credential_fields(self):
        return [field for field in self if field.name.startswith(CREDENTIAL_PREFIX)]

    @property
    def setting_fields(self):
        return [field for field in self if not field.name.startswith(CREDENTIAL_PREFIX)]

    def credentials(self) -> dict:
        """The credential values entered, for ``credentials_merge``: empty secrets keep."""
        values = {}
        for credential in self.provider.fields:
            value = self.cleaned_data.get(CREDENTIAL_PREFIX + credential.key)
            values[credential.key] = "" if value is None else value
        return values


class SendTestForm(forms.Form):
    destination = forms.CharField(max_length=2_000, required=False)

    def __init__(self, *args, prompt, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["destination"]
        field.label, field.help_text, field.required = (
            prompt.label,
            prompt.help_text,
            prompt.required,
        )
        if prompt.kind is FieldKind.EMAIL:
            field.widget = forms.EmailInput(attrs={"autocomplete": "email"})
        elif prompt.kind is FieldKind.URL:
            field.widget = forms.URLInput()
        else:
            field.widget = forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"})
