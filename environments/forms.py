from django import forms

from environments.services import DEFAULT_ROTATION_GRACE, ROTATION_GRACE_PERIODS


class ApiKeyCreateForm(forms.Form):
    name = forms.CharField(
        max_length=80,
        help_text="Where the key is used, for example \u201cCheckout service\u201d.",
    )


class ApiKeyRotateForm(forms.Form):
    GRACE_CHOICES = [
        ("immediately", "Immediately: the old key stops working now"),
        ("1h", "After 1 hour"),
        ("24h", "After 24 hours"),
        ("7d", "After 7 days"),
    ]
    grace = forms.ChoiceField(
        choices=GRACE_CHOICES,
        initial=DEFAULT_ROTATION_GRACE,
        widget=forms.RadioSelect,
        label="Keep the old key valid",
    )

    def grace_period(self):
        return ROTATION_GRACE_PERIODS[self.cleaned_data["grace"]]


class ClientOriginsForm(forms.Form):
    origins = forms.CharField(
        required=False,
        label="Origins, one per line",
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "https://app.example.com"}),
        help_text=(
            "Like https://app.example.com or http://localhost:3000: the web apps "
            "whose pages may call this environment's client-side routes from a browser."
        ),
    )

    def origin_list(self) -> list[str]:
        return self.cleaned_data["origins"].split()
