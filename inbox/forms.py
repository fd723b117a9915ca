from django import forms
from django.utils.translation import gettext_lazy as _

from inbox.services import MAX_REPLY_LENGTH


class ReplyForm(forms.Form):
    text = forms.CharField(
        label=_("Your reply"),
        max_length=MAX_REPLY_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    private = forms.BooleanField(label=_("Reply privately in Messenger"), required=False)
