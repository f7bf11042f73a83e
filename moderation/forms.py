import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from channels.models import Channel, Tier
from kumagaya_portal.accounts.models import Department

from .models import AuditAction, FlagReason, QueueItem
from .selectors import reason_choices


class FlagForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("通報の理由"),
        choices=FlagReason.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("通報の理由を選んでください。")},
    )
    note = forms.CharField(
        label=_("補足（「その他」の場合は必須）"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    official_url = forms.URLField(
        label=_("正しい情報が載っている公式ページのURL（「誤った情報」の場合、任意）"),
        required=False,
        max_length=500,
        assume_scheme="https",
        error_messages={"invalid": _("URLは https:// から始まる形で入力してください。")},
    )

    def clean(self):
        data = super().clean()
        if data.get("reason") == FlagReason.OTHER and not (data.get("note") or "").strip():
            self.add_error("note", _("「その他」を選んだ場合は、補足に理由を書いてください。"))
        if data.get("official_url") and data.get("reason") != FlagReason.MISINFORMATION:
            self.add_error("official_url", _("公式ページのURLは「誤った情報」を選んだ場合にだけ入力できます。"))
        return data


class QueueFilterForm(forms.Form):
    state = forms.ChoiceField(
        label=_("状態"), required=False, choices=[("", _("すべて"))] + list(QueueItem.State.choices)
    )
    tier = forms.ChoiceField(
        label=_("階層"),
        required=False,
        choices=[("", _("すべて")), (Tier.A, "A"), (Tier.B, "B"), (Tier.C, "C")],
    )
    channel = forms.TypedChoiceField(label=_("チャンネル"), required=False, coerce=int, empty_value=None)
    reason = forms.ChoiceField(label=_("理由"), required=False)
    sort = forms.ChoiceField(
        label=_("並び順"),
        required=False,
        choices=[("oldest", _("古い順")), ("flags", _("通報の多い順"))],
    )

    def __init__(self, *args, channels=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].choices = [("", _("すべて"))] + [(c.pk, c.display_name) for c in channels]
        self.fields["reason"].choices = [("", _("すべて"))] + reason_choices()


class DecisionForm(forms.Form):
    """One form for every action; the item page shows it in parts (one <form> per group)."""

    action = forms.ChoiceField(
        choices=AuditAction.choices, error_messages={"required": _("対応の種類を選んでください。")}
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    reason = forms.CharField(
        label=_("理由（対応記録に残り、投稿者にも伝わります）"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("対応の理由を入力してください。理由は対応記録に残り、投稿者にも伝わります。")},
    )
    category = forms.ChoiceField(label=_("分類（運営状況の公開に使います）"), required=False)
    new_body = forms.CharField(label=_("編集後の本文"), required=False, max_length=10000, widget=forms.Textarea)
    channel = forms.ModelChoiceField(label=_("移動先のチャンネル"), required=False, queryset=Channel.objects.none())
    days = forms.IntegerField(label=_("停止する日数"), required=False, min_value=1, max_value=365)
    department = forms.ModelChoiceField(
        label=_("回付先の担当課"), required=False, queryset=Department.objects.all().order_by("id")
    )

    def __init__(self, *args, move_targets=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("自動（通報の理由）"))] + reason_choices()
        self.fields["channel"].queryset = Channel.objects.filter(pk__in=[c.pk for c in move_targets])


class IdentityForm(forms.Form):
    reason = forms.CharField(
        label=_("確認する理由（対応記録に残ります）"),
        min_length=10,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": _("確認する理由を10文字以上で具体的に書いてください。理由は対応記録に残ります。"),
            "min_length": _("確認する理由を10文字以上で具体的に書いてください。理由は対応記録に残ります。"),
        },
    )


class NGWordForm(forms.Form):
    word = forms.CharField(
        label=_("語句"), max_length=100, error_messages={"required": _("追加する語句を入力してください。")}
    )


class EscalationAnswerForm(forms.Form):
    answer = forms.CharField(
        label=_("回答"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("回答を入力してください。")},
    )


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(label=_("対応"), required=False)
    channel = forms.TypedChoiceField(label=_("チャンネル"), required=False, coerce=int, empty_value=None)
    month = forms.DateField(
        label=_("月"),
        required=False,
        input_formats=["%Y-%m"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
        error_messages={"invalid": _("月は 2025-02 の形で入力してください。")},
    )
    automatic = forms.ChoiceField(
        label=_("実施者"),
        required=False,
        choices=[("", _("すべて")), ("auto", _("自動")), ("manual", _("モデレーター"))],
    )
    post = forms.IntegerField(label=_("投稿番号"), required=False, min_value=1, max_value=2**62)

    def __init__(self, *args, channels=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", _("すべて"))] + list(AuditAction.choices)
        self.fields["channel"].choices = [("", _("すべて"))] + [(c.pk, c.display_name) for c in channels]


def parse_month(value: str | None) -> dt.date | None:
    try:
        return dt.datetime.strptime(value or "", "%Y-%m").date()
    except ValueError:
        return None
