"""Account forms: allauth's forms in the portal's Japanese, and the profile pages' forms."""

from allauth.account import forms as allauth_forms
from django import forms
from django.urls import reverse_lazy
from django.utils.functional import lazy
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .pen_names import MAX_LENGTH, TAKEN_MESSAGE, clean_pen_name, pen_name_taken

LABELS = {
    "login": _("メールアドレス"),
    "email": _("メールアドレス"),
    "password": _("パスワード"),
    "oldpassword": _("現在のパスワード"),
    "password1": _("新しいパスワード"),
    "password2": _("新しいパスワード（確認のためもう一度）"),
    "remember": _("このブラウザでログインしたままにする"),
}


def _guidelines_help():
    return format_html(
        '<a href="{}" target="_blank" rel="noopener">{}</a>',
        reverse_lazy("accounts:guidelines"),
        _("利用ガイドラインを読む（新しいタブで開きます）"),
    )


class PortalFormMixin:
    """Japanese labels, a 「…を入力してください。」 message for each required field, and no
    placeholder standing in for a label (every field has a visible <label>)."""

    labels: dict = {}

    def portalise(self):
        self.label_suffix = ""
        for name, field in self.fields.items():
            label = self.labels.get(name) or LABELS.get(name)
            if label:
                field.label = label
            field.widget.attrs.pop("placeholder", None)
            if field.required and field.label:
                if isinstance(field, forms.BooleanField):
                    message = _("%(label)sにチェックを入れてください。") % {"label": field.label}
                else:
                    message = _("%(label)sを入力してください。") % {"label": field.label}
                field.error_messages["required"] = message
        return self


class LoginForm(PortalFormMixin, allauth_forms.LoginForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["password"].help_text = ""  # the reset link stands under the form
        self.portalise()


class SignupForm(PortalFormMixin, allauth_forms.SignupForm):
    labels = {"password1": _("パスワード"), "password2": _("パスワード（確認のためもう一度）")}
    field_order = ["email", "password1", "password2", "accept_guidelines"]

    accept_guidelines = forms.BooleanField(label=_("利用ガイドラインを読み、同意します"), required=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["accept_guidelines"].help_text = lazy(_guidelines_help, str)()
        self.fields["email"].help_text = _("確認のメールを送ります。ほかの参加者に表示されることはありません。")
        self.portalise()
        self.fields["accept_guidelines"].error_messages["required"] = _(
            "登録するには利用ガイドラインへの同意が必要です。内容を確認し、チェックを入れてください。"
        )

    def save(self, request):
        from .services import do_accept_guidelines

        user = super().save(request)
        do_accept_guidelines(actor=user)
        return user


class ResetPasswordForm(PortalFormMixin, allauth_forms.ResetPasswordForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].help_text = _("登録したメールアドレスを入力してください。再設定の案内をお送りします。")
        self.portalise()


class ResetPasswordKeyForm(PortalFormMixin, allauth_forms.ResetPasswordKeyForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.portalise()


class ChangePasswordForm(PortalFormMixin, allauth_forms.ChangePasswordForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.portalise()


class SetPasswordForm(PortalFormMixin, allauth_forms.SetPasswordForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.portalise()


class AddEmailForm(PortalFormMixin, allauth_forms.AddEmailForm):
    labels = {"email": _("追加するメールアドレス")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.portalise()


# --------------------------------------------------------------- profile pages
class PenNameForm(PortalFormMixin, forms.Form):
    pen_name = forms.CharField(
        label=_("ペンネーム"),
        max_length=MAX_LENGTH * 2,  # the rule's own message explains the limit
        help_text=_(
            "2〜20文字。熊谷コミュニティラボでは、あなたの投稿にこの名前だけが表示されます。"
            "メールアドレスや電話番号など、あなたを特定できる情報は入れないでください。"
        ),
        widget=forms.TextInput(attrs={"autocomplete": "nickname", "spellcheck": "false"}),
    )

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        self.portalise()

    def clean_pen_name(self):
        name = clean_pen_name(self.cleaned_data["pen_name"])
        if pen_name_taken(name, exclude_user=self.user):
            raise forms.ValidationError(TAKEN_MESSAGE, code="taken")
        return name


class ProfileForm(PortalFormMixin, forms.Form):
    real_name = forms.CharField(
        label=_("氏名（実名）"),
        max_length=100,
        required=False,
        help_text=_(
            "関係者のチャンネル（B）とワークスペース（C）で表示されます。熊谷コミュニティラボ（A）には表示されません。"
            "変更すると、市職員による実名確認をもう一度受けるまで B・C には投稿できません。"
        ),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    organisation = forms.CharField(
        label=_("所属（企業・団体名）"),
        max_length=100,
        required=False,
        help_text=_("B・C で氏名と一緒に表示されます。個人で参加する場合は空欄のままにしてください。"),
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.portalise()


class AcceptGuidelinesForm(PortalFormMixin, forms.Form):
    accept = forms.BooleanField(label=_("利用ガイドラインを読み、同意します"), required=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.portalise()


class ConfirmStaffRulesForm(PortalFormMixin, forms.Form):
    confirm = forms.BooleanField(
        label=_("職員の投稿ルールを確認し、これに従って投稿します"),
        required=True,
    )
    version = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.portalise()


class DeleteAccountForm(PortalFormMixin, forms.Form):
    labels = {"password": _("現在のパスワード")}

    password = forms.CharField(
        label=_("現在のパスワード"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=_("ご本人の操作であることを確かめるために入力してください。"),
    )
    confirm = forms.BooleanField(
        label=_("退会すると元に戻せないことを理解しました"),
        required=True,
    )

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        self.portalise()

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(
                _("パスワードが正しくありません。現在のパスワードを入力してください。"), code="incorrect_password"
            )
        return password


__all__ = [
    "AcceptGuidelinesForm",
    "AddEmailForm",
    "ChangePasswordForm",
    "ConfirmStaffRulesForm",
    "DeleteAccountForm",
    "LoginForm",
    "PenNameForm",
    "ProfileForm",
    "ResetPasswordForm",
    "ResetPasswordKeyForm",
    "SetPasswordForm",
    "SignupForm",
]
