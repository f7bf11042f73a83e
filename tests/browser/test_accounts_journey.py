"""Sign up → verify from the e-mail → choose a pen name, in chromium, on desktop and phone; every
page visited passes axe-core. (The channels journey continues from here: post in an A channel.)"""

import re

from django.contrib.auth import get_user_model
from django.core import mail

from .helpers import screenshot

LINK = re.compile(r"https?://\S+")


def sign_up_and_verify(page, axe_check, email: str, password: str, shots: str = "") -> None:
    """The sign-up form, its errors, the e-mail link and the confirmation (leaves the user signed in)."""
    page.goto("/accounts/signup/")
    axe_check(page)
    page.get_by_label("メールアドレス").fill(email)
    page.get_by_label("パスワード", exact=True).fill(password)
    page.get_by_label("パスワード（確認のためもう一度）").fill(password)
    page.get_by_role("button", name="登録する").click()
    # Not accepted the guidelines yet: the error is announced and tied to the checkbox.
    alert = page.get_by_role("alert")
    assert "利用ガイドラインへの同意が必要です" in alert.inner_text()
    checkbox = page.get_by_label("利用ガイドラインを読み、同意します")
    assert "id_accept_guidelines_error" in checkbox.get_attribute("aria-describedby")
    if shots:
        screenshot(page, f"{shots}-signup-error")
    axe_check(page)

    page.get_by_label("パスワード", exact=True).fill(password)
    page.get_by_label("パスワード（確認のためもう一度）").fill(password)
    checkbox.check()
    page.get_by_role("button", name="登録する").click()
    page.get_by_role("heading", name="確認メールを送りました").wait_for()
    axe_check(page)

    message = mail.outbox[-1]
    assert message.to == [email]
    page.goto(LINK.search(message.body).group())
    page.get_by_role("heading", name="メールアドレスの確認").wait_for()
    axe_check(page)
    page.get_by_role("button", name="確認する").click()


def test_sign_up_verify_choose_pen_name(viewport_page, axe_check):
    page = viewport_page
    kind = "phone" if page.viewport_size["width"] < 500 else "desktop"
    email = f"hoshikawa-{kind}@example.jp"
    sign_up_and_verify(page, axe_check, email, "hoshikawa-walk-2024", shots=f"journey-{kind}")

    page.get_by_role("heading", name="ペンネームを決める").wait_for()
    assert "登録が完了しました" in page.inner_text("main")
    screenshot(page, f"journey-{kind}-pen-name")
    axe_check(page)

    field = page.get_by_label("ペンネーム")
    field.fill("048-524-1111")
    page.get_by_role("button", name="このペンネームにする").click()
    assert "電話番号は入れられません" in page.get_by_role("alert").inner_text()
    axe_check(page)

    page.get_by_label("ペンネーム").fill(f"星川の散歩者{kind[0]}")
    page.get_by_role("button", name="このペンネームにする").click()
    page.wait_for_url("**/lab/")
    assert f"ペンネームを「星川の散歩者{kind[0]}」にしました。" in page.inner_text("main")
    screenshot(page, f"journey-{kind}-lab")
    axe_check(page)
    user = get_user_model().objects.get(email=email)
    assert user.pen_name == f"星川の散歩者{kind[0]}" and user.guidelines_version

    page.goto("/accounts/profile/")
    assert f"星川の散歩者{kind[0]}" in page.inner_text("main")
    screenshot(page, f"journey-{kind}-profile")
    axe_check(page)
    assert page.js_errors == []


def test_account_pages_are_accessible(browser_page, new_page, axe_check, login, citizen, staff, stakeholder):
    page = browser_page
    for path in ["/accounts/login/", "/accounts/password/reset/", "/accounts/guidelines/", "/accounts/staff-rules/"]:
        page.goto(path)
        assert page.locator("html").get_attribute("lang") == "ja"
        axe_check(page)
    page.goto("/accounts/login/")
    page.get_by_label("メールアドレス").fill(citizen.email)
    page.get_by_label("パスワード").fill("wrong-password")
    page.get_by_role("button", name="ログインする").click()
    assert "パスワードが正しくありません" in page.get_by_role("alert").inner_text()
    axe_check(page)

    login(page, citizen.email, "pw-kumagaya-2024")
    for path in [
        "/accounts/profile/",
        "/accounts/pen-name/",
        "/accounts/email/",
        "/accounts/password/change/",
        "/accounts/profile/delete/",
    ]:
        page.goto(path)
        axe_check(page)
    screenshot(page, "account-delete")

    # City staff: the staff rules to confirm, and the real-name list (on a phone).
    staff.staff_rules_version = ""
    staff.save()
    stakeholder.real_name_verified = False
    stakeholder.save()
    phone = new_page("phone")
    login(phone, staff.email, "pw-kumagaya-2024")
    phone.goto("/accounts/staff-rules/")
    axe_check(phone)
    phone.get_by_label("職員の投稿ルールを確認し、これに従って投稿します").check()
    phone.get_by_role("button", name="確認しました").click()
    assert "職員の投稿ルールを確認しました。" in phone.inner_text("main")
    phone.goto("/accounts/real-names/")
    axe_check(phone)
    phone.get_by_role("button", name="真鍋 健太 さんを確認済みにする").click()
    assert "真鍋 健太 さんの実名を確認済みにしました。" in phone.inner_text("main")
    screenshot(phone, "account-real-names-phone")
    axe_check(phone)
