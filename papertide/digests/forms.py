import zoneinfo

from django import forms

from papertide.search.keyword import query_words

from .models import SavedSearch, Subscription

HOURS = [(h, f"{h:02d}:00") for h in range(24)]


class SettingsForm(forms.ModelForm):
    hour = forms.TypedChoiceField(choices=HOURS, coerce=int, initial=8, label="Send at (local time)")
    time_zone = forms.ChoiceField(
        choices=[(z, z) for z in sorted(zoneinfo.available_timezones())], initial="UTC", label="Time zone"
    )
    top_n = forms.IntegerField(min_value=0, max_value=50, initial=10, label="Trending papers (0 for none)")

    class Meta:
        model = Subscription
        fields = ["frequency", "hour", "time_zone", "top_n"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound and self.instance.pk is None:
            # A fresh digest: the page's script proposes the browser's zone (timezone.js); a digest's
            # own settings keep the zone its reader chose.
            self.fields["time_zone"].widget.attrs["data-browser-zone"] = ""


class SubscribeForm(SettingsForm):
    email = forms.EmailField(label="E-mail address")

    class Meta(SettingsForm.Meta):
        fields = ["email", "frequency", "hour", "time_zone", "top_n"]

    def validate_unique(self):
        pass  # an address already subscribed is handled by the view, without saying so to a stranger

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()


class SavedSearchForm(forms.ModelForm):
    threshold = forms.FloatField(
        min_value=0.0,
        max_value=1.0,
        initial=0.5,
        help_text="0 to 1: half how many of the words a paper has, half how close it is in meaning.",
    )

    class Meta:
        model = SavedSearch
        fields = ["query", "threshold"]

    def clean_query(self):
        query = " ".join(self.cleaned_data["query"].split())
        if not query_words(query):
            raise forms.ValidationError("Give some words to look for (not only common ones like “the”).")
        return query
