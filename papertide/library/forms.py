"""The library's forms: what a reader types to make and tune an interest. The checks that need the
catalog (which ids it holds) live here too, so that every view answers bad input with the same words."""

import re

from django import forms

from papertide.catalog.ids import InvalidArxivId, parse_arxiv_id
from papertide.catalog.models import Paper

from .models import MAX_COLLECTION_NAME, Interest

# An interest from papers needs at least this many: fewer say too little about a topic to learn it.
MIN_PAPERS = 3
MAX_PAPERS = 100


class InterestWordsForm(forms.Form):
    words = forms.CharField(
        max_length=500, strip=True, error_messages={"required": "give a few words to start the interest from"}
    )
    name = forms.CharField(max_length=MAX_COLLECTION_NAME, required=False, strip=True)

    def interest_name(self) -> str:
        return self.cleaned_data["name"] or self.cleaned_data["words"][:MAX_COLLECTION_NAME]


class InterestPapersForm(forms.Form):
    name = forms.CharField(
        max_length=MAX_COLLECTION_NAME, strip=True, error_messages={"required": "give the interest a name"}
    )
    papers = forms.CharField(
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": f"give at least {MIN_PAPERS} arXiv ids or URLs"},
        help_text="arXiv ids or arxiv.org URLs, one a line or separated by spaces or commas.",
    )

    def clean_papers(self) -> list[Paper]:
        """The papers named, in the order given, each once: every id must parse and be in the catalog."""
        ids: dict[str, None] = {}
        for word in re.split(r"[\s,;]+", self.cleaned_data["papers"]):
            if not word:
                continue
            try:
                ids[parse_arxiv_id(word).id] = None
            except InvalidArxivId as exc:
                raise forms.ValidationError(str(exc)) from None
        if len(ids) < MIN_PAPERS:
            raise forms.ValidationError(
                f"an interest from papers needs at least {MIN_PAPERS} different papers; {len(ids)} given"
            )
        if len(ids) > MAX_PAPERS:
            raise forms.ValidationError(f"at most {MAX_PAPERS} papers at once; {len(ids)} given")
        found = Paper.objects.in_bulk(list(ids), field_name="arxiv_id")
        unknown = [i for i in ids if i not in found]
        if unknown:
            raise forms.ValidationError(
                f"not in this catalog: {', '.join(unknown)} (search for them or submit them first)"
            )
        return [found[i] for i in ids]


class InterestSettingsForm(forms.ModelForm):
    """What a reader tunes on the interests page: the name, and its section of the e-mail digest."""

    threshold = forms.FloatField(
        min_value=0.0,
        max_value=1.0,
        error_messages={
            "min_value": "the threshold is a match from 0 to 1",
            "max_value": "the threshold is a match from 0 to 1",
        },
    )

    class Meta:
        model = Interest
        fields = ["name", "in_digest", "threshold"]


class CollectionChoiceForm(forms.Form):
    collection = forms.SlugField(
        max_length=120, error_messages={"required": "choose one of your collections"}
    )
