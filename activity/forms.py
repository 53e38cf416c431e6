from django import forms

from activity.models import TRANSACTION_ID_MAX_LENGTH, Notification
from activity.selectors import NotificationFilters
from subscribers.models import SUBSCRIBER_ID_MAX_LENGTH
from workflows.models import Channel, Workflow


class NotificationFilterForm(forms.Form):
    """The Activity list's filters. A field that does not validate filters nothing (and says
    why); the others still apply."""

    workflow = forms.ChoiceField(required=False)
    subscriber = forms.CharField(
        required=False, max_length=SUBSCRIBER_ID_MAX_LENGTH, label="Subscriber ID"
    )
    channel = forms.ChoiceField(required=False, choices=[("", "Any channel"), *Channel.choices])
    status = forms.ChoiceField(
        required=False, choices=[("", "Any status"), *Notification.Status.choices]
    )
    since = forms.DateField(required=False, label="From", widget=forms.DateInput({"type": "date"}))
    until = forms.DateField(required=False, label="To", widget=forms.DateInput({"type": "date"}))
    transaction = forms.CharField(
        required=False, max_length=TRANSACTION_ID_MAX_LENGTH, label="Transaction ID"
    )

    def __init__(self, data=None, **kwargs):
        super().__init__(data, **kwargs)
        # The environment's workflows, from the request's scope.
        self.fields["workflow"].choices = [
            ("", "Any workflow"),
            *(
                (str(origin), name)
                for origin, name in Workflow.objects.values_list("origin_id", "name")
            ),
        ]

    def filters(self) -> NotificationFilters:
        if not self.is_bound:
            return NotificationFilters()
        self.is_valid()
        value = self.cleaned_data.get
        subscriber_id = (value("subscriber") or "").strip()
        transaction_id = (value("transaction") or "").strip()
        return NotificationFilters(
            workflows=tuple(filter(None, [value("workflow")])),
            subscriber_ids=tuple(filter(None, [subscriber_id])),
            channels=tuple(filter(None, [value("channel")])),
            statuses=tuple(filter(None, [value("status")])),
            since=value("since"),
            until=value("until"),
            transaction_id=transaction_id or None,
        )

    def query(self) -> dict:
        """The filters as query parameters, for the pages' links."""
        if not self.is_bound:
            return {}
        return {name: self.data.get(name) for name in self.fields if self.data.get(name)}
