"""Accounts: sign-up with verification, login/logout, password reset, guidelines, staff rules,
my data as JSON, leaving the portal."""

import json
import re

import pytest
from allauth.account.models import EmailAddress
from bs4 import BeautifulSoup
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core import mail
from django.urls import reverse

from channels.services import do_create_thread
from kumagaya_portal.accounts.models import StaffRules

from .conftest import make_user

PASSWORD = "pw-kumagaya-2024"
LINK = re.compile(r"https?://\S+")


def soup(response):
    return BeautifulSoup(response.content, "html.parser")


def link_in_last_mail():
    return LINK.search(mail.outbox[-1].body).group()


def sign_up(client, email="hoshikawa@example.jp", password="hoshikawa-walk-2024", accept=True):  # noqa: S107
    data = {"email": email, "password1": password, "password2": password}
    if accept:
        data["accept_guidelines"] = "on"
    return client.post(reverse("account_signup"), data)


# ------------------------------------------------------------------- sign-up
def test_signup_page_is_japanese_and_labelled(client, city):
    response = client.get(reverse("account_signup"))
    assert response.status_code == 200
    html = soup(response)
    assert html.html["lang"] == "ja"
    assert html.h1.get_text(strip=True) == "新規登録"
    for name in ["email", "password1", "password2", "accept_guidelines"]:
        field = html.find("input", {"name": name})
        assert html.find("label", {"for": field["id"]}).get_text(strip=True), name
        assert not field.get("placeholder")
    assert html.find("a", href=reverse("accounts:guidelines"))


def test_signup_requires_accepting_the_guidelines(client, city):
    response = sign_up(client, accept=False)
    assert response.status_code == 200
    html = soup(response)
    error = html.find(id="id_accept_guidelines_error")
    assert "利用ガイドラインへの同意が必要です" in error.get_text()
    assert "id_accept_guidelines_error" in html.find("input", {"name": "accept_guidelines"})["aria-describedby"]
    assert not get_user_model().objects.filter(email="hoshikawa@example.jp").exists()
    assert mail.outbox == []


def test_signup_verify_then_choose_pen_name(client, city):
    response = sign_up(client)
    assert response.status_code == 302
    user = get_user_model().objects.get(email="hoshikawa@example.jp")
    assert user.guidelines_version == settings.GUIDELINES_VERSION
    assert not EmailAddress.objects.get(user=user).verified
    # Not verified yet: cannot log in.
    assert "確認メールを送りました" in client.get(response["Location"]).content.decode()

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["hoshikawa@example.jp"]
    assert message.subject == "[熊谷市 Webコモンスペース] メールアドレスの確認"
    assert "メールアドレスの確認を完了してください" in message.body
    confirm_url = link_in_last_mail()
    page = client.get(confirm_url)
    assert page.status_code == 200 and "確認する" in page.content.decode()
    response = client.post(confirm_url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:pen_name") + "?next=%2Flab%2F")
    assert EmailAddress.objects.get(user=user).verified

    page = client.get(response["Location"]).content.decode()
    assert "登録が完了しました" in page
    assert "メールアドレス hoshikawa@example.jp を確認しました。" in page
    response = client.post(reverse("accounts:pen_name"), {"pen_name": "星川の散歩者", "next": "/lab/"})
    assert response.status_code == 302 and response["Location"] == "/lab/"
    user.refresh_from_db()
    assert user.pen_name == "星川の散歩者"


def test_signup_with_a_taken_address_does_not_reveal_it(client, citizen):
    response = sign_up(client, email=citizen.email)
    assert response.status_code == 302  # same answer as a new address
    assert get_user_model().objects.filter(email=citizen.email).count() == 1
    assert "すでに登録されています" in mail.outbox[-1].body


# --------------------------------------------------------------- login/logout
def test_login_and_logout(client, citizen):
    page = soup(client.get(reverse("account_login")))
    assert page.find("label", {"for": "id_login"}).get_text(strip=True) == "メールアドレス"
    response = client.post(reverse("account_login"), {"login": citizen.email, "password": "wrong-password"})
    assert response.status_code == 200
    assert "メールアドレスまたはパスワードが正しくありません" in response.content.decode()
    assert soup(response).find(id="form-errors")["role"] == "alert"

    response = client.post(reverse("account_login"), {"login": citizen.email, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/lab/"
    assert "ログインしました。" in client.get("/lab/").content.decode()

    response = client.post(reverse("account_logout"))
    assert response.status_code == 302
    assert client.get(reverse("accounts:profile")).status_code == 302


def test_password_reset(client, citizen):
    response = client.post(reverse("account_reset_password"), {"email": citizen.email})
    assert response.status_code == 302
    assert mail.outbox[-1].subject == "[熊谷市 Webコモンスペース] パスワードの再設定"
    reset_url = link_in_last_mail()
    response = client.get(reset_url)
    if response.status_code == 302:  # allauth moves the key out of the URL
        response = client.get(response["Location"])
    assert "新しいパスワードの設定" in response.content.decode()
    action = soup(response).find("form", {"method": "post"})["action"]
    response = client.post(action, {"password1": "new-kumagaya-pass-9", "password2": "new-kumagaya-pass-9"})
    assert response.status_code == 302
    assert client.login(email=citizen.email, password="new-kumagaya-pass-9")


# -------------------------------------------------------- guidelines, staff rules
def test_guidelines_are_public_and_accepted_once(client, city):
    page = client.get(reverse("accounts:guidelines"))
    assert page.status_code == 200 and "書き込まないでください" in page.content.decode()
    assert soup(page).find("input", {"name": "accept"}) is None  # nothing to accept when signed out

    user = make_user("late@example.jp", pen_name="遅れてきた人")
    user.guidelines_version = ""
    user.save()
    client.force_login(user)
    response = client.post(reverse("accounts:guidelines"), {"next": "/lab/"})
    assert response.status_code == 200 and "にチェックを入れてください" in response.content.decode()
    response = client.post(reverse("accounts:guidelines"), {"accept": "on", "next": "/lab/"})
    assert response.status_code == 302 and response["Location"] == "/lab/"
    user.refresh_from_db()
    assert user.guidelines_version == settings.GUIDELINES_VERSION


def test_staff_confirm_the_staff_rules(client, staff):
    rules = StaffRules.current()
    staff.staff_rules_version = ""
    staff.save()
    client.force_login(staff)
    page = client.get(reverse("accounts:staff_rules"))
    text = page.content.decode()
    assert rules.disclaimer_ja in text and rules.not_official_ja in text
    for rule in rules.rules_ja:
        assert rule in text
    response = client.post(
        reverse("accounts:staff_rules"), {"confirm": "on", "version": rules.version, "next": "/lab/"}
    )
    assert response.status_code == 302 and response["Location"] == "/lab/"
    staff.refresh_from_db()
    assert staff.staff_rules_version == rules.version


def test_citizens_only_read_the_staff_rules(client, citizen):
    client.force_login(citizen)
    page = client.get(reverse("accounts:staff_rules"))
    assert page.status_code == 200 and soup(page).find("input", {"name": "confirm"}) is None
    client.post(reverse("accounts:staff_rules"), {"confirm": "on", "version": StaffRules.current().version})
    citizen.refresh_from_db()
    assert citizen.staff_rules_version == ""


# --------------------------------------------------------------------- profile
def test_profile_edit_resets_real_name_verification(client, stakeholder):
    client.force_login(stakeholder)
    page = client.get(reverse("accounts:profile"))
    assert "真鍋 健太" in page.content.decode()
    client.post(reverse("accounts:profile"), {"real_name": "真鍋 健太", "organisation": "まちなかデザイン合同会社"})
    stakeholder.refresh_from_db()
    assert stakeholder.organisation == "まちなかデザイン合同会社" and stakeholder.real_name_verified
    client.post(reverse("accounts:profile"), {"real_name": "真鍋 健", "organisation": "まちなかデザイン合同会社"})
    stakeholder.refresh_from_db()
    assert stakeholder.real_name == "真鍋 健" and not stakeholder.real_name_verified


# ------------------------------------------------------------------ my data
def test_download_my_data(client, settings, citizen, stakeholder, channel_a, django_assert_max_num_queries):
    settings.MODERATION_NEW_ACCOUNT_POSTS = 0
    thread = do_create_thread(
        actor=citizen, channel=channel_a, title="星川の木陰", body="ベンチがほしいです。", kind="private-led"
    )
    do_create_thread(actor=stakeholder, channel=channel_a, title="他人の話題", body="他人の本文", kind="private-led")
    client.force_login(citizen)
    with django_assert_max_num_queries(15):
        response = client.get(reverse("accounts:export"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["profile"]["email"] == citizen.email
    assert data["profile"]["pen_name"] == "くまがやの風" and data["profile"]["real_name"] == "榊原 澄玲"
    assert [p["body"] for p in data["posts"]] == ["ベンチがほしいです。"]
    assert data["posts"][0]["thread_title"] == thread.title
    assert isinstance(data["flags"], list)
    text = response.content.decode()
    assert "他人の本文" not in text and stakeholder.email not in text
    assert client.logout() is None and client.get(reverse("accounts:export")).status_code == 302


def test_my_flags_are_in_my_data(client, settings, citizen, stakeholder, channel_a):
    flag_model = pytest.importorskip("moderation.models").Flag
    settings.MODERATION_NEW_ACCOUNT_POSTS = 0
    thread = do_create_thread(actor=stakeholder, channel=channel_a, title="話題", body="本文", kind="private-led")
    flag_model.objects.create(post=thread.posts.first(), flagger=citizen, reason="spam", note="宣伝に見えます")
    client.force_login(citizen)
    data = json.loads(client.get(reverse("accounts:export")).content)
    assert [(f["reason"], f["note"]) for f in data["flags"]] == [("spam", "宣伝に見えます")]


# ---------------------------------------------------------------- leaving
def test_delete_account(client, settings, citizen, channel_a):
    settings.MODERATION_NEW_ACCOUNT_POSTS = 0
    thread = do_create_thread(
        actor=citizen, channel=channel_a, title="星川の木陰", body="ベンチがほしいです。", kind="private-led"
    )
    other = client_class = type(client)
    other = client_class()
    other.force_login(citizen)  # a second session, e.g. on the phone
    client.force_login(citizen)

    response = client.post(reverse("accounts:delete"), {"password": "wrong", "confirm": "on"})
    assert response.status_code == 200 and "パスワードが正しくありません" in response.content.decode()
    citizen.refresh_from_db()
    assert citizen.is_active

    response = client.post(reverse("accounts:delete"), {"password": PASSWORD, "confirm": "on"})
    assert response.status_code == 302 and response["Location"] == "/"
    citizen.refresh_from_db()
    assert citizen.is_deleted and not citizen.is_active and not citizen.has_usable_password()
    assert citizen.email == f"deleted-{citizen.pk}@invalid"
    assert (citizen.pen_name, citizen.real_name, citizen.organisation, citizen.pen_name_key) == ("", "", "", None)
    assert not EmailAddress.objects.filter(user=citizen).exists()
    assert not [s for s in Session.objects.all() if s.get_decoded().get("_auth_user_id") == str(citizen.pk)]
    assert other.get(reverse("accounts:profile")).status_code == 302

    page = client.get(reverse("channels:thread", args=[channel_a.slug, thread.pk])).content.decode()
    assert "ベンチがほしいです。" in page and "退会したユーザー" in page
    assert "くまがやの風" not in page and "榊原" not in page

    assert not client.login(email="sumire.citizen@example.jp", password=PASSWORD)
    # The address and the pen name are free again.
    assert sign_up(client, email="sumire.citizen@example.jp").status_code == 302
    assert get_user_model().objects.filter(email="sumire.citizen@example.jp", is_deleted=False).count() == 1


def test_delete_account_leaves_channels(client, stakeholder, workspace_c):
    from channels import permissions

    assert permissions.is_member(stakeholder, workspace_c)
    client.force_login(stakeholder)
    client.post(reverse("accounts:delete"), {"password": PASSWORD, "confirm": "on"})
    user = get_user_model().objects.get(pk=stakeholder.pk)
    assert not permissions.is_member(user, workspace_c)
    assert not user.memberships.filter(state="active").exists()


# ------------------------------------------------------- real-name verification
def test_only_city_staff_verify_real_names(client, citizen, moderator):
    url = reverse("accounts:real_names")
    assert client.get(url).status_code == 302  # to the login page
    for user in (citizen, moderator):
        client.force_login(user)
        assert client.get(url).status_code == 404
        assert client.post(url, {"user": citizen.pk, "verified": "1"}).status_code == 404
    citizen.refresh_from_db()
    assert not citizen.real_name_verified


def test_staff_verify_a_real_name(client, staff, stakeholder, django_assert_max_num_queries):
    stakeholder.real_name_verified = False
    stakeholder.save()
    for n in range(30):
        make_user(f"pending{n}@example.jp", real_name=f"申請 {n}")
    client.force_login(staff)
    url = reverse("accounts:real_names")
    with django_assert_max_num_queries(12):
        page = client.get(url)
    assert "真鍋 健太" in page.content.decode() and "株式会社まちなかデザイン" in page.content.decode()
    assert stakeholder.email not in page.content.decode()
    response = client.post(url, {"user": stakeholder.pk, "verified": "1", "next": url + "?q=真鍋"})
    assert response.status_code == 302 and response["Location"] == url + "?q=%E7%9C%9F%E9%8D%8B"
    stakeholder.refresh_from_db()
    assert stakeholder.real_name_verified
    assert "真鍋 健太 さんを確認済みにする" not in client.get(url).content.decode()  # no longer pending
    assert "真鍋 健太 さんの確認を取り消す" in client.get(url, {"all": "1", "q": "真鍋"}).content.decode()
