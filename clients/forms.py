from __future__ import annotations

import zoneinfo
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from accounts.models import Agency
from clients.models import AgencySavedReply, Client


class ClientForm(forms.Form):
    agency = forms.ModelChoiceField(queryset=Agency.objects.none(), label=_("Agency"))
    name = forms.CharField(label=_("Name"), max_length=200)
    slug = forms.SlugField(
        label=_("Short name for URLs"),
        max_length=40,
        help_text=_("Lowercase letters, digits and hyphens, e.g. acme-store."),
    )
    default_language = forms.ChoiceField(label=_("Default language"), choices=settings.LANGUAGES)
    time_zone = forms.CharField(label=_("Time zone"), initial="UTC", max_length=64)

    def __init__(self, *args: Any, agencies: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["agency"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = agencies
        if len(agencies) == 1:
            field.initial = agencies[0].pk

    def clean_slug(self) -> str:
        slug: str = self.cleaned_data["slug"].lower()
        if slug == "public" or Client.objects.filter(slug=slug).exists():
            raise forms.ValidationError(_("This short name is already in use."))
        return slug

    def clean_time_zone(self) -> str:
        value: str = self.cleaned_data["time_zone"]
        if value not in zoneinfo.available_timezones():
            raise forms.ValidationError(_("Unknown time zone, e.g. Europe/Berlin."))
        return value


class AgencySavedReplyForm(forms.ModelForm):
    class Meta:
        model = AgencySavedReply
        fields = ["agency", "title", "category", "language", "body"]

    def __init__(self, *args: Any, agencies: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["agency"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = agencies
        field.empty_label = None
