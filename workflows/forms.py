import json

from django import forms
from django.utils.text import slugify

from branding.models import Layout
from workflows.models import DEFAULT_GROUP_NAME, Channel, Feed, Step, Workflow, WorkflowGroup
from workflows.services import step_template_errors

MAX_TAGS = 20
MAX_TAG_LENGTH = 50

ACTIVE_FILTER_CHOICES = [
    ("", "Active and inactive"),
    ("active", "Active"),
    ("inactive", "Inactive"),
]


class WorkflowFilterForm(forms.Form):
    q = forms.CharField(
        label="Search",
        required=False,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": "Name, identifier or description"}
        ),
    )
    group = forms.ModelChoiceField(
        label="Group", queryset=WorkflowGroup.objects.none(), required=False, empty_label="All"
    )
    active = forms.ChoiceField(label="Status", choices=ACTIVE_FILTER_CHOICES, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = WorkflowGroup.objects.order_by("name")

    def filters(self) -> dict:
        if not self.is_valid():
            return {}
        active = {"active": True, "inactive": False}.get(self.cleaned_data["active"])
        group = self.cleaned_data["group"]
        return {
            "search": self.cleaned_data["q"].strip(),
            "group_id": group.pk if group else None,
            "active": active,
        }


class WorkflowForm(forms.ModelForm):
    tags = forms.CharField(
        required=False,
        max_length=MAX_TAGS * (MAX_TAG_LENGTH + 2),
        help_text="Comma-separated, for example: billing, transactional.",
    )
    preference_defaults = forms.MultipleChoiceField(
        label="Channels on by default",
        choices=Channel.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Subscribers receive these channels until they change their preferences.",
    )

    class Meta:
        model = Workflow
        fields = ["name", "identifier", "group", "description", "tags", "active", "critical"]
        labels = {"critical": "Critical: ignore subscriber preferences"}
        help_texts = {
            "identifier": "The trigger id your backend sends to the API. Derived from the name "
            "if left empty; unique in this environment.",
        }
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, environment, **kwargs):
        super().__init__(*args, **kwargs)
        self.environment = environment
        self.fields["group"].queryset = WorkflowGroup.objects.order_by("name")
        self.fields["group"].empty_label = None
        self.fields["identifier"].required = False
        # herald.js fills the identifier from the name until the operator edits it.
        self.fields["name"].widget.attrs["data-slug-source"] = "identifier"
        self.fields["identifier"].widget.attrs["data-slug-target"] = "identifier"
        if self.instance.pk:
            self.initial["tags"] = ", ".join(self.instance.tags)
            self.initial["preference_defaults"] = [
                channel for channel, on in self.instance.preference_defaults.items() if on
            ]
        else:
            self.initial.setdefault("preference_defaults", list(Channel.values))
            general = WorkflowGroup.objects.filter(name=DEFAULT_GROUP_NAME).first()
            if general is not None:
                self.initial.setdefault("group", general.pk)

    def clean_identifier(self):
        identifier = self.cleaned_data.get("identifier") or slugify(
            self.cleaned_data.get("name", "")
        )
        if not identifier:
            raise forms.ValidationError("Give the workflow a name or an identifier.")
        clash = Workflow.objects.filter(identifier=identifier).exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(
                f"{self.environment.name} already has a workflow with the identifier "
                f"“{identifier}”. Choose another one."
            )
        return identifier

    def clean_tags(self):
        tags = [tag.strip() for tag in self.cleaned_data["tags"].split(",")]
        tags = list(dict.fromkeys(tag for tag in tags if tag))
        if len(tags) > MAX_TAGS:
            raise forms.ValidationError(f"Use at most {MAX_TAGS} tags; this has {len(tags)}.")
        too_long = next((tag for tag in tags if len(tag) > MAX_TAG_LENGTH), None)
        if too_long is not None:
            raise forms.ValidationError(
                f"Keep each tag to {MAX_TAG_LENGTH} characters; “{too_long[:20]}…” has "
                f"{len(too_long)}."
            )
        return tags

    def clean_preference_defaults(self):
        chosen = set(self.cleaned_data["preference_defaults"])
        return {channel: channel in chosen for channel in Channel.values}

    def service_fields(self) -> dict:
        fields = ["name", "identifier", "group", "description", "tags", "active", "critical"]
        values = {name: self.cleaned_data[name] for name in fields}
        values["preference_defaults"] = self.cleaned_data["preference_defaults"]
        return values


class StepForm(forms.Form):
    """The content of one step. Which fields show depends on the channel."""

    name = forms.CharField(max_length=120)
    active = forms.BooleanField(required=False, initial=True)
    subject = forms.CharField(max_length=300, required=False)
    body = forms.CharField(
        max_length=Step._meta.get_field("body").max_length,
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
    )
    cta_url = forms.CharField(label="Call-to-action URL", max_length=500, required=False)
    feed = forms.ModelChoiceField(
        queryset=Feed.objects.none(), required=False, empty_label="No feed"
    )
    layout = forms.ModelChoiceField(
        queryset=Layout.objects.none(), required=False, empty_label="Default layout"
    )

    FIELDS_BY_CHANNEL = {
        Channel.IN_APP: ("name", "body", "cta_url", "feed", "active"),
        Channel.EMAIL: ("name", "subject", "body", "layout", "active"),
        Channel.CHAT: ("name", "body", "active"),
        Channel.SMS: ("name", "body", "active"),
    }
    BODY_LABELS = {
        Channel.IN_APP: "Body",
        Channel.EMAIL: "HTML body",
        Channel.CHAT: "Text",
        Channel.SMS: "Text",
    }

    def __init__(self, *args, channel: str, prefix_id: str, **kwargs):
        super().__init__(*args, prefix=prefix_id, **kwargs)
        self.channel = channel
        for name in list(self.fields):
            if name not in self.FIELDS_BY_CHANNEL[channel]:
                del self.fields[name]
        self.order_fields(self.FIELDS_BY_CHANNEL[channel])
        self.fields["body"].label = self.BODY_LABELS[channel]
        if channel == Channel.EMAIL:
            self.fields["body"].widget.attrs["rows"] = 12
        if "subject" in self.fields:
            self.fields["subject"].required = True
        if "feed" in self.fields:
            self.fields["feed"].queryset = Feed.objects.order_by("name")
        if "layout" in self.fields:
            self.fields["layout"].queryset = Layout.objects.order_by("name")
        liquid_help = "Liquid: payload, subscriber and step are in scope."
        for name in ("subject", "body", "cta_url"):
            if name in self.fields:
                self.fields[name].help_text = liquid_help
                self.fields[name].widget.attrs["spellcheck"] = "false"
        if "cta_url" in self.fields:
            self.fields[
                "cta_url"
            ].help_text = (
                f"{liquid_help} An https:// link, or a link within your app such as /orders/42."
            )

    @classmethod
    def initial_for(cls, step) -> dict:
        return {
            "name": step.name,
            "active": step.active,
            "subject": step.subject,
            "body": step.body,
            "cta_url": step.cta_url,
            "feed": step.feed_id,
            "layout": step.layout_id,
        }

    def clean(self):
        cleaned = super().clean()
        for field_name, message in step_template_errors(
            channel=self.channel, values=cleaned
        ).items():
            if field_name in self.fields and field_name not in self.errors:
                self.add_error(field_name, message)
        return cleaned

    def service_fields(self) -> dict:
        return dict(self.cleaned_data)


class PreviewForm(forms.Form):
    """A sample payload. Once valid, ``payload_source`` holds the JSON text as it was parsed."""

    payload = forms.CharField(
        label="Sample payload (JSON)",
        required=False,
        max_length=100_000,
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}),
        help_text="The data your backend sends with the trigger. The subscriber is a sample: "
        "Ada Lovelace, ada@example.com.",
    )

    def __init__(self, *args, field_id: str, **kwargs):
        # One preview per step can be open on the editor: ids must not collide.
        super().__init__(*args, auto_id=f"{field_id}-%s", **kwargs)

    def clean_payload(self):
        text = self.cleaned_data["payload"].strip() or "{}"
        try:
            payload = json.loads(text)
        except json.JSONDecodeError as error:
            raise forms.ValidationError(
                f"This is not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})."
            ) from error
        except (ValueError, RecursionError) as error:
            # Numbers too long to convert, or nesting too deep to parse.
            raise forms.ValidationError(
                "This JSON cannot be used: its numbers are too long or it is nested too deeply."
            ) from error
        if not isinstance(payload, dict):
            raise forms.ValidationError(
                'The payload must be a JSON object, for example {"order": {"id": 42}}.'
            )
        self.payload_source = text
        return payload


class WorkflowGroupForm(forms.ModelForm):
    class Meta:
        model = WorkflowGroup
        fields = ["name"]


class FeedForm(forms.ModelForm):
    class Meta:
        model = Feed
        fields = ["name", "identifier"]
        help_texts = {
            "identifier": "Client apps ask for this feed by its identifier. Unique in this "
            "environment; derived from the name if left empty.",
        }

    def __init__(self, *args, environment, **kwargs):
        super().__init__(*args, **kwargs)
        self.environment = environment
        self.fields["identifier"].required = False
        self.fields["name"].widget.attrs["data-slug-source"] = "identifier"
        self.fields["identifier"].widget.attrs["data-slug-target"] = "identifier"

    def clean_identifier(self):
        identifier = self.cleaned_data.get("identifier") or slugify(
            self.cleaned_data.get("name", "")
        )
        if not identifier:
            raise forms.ValidationError("Give the feed a name or an identifier.")
        if Feed.objects.filter(identifier=identifier).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(
                f"{self.environment.name} already has a feed with the identifier "
                f"“{identifier}”. Choose another one."
            )
        return identifier

    def validate_unique(self):
        # Uniqueness per environment is checked in clean_identifier, in the scope.
        pass
