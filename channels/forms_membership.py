"""Forms for members, invitations and follows."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Follow


class InviteForm(forms.Form):
    email = forms.EmailField(
        label=_("招待する方のメールアドレス"),
        max_length=254,
        error_messages={
            "required": _("メールアドレスを入力してください。"),
            "invalid": _("メールアドレスの形式が正しくありません。name@example.jp のように入力してください。"),
        },
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )


class FollowForm(forms.Form):
    delivery = forms.ChoiceField(
        label=_("通知の受け取り方"),
        choices=Follow.Delivery.choices,
        initial=Follow.Delivery.IMMEDIATE,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("通知の受け取り方を選んでください。")},
    )
