from django import forms

from environments.models import Environment


class EnvironmentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"Between {obj.name} and {obj.downstream.name}"


class EnvironmentInsertForm(forms.Form):
    name = forms.CharField(max_length=60, help_text="For example Staging.")
    upstream = EnvironmentChoiceField(
        queryset=Environment.objects.none(),
        label="Position",
        empty_label=None,
        widget=forms.RadioSelect,
        help_text=(
            "The new environment receives promotions from the first and promotes into the "
            "second. It starts as a copy of the second one's content."
        ),
    )

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        candidates = (
            Environment.objects.filter(organization=organization, downstream__isnull=False)
            .select_related("downstream")
            .order_by("created_at")
        )
        self.fields["upstream"].queryset = candidates
        self.fields["upstream"].initial = candidates.first()
