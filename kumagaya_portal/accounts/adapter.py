"""allauth adapter: the portal's Japanese error messages and where people go next."""

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from kumagaya_portal.context_processors import SITE_NAME


class AccountAdapter(DefaultAccountAdapter):
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "account_inactive": _("このアカウントは現在使えません。お問い合わせください。"),
        "email_password_mismatch": _(
            "メールアドレスまたはパスワードが正しくありません。入力し直すか、パスワードを再設定してください。"
        ),
        "email_taken": _("このメールアドレスはすでに登録されています。ログインしてください。"),
        "duplicate_email": _("このメールアドレスはすでにこのアカウントに登録されています。"),
        "cannot_remove_primary_email": _(
            "メインのメールアドレスは削除できません。先に別のアドレスをメインにしてください。"
        ),
        "enter_current_password": _("現在のパスワードを入力してください。"),
        "incorrect_password": _("パスワードが正しくありません。現在のパスワードを入力してください。"),
        "invalid_or_expired_key": _(
            "このリンクは無効か、有効期限が切れています。お手数ですが、もう一度手続きをしてください。"
        ),
        "invalid_password_reset": _(
            "パスワード再設定のリンクが無効か、有効期限が切れています。もう一度再設定を申し込んでください。"
        ),
        "too_many_login_attempts": _("ログインの失敗が続いたため、しばらく時間をおいてからお試しください。"),
        "unknown_email": _("このメールアドレスで登録されたアカウントはありません。"),
        "unverified_primary_email": _(
            "メインのメールアドレスの確認が済んでいません。確認メールのリンクを開いてください。"
        ),
        "same_as_current": _("今と同じ内容です。変更する場合は別の内容を入力してください。"),
        "rate_limited": _("操作が続いたため、少し時間をおいてからもう一度お試しください。"),
    }

    def format_email_subject(self, subject):
        return f"[{SITE_NAME}] {subject}".replace("\n", " ")

    def send_mail(self, template_prefix, email, context):
        context = {"site_name": SITE_NAME, **context}
        super().send_mail(template_prefix, email, context)

    def get_signup_redirect_url(self, request):
        """After sign-up (and e-mail verification, which resumes it): choose a pen name, then the Lab."""
        return (
            reverse("accounts:pen_name")
            + "?"
            + urlencode({"next": resolve_url(settings.LOGIN_REDIRECT_URL), "welcome": "1"})
        )
