from django import forms
from django.contrib.auth.forms import AuthenticationForm

from accounts.models import Role


class EmailAuthenticationForm(AuthenticationForm):
    username = forms.EmailField(
        label="Email", widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )

    def clean_username(self):
        # Emails are stored in lower case; throttling counts failures against the same name.
        return self.cleaned_data["username"].strip().lower()


class MemberAddForm(forms.Form):
    email = forms.EmailField(label="Email of an existing Herald user")
    role = forms.ChoiceField(choices=Role.choices, initial=Role.EDITOR)


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)
