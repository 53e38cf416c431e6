from django import forms
from django.contrib.auth import password_validation

from accounts.models import User


class SignUpForm(forms.Form):
    name = forms.CharField(max_length=150, label="Your name")
    email = forms.EmailField(label="Work email")
    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 8 characters, not only digits, not a common password.",
    )
    organization_name = forms.CharField(
        max_length=100, label="Organization", help_text="Your company or team."
    )

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(
                "An account with this email already exists. Log in instead."
            )
        return email

    def clean(self):
        cleaned = super().clean()
        password = cleaned.get("password")
        if password:
            candidate = User(email=cleaned.get("email", ""), name=cleaned.get("name", ""))
            try:
                password_validation.validate_password(password, candidate)
            except forms.ValidationError as error:
                self.add_error("password", error)
        return cleaned


class OrganizationForm(forms.Form):
    name = forms.CharField(
        max_length=100, label="Organization name", help_text="It gets Development and Production."
    )
