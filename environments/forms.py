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
