from __future__ import annotations

import zoneinfo
from typing import Any, cast

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from accounts.models import User


class EmailAuthenticationForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("E-mail"),
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )

    def clean_username(self) -> str:
        return str(self.cleaned_data["username"]).lower()


class PreferencesForm(forms.ModelForm):
    """What a person sets for themselves: the name others see, language and time zone."""

    time_zone = forms.ChoiceField(label=_("Time zone"))

    class Meta:
        model = User
        fields = ["full_name", "language", "time_zone"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast("forms.ChoiceField", self.fields["time_zone"]).choices = [
            (zone, zone) for zone in sorted(zoneinfo.available_timezones())
        ]
