"""Pen-name rules (issue 2 item 6) and the pen-name page."""

import pytest
from bs4 import BeautifulSoup
from django.core.exceptions import ValidationError
from django.urls import reverse

from channels.services import do_create_thread
from kumagaya_portal.accounts.pen_names import clean_pen_name, contains_email, contains_phone_number
from kumagaya_portal.accounts.services import do_set_pen_name

from .conftest import make_user


@pytest.mark.parametrize("variant", ["ＡＢＣ", "abc", "Abc", "ａｂｃ", "ABC", " abc "])
def test_pen_name_unique_regardless_of_case_and_width(city, variant):
    make_user("first@example.jp", pen_name="abc")
    other = make_user("second@example.jp")
    with pytest.raises(ValidationError) as exc:
        do_set_pen_name(actor=other, pen_name=variant)
    assert "すでに使われています" in exc.value.messages[0]


def test_own_pen_name_may_change_case(city):
    user = make_user("first@example.jp", pen_name="abc")
    do_set_pen_name(actor=user, pen_name="ＡＢＣ")
    user.refresh_from_db()
    assert user.pen_name == "ＡＢＣ"


@pytest.mark.parametrize(
    "name, ok",
    [
        ("あ", False),
        ("あい", True),
        ("a" * 20, True),
        ("あ" * 20, True),
        ("a" * 21, False),
        ("  a  ", False),
        ("", False),
    ],
)
def test_pen_name_length(name, ok):
    if ok:
        assert clean_pen_name(name) == name.strip()
    else:
        with pytest.raises(ValidationError):
            clean_pen_name(name)


@pytest.mark.parametrize(
    "name",
    [
        "taro@example.jp",
        "連絡はtaro@example.jpへ",
        "taro＠example.jp",
        "ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ",
        "taro (at) example.com",
        "a.b+c@mail.co.jp",
        "taro@gmail",
    ],
)
def test_pen_name_rejects_email_addresses(name):
    assert contains_email(name)
    with pytest.raises(ValidationError) as exc:
        clean_pen_name(name)
    assert exc.value.code in {"email", "length"}


@pytest.mark.parametrize(
    "name",
    [
        "048-524-1111",
        "電話048-524-1111",
        "０４８－５２４－１１１１",
        "090ー1234ー5678",
        "090‐1234‐5678",
        "090−1234−5678",
        "09012345678",
        "０９０１２３４５６７８",
        "(048)524-1111",
        "048 524 1111",
        "+81 48 524 1111",
        "090 - 1234 - 5678",
        "090・1234・5678",
        "048_524_1111",
        "〇九〇一二三四五六七八",
    ],
)
def test_pen_name_rejects_phone_numbers(name):
    assert contains_phone_number(name)
    with pytest.raises(ValidationError) as exc:
        clean_pen_name(name)
    assert exc.value.code == "phone"


@pytest.mark.parametrize(
    "name", ["2024年度の夏", "ラボ123", "1-2-3", "くまがやの風", "@kumagaya", "コーヒー好き", "R6ー2"]
)
def test_pen_name_allows_ordinary_names(name):
    assert clean_pen_name(name) == name


@pytest.mark.parametrize("name", ["ab\u200bcd", "\u202eabcd", "ab\x00cd", "ab\ncd\u2028"])
def test_pen_name_rejects_invisible_characters(name):
    with pytest.raises(ValidationError) as exc:
        clean_pen_name(name)
    assert exc.value.code == "invisible"


@pytest.mark.parametrize("name", ["退会したユーザー", "ＡＤＭＩＮ", "モデレーター", "ペンネーム未設定"])
def test_pen_name_rejects_names_the_portal_uses(name):
    with pytest.raises(ValidationError) as exc:
        clean_pen_name(name)
    assert exc.value.code == "reserved"


def test_expanding_characters_cannot_overflow_the_key():
    with pytest.raises(ValidationError):
        clean_pen_name("ﷺ" * 3)  # NFKC expands each to 18 characters


def test_pen_name_page_shows_errors_on_the_field(client, citizen_without_pen_name):
    client.force_login(citizen_without_pen_name)
    response = client.post(reverse("accounts:pen_name"), {"pen_name": "０４８－５２４－１１１１"})
    assert response.status_code == 200
    html = BeautifulSoup(response.content, "html.parser")
    field = html.find("input", {"name": "pen_name"})
    assert field["aria-invalid"] == "true"
    error = html.find(id="id_pen_name_error")
    assert error is not None and "電話番号は入れられません" in error.get_text()
    assert "id_pen_name_error" in field["aria-describedby"]
    assert html.find(id="form-errors")["role"] == "alert"
    assert html.find("label", {"for": "id_pen_name"}).get_text(strip=True) == "ペンネーム"
    citizen_without_pen_name.refresh_from_db()
    assert citizen_without_pen_name.pen_name == ""


def test_choose_pen_name_and_return_to_next(client, citizen_without_pen_name):
    client.force_login(citizen_without_pen_name)
    response = client.post(reverse("accounts:pen_name"), {"pen_name": "星川の散歩者", "next": "/lab/"})
    assert response.status_code == 302 and response["Location"] == "/lab/"
    citizen_without_pen_name.refresh_from_db()
    assert citizen_without_pen_name.pen_name == "星川の散歩者"


@pytest.mark.parametrize(
    "bad_next", ["https://evil.example/", "//evil.example/", "javascript:alert(1)", "\\\\evil.example"]
)
def test_next_must_stay_on_the_site(client, citizen_without_pen_name, bad_next):
    client.force_login(citizen_without_pen_name)
    response = client.post(reverse("accounts:pen_name"), {"pen_name": "星川の散歩者", "next": bad_next})
    assert response.status_code == 302 and response["Location"] == reverse("accounts:profile")
    page = BeautifulSoup(client.get(reverse("accounts:pen_name"), {"next": bad_next}).content, "html.parser")
    form = page.find("form", {"action": reverse("accounts:pen_name")})
    assert form.find("input", {"name": "next"}) is None


def test_old_pen_name_never_leads_to_the_new_one(client, settings, citizen, channel_a):
    settings.MODERATION_NEW_ACCOUNT_POSTS = 0
    thread = do_create_thread(
        actor=citizen, channel=channel_a, title="星川の木陰", body="ベンチがほしいです。", kind="private-led"
    )
    thread_url = reverse("channels:thread", args=[channel_a.slug, thread.pk])
    assert "くまがやの風" in client.get(thread_url).content.decode()

    client.force_login(citizen)
    response = client.post(reverse("accounts:pen_name"), {"pen_name": "新しい風"})
    assert response.status_code == 302
    client.logout()

    for url in [thread_url, reverse("channels:channel", args=[channel_a.slug]), reverse("channels:lab")]:
        body = client.get(url).content.decode()
        assert "くまがやの風" not in body
    assert "新しい風" in client.get(thread_url).content.decode()
    # Nothing keeps the old name: someone else may choose it, and it then names only their posts.
    other = make_user("other@example.jp")
    do_set_pen_name(actor=other, pen_name="くまがやの風")
    assert "新しい風" in client.get(thread_url).content.decode()


@pytest.mark.parametrize("name", ["熊谷市職員", "市 職員", "熊谷市役所 職員", "モデレーター見習い"])
def test_pen_name_may_not_pose_as_the_city(name):
    with pytest.raises(ValidationError) as exc:
        clean_pen_name(name)
    assert exc.value.code == "reserved"


@pytest.mark.parametrize("name", ["熊谷市が好き", "一二三", "第3地区の住人"])
def test_pen_name_city_words_alone_are_fine(name):
    assert clean_pen_name(name) == name
