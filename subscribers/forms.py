import json

from django import forms

from subscribers.models import (
    AVATAR_MAX_LENGTH,
    LOCALE_MAX_LENGTH,
    NAME_MAX_LENGTH,
    PHONE_MAX_LENGTH,
    PREFERENCE_CHANNELS,
    SUBSCRIBER_ID_MAX_LENGTH,
    TOPIC_KEY_MAX_LENGTH,
    TOPIC_NAME_MAX_LENGTH,
)
from subscribers.selectors import SEARCH_MAX_LENGTH
from subscribers.services import TOPIC_SUBSCRIBERS_PER_CALL, SubscriberProfile

CHANNEL_LABELS = {
    "in_app": "In-app",
    "email": "Email",
    "sms": "SMS",
    "chat": "Chat",
    "push": "Push",
}


class SubscriberSearchForm(forms.Form):
    q = forms.CharField(
        label="Search",
        required=False,
        max_length=SEARCH_MAX_LENGTH,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": "Start of an ID, email or name"}
        ),
    )

    def search(self) -> str:
        return self.cleaned_data["q"] if self.is_valid() else ""


class SubscriberForm(forms.Form):
    """A test subscriber's profile. The service validates the values; its errors land on these
    fields, which carry the model's names."""

    subscriber_id = forms.CharField(
        label="Subscriber ID",
        max_length=SUBSCRIBER_ID_MAX_LENGTH,
        help_text="Your app's own ID for this person, as your backend sends it to the API.",
    )
    email = forms.CharField(label="Email", required=False, max_length=254)
    first_name = forms.CharField(label="First name", required=False, max_length=NAME_MAX_LENGTH)
    last_name = forms.CharField(label="Last name", required=False, max_length=NAME_MAX_LENGTH)
    phone = forms.CharField(label="Phone", required=False, max_length=PHONE_MAX_LENGTH)
    avatar = forms.CharField(
        label="Avatar URL",
        required=False,
        max_length=AVATAR_MAX_LENGTH,
        widget=forms.TextInput(attrs={"inputmode": "url"}),
    )
    locale = forms.CharField(
        label="Locale", required=False, max_length=LOCALE_MAX_LENGTH, help_text="For example en-US."
    )
    data = forms.CharField(
        label="Data (JSON)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "spellcheck": "false"}),
        help_text='A JSON object that templates read as subscriber.data, e.g. {"plan": "pro"}.',
    )

    def __init__(self, *args, subscriber=None, **kwargs):
        if subscriber is not None:
            kwargs.setdefault("initial", {})
            kwargs["initial"] = {
                "subscriber_id": subscriber.subscriber_id,
                "email": subscriber.email,
                "first_name": subscriber.first_name,
                "last_name": subscriber.last_name,
                "phone": subscriber.phone,
                "avatar": subscriber.avatar,
                "locale": subscriber.locale,
                "data": json.dumps(subscriber.data, indent=2) if subscriber.data else "",
            }
        super().__init__(*args, **kwargs)
        self.fields["email"].widget.input_type = "email"
        if subscriber is not None:
            # The ID is how the backend names the subscriber: it is not edited here.
            del self.fields["subscriber_id"]

    def clean_data(self):
        text = self.cleaned_data["data"].strip()
        if not text:
            return {}
        try:
            value = json.loads(text)
        except ValueError as invalid:
            raise forms.ValidationError(f"This is not valid JSON: {invalid}.") from invalid
        except RecursionError as invalid:
            raise forms.ValidationError("This JSON is nested too deeply.") from invalid
        if not isinstance(value, dict):
            raise forms.ValidationError('Enter a JSON object, such as {"plan": "pro"}.')
        return value

    def profile(self) -> SubscriberProfile:
        values = self.cleaned_data
        return SubscriberProfile(
            email=values["email"],
            first_name=values["first_name"],
            last_name=values["last_name"],
            phone=values["phone"],
            avatar=values["avatar"],
            locale=values["locale"],
            data=values["data"],
        )


class PreferenceForm(forms.Form):
    """One workflow's row of the preferences table: on or off, and each channel."""

    enabled = forms.BooleanField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for channel in PREFERENCE_CHANNELS:
            self.fields[channel] = forms.BooleanField(label=CHANNEL_LABELS[channel], required=False)

    def channels(self) -> dict[str, bool]:
        return {channel: self.cleaned_data[channel] for channel in PREFERENCE_CHANNELS}


class TopicForm(forms.Form):
    key = forms.CharField(
        label="Key",
        max_length=TOPIC_KEY_MAX_LENGTH,
        help_text="What a trigger names: letters, digits and _ - : .",
    )
    name = forms.CharField(label="Name", max_length=TOPIC_NAME_MAX_LENGTH)


class TopicRenameForm(forms.Form):
    name = forms.CharField(label="Name", max_length=TOPIC_NAME_MAX_LENGTH)


class TopicSubscribersForm(forms.Form):
    subscriber_ids = forms.CharField(
        label="Subscriber IDs",
        widget=forms.TextInput(attrs={"spellcheck": "false", "placeholder": "ada, grace"}),
        help_text=f"Separated by commas; up to {TOPIC_SUBSCRIBERS_PER_CALL} at once.",
    )

    def clean_subscriber_ids(self):
        text = self.cleaned_data["subscriber_ids"]
        ids = [part.strip() for line in text.splitlines() for part in line.split(",")]
        ids = list(dict.fromkeys(part for part in ids if part))
        if not ids:
            raise forms.ValidationError("Enter at least one subscriber ID.")
        if len(ids) > TOPIC_SUBSCRIBERS_PER_CALL:
            raise forms.ValidationError(
                f"Add at most {TOPIC_SUBSCRIBERS_PER_CALL} subscribers at once ({len(ids)} given)."
            )
        return ids
