"""Forms of the channel pages: every bad input is a field error in Japanese, never a 500.

Texts are normalised before they are checked: NFC, line breaks as "\\n", bidi
override characters (U+202A–U+202E, U+2066–U+2069) removed — they can make a
title read backwards. Titles are one line without invisible characters.
"""

import re
import unicodedata
import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from . import selectors
from .attachments import AttachmentFormMixin
from .models import InitiativeKind, Phase, PostingPolicy

TITLE_MAX = 120
BODY_MAX = 10_000

_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
_INVISIBLE = re.compile("[\u00ad\u034f\u061c\u115f\u1160\u180e\u200b-\u200f\u2060-\u2064\u3164\ufeff\uffa0]")
_TOKEN = re.compile(r"^[0-9a-f]{32}$")


def new_token() -> str:
    return uuid.uuid4().hex


def normalise_text(value: str) -> str:
    value = unicodedata.normalize("NFC", value or "")
    value = value.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    return _BIDI.sub("", value)


def is_blank(value: str) -> bool:
    return not _INVISIBLE.sub("", value).strip()


class BodyField(forms.CharField):
    """Markdown body: required, at most 10,000 characters; the text is kept as typed otherwise."""

    default_error_messages = {"required": _("本文を入力してください。")}

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("本文"))
        kwargs.setdefault(
            "help_text",
            _(
                "10,000文字まで。改行はそのまま表示されます。「- 」で箇条書き、「> 」で引用、[文字](https://…) でリンクになります。"
            ),
        )
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 8}))
        super().__init__(strip=False, **kwargs)

    def to_python(self, value):
        value = normalise_text(super().to_python(value)).rstrip()
        return value.lstrip("\n")

    def validate(self, value):
        if is_blank(value):
            raise forms.ValidationError(self.error_messages["required"], code="required")

    def run_validators(self, value):
        if len(value) > BODY_MAX:
            raise forms.ValidationError(
                _("本文は10,000文字以内で入力してください（いまは%(count)s文字です）。"),
                code="max_length",
                params={"count": f"{len(value):,}"},
            )


class TokenField(forms.CharField):
    """The hidden one-time token that makes a double-submitted form create one post."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        super().__init__(required=False, max_length=64, **kwargs)

    def clean(self, value):
        value = (value or "").strip().lower().replace("-", "")
        return value if _TOKEN.match(value) else ""


class _PostingForm(forms.Form):
    token = TokenField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound and not self.initial.get("token"):
            self.initial["token"] = new_token()


class ThreadForm(AttachmentFormMixin, _PostingForm):
    title = forms.CharField(
        label=_("タイトル"),
        max_length=TITLE_MAX,
        help_text=_("120文字まで。"),
        error_messages={
            "required": _("タイトルを入力してください。"),
            "max_length": _("タイトルは120文字以内で入力してください（いまは%(show_value)d文字です）。"),
        },
    )
    kind = forms.ChoiceField(
        label=_("取組みの種類"),
        choices=[("", _("選んでください"))] + list(InitiativeKind.choices),
        error_messages={
            "required": _("取組みの種類を選んでください。"),
            "invalid_choice": _("取組みの種類は一覧から選んでください。"),
        },
    )
    phase = forms.ChoiceField(
        label=_("フェイズ"),
        choices=Phase.choices,
        initial=Phase.PLANNING,
        error_messages={
            "required": _("フェイズを選んでください。"),
            "invalid_choice": _("フェイズは一覧から選んでください。"),
        },
    )
    body = BodyField()
    citation = forms.ChoiceField(
        label=_("出発点となる公式情報（任意）"),
        required=False,
        help_text=_("このトピックのもとになった市の公式ページや会議の記録があれば選んでください。"),
        error_messages={"invalid_choice": _("公式情報は一覧から選んでください。")},
    )

    field_order = ["title", "kind", "phase", "body", "citation", "token"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["citation"].choices = [("", _("なし"))] + selectors.citation_choices()
        self.fields["title"].widget.attrs["maxlength"] = str(TITLE_MAX)

    def clean_title(self):
        title = normalise_text(self.cleaned_data["title"])
        title = " ".join(_INVISIBLE.sub("", title).split())
        if not title:
            raise forms.ValidationError(_("タイトルを入力してください。"), code="required")
        if len(title) > TITLE_MAX:
            raise forms.ValidationError(
                _("タイトルは120文字以内で入力してください（いまは%(count)d文字です）。"),
                code="max_length",
                params={"count": len(title)},
            )
        return title

    def clean_citation(self):
        value = self.cleaned_data.get("citation") or ""
        if not value:
            return None
        target = selectors.citation_target(value)
        if target is None:
            raise forms.ValidationError(_("公式情報は一覧から選んでください。"), code="invalid_choice")
        return target


class ReplyForm(AttachmentFormMixin, _PostingForm):
    body = BodyField(label=_("返信"))
    quote = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)

    field_order = ["body", "quote", "token"]


class EditPostForm(forms.Form):
    body = BodyField()


class PhaseForm(forms.Form):
    phase = forms.ChoiceField(
        label=_("フェイズ"),
        choices=Phase.choices,
        error_messages={
            "required": _("フェイズを選んでください。"),
            "invalid_choice": _("フェイズは一覧から選んでください。"),
        },
    )


class ChannelSettingsForm(forms.Form):
    posting_policy = forms.ChoiceField(
        label=_("投稿の設定"),
        choices=PostingPolicy.choices,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("投稿の設定は一覧から選んでください。")},
    )
    members_only = forms.BooleanField(
        label=_("メンバーのみ閲覧できるようにする"),
        required=False,
        help_text=_("オンにすると、ログインしていない方やメンバーでない方にはこのチャンネルが表示されなくなります。"),
    )

    def __init__(self, *args, channel, **kwargs):
        super().__init__(*args, **kwargs)
        if channel.tier_id != "A":
            # B and C are always members-only.
            del self.fields["members_only"]


class ThreadFilterForm(forms.Form):
    """Channel page filters; a value not in the list is ignored (the list shows everything)."""

    kind = forms.ChoiceField(
        label=_("取組みの種類"), required=False, choices=[("", _("すべて"))] + list(InitiativeKind.choices)
    )
    phase = forms.ChoiceField(label=_("フェイズ"), required=False, choices=[("", _("すべて"))] + list(Phase.choices))

    def values(self) -> tuple[str, str]:
        if not self.is_bound:
            return "", ""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return data.get("kind", "") or "", data.get("phase", "") or ""
