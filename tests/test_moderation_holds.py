"""Automatic holds: personal data, NG words, new accounts; the author is told why and can edit."""

import pytest
from django.core import mail
from django.urls import reverse

from channels import services as channel_services
from channels.models import Visibility
from moderation import services
from moderation.detectors import find_personal_data
from moderation.models import AuditEntry, NGWord, QueueItem
from tests.conftest import make_user
from tests.test_moderation_support import *  # noqa: F403
from tests.test_moderation_support import html, mails_to, thread_url

PHONE_POSITIVES = [
    "090-1234-5678",
    "09012345678",
    "０９０−１２３４−５６７８",
    "048-524-1111",
    "+81 90 1234 5678",
    "+81-48-524-1111",
    "(048)524-1111",
    "０４８（５２４）１１１１",
    "0120-123-456",
    "電話090-1234-5678です",
]
# Every hyphen a Japanese writer may type between the digits.
HYPHENS = ["‐", "-", "–", "—", "―", "−", "ー", "ｰ", "－", "‑"]
NEGATIVES = [
    "2025-02-17",
    "1,200円",
    "15:30",
    "2024年10月1日",
    "2024年10月1日（火）15:30",
    "2024-10-01 10:00〜17:00",
    "価格は12,000円です",
    "人口194,415人",
    "12月3日 9:30-11:00",
    "第3回は2025/02/17 15:30から",
    "30-40代",
    "2025-2026年度",
    "1234567",
    "ver 1.2.3",
    "令和6年度の予算は1,234,567,890円",
    "https://www.city.kumagaya.lg.jp/about/soshiki/index.html",
]


@pytest.mark.parametrize("text", PHONE_POSITIVES)
def test_phone_numbers_are_found(text):
    assert [f.kind for f in find_personal_data(f"連絡先：{text}")] == ["phone"]


@pytest.mark.parametrize("hyphen", HYPHENS)
def test_every_hyphen_variant(hyphen):
    assert find_personal_data(f"090{hyphen}1234{hyphen}5678"), hyphen
    assert find_personal_data(f"０９０{hyphen}１２３４{hyphen}５６７８"), hyphen


@pytest.mark.parametrize(
    "text,kind",
    [
        ("連絡は taro.yamada@example.com まで", "email"),
        ("ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ", "email"),
        ("番号は123456789012です", "my_number"),
        ("1234 5678 9012", "my_number"),
        ("１２３４－５６７８－９０１２", "my_number"),
        ("〒360-8601", "postal_address"),
        ("360-8601 埼玉県熊谷市宮町2-47-1", "postal_address"),
        ("360-0041熊谷市宮町", "postal_address"),
    ],
)
def test_other_personal_data(text, kind):
    assert kind in [f.kind for f in find_personal_data(text)]


@pytest.mark.parametrize("text", NEGATIVES)
def test_negatives(text):
    assert find_personal_data(text) == []


# ------------------------------------------------------------- on the site
pytestmark_db = pytest.mark.django_db


@pytest.mark.django_db
def test_personal_data_hold_tells_the_author_and_alerts_moderators_at_once(
    client, citizen, thread_a, mod, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    client.force_login(citizen)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("channels:reply", args=[thread_a.channel.slug, thread_a.pk]),
            {"body": "詳しくは ０９０−１２３４−５６７８ までお電話ください。"},
            follow=True,
        )
    post = thread_a.posts.order_by("-created_at", "-id").first()
    assert post.visibility == Visibility.PENDING
    page = html(response)
    assert "個人情報（電話番号）" in page  # the author is told why (flash message and the post's notice)
    entry = AuditEntry.objects.get(action="auto_hold", post=post)
    assert entry.category == "personal_data" and entry.actor is None
    item = QueueItem.objects.get(post=post)
    assert item.hold_code == "personal_data" and item.notified_at is not None
    (alert,) = mails_to(mod)
    assert "個人情報" in alert.subject
    assert "090" not in alert.body and "０９０" not in alert.body  # the e-mail never carries the data
    client.logout()
    assert "お電話ください" not in html(client.get(thread_url(thread_a)))


@pytest.mark.django_db
def test_author_edit_reruns_checks_and_publishes(client, citizen, thread_a):
    post = channel_services.do_reply(actor=citizen, thread=thread_a, body="メールは sumire@example.com です")
    assert post.visibility == Visibility.PENDING
    # Still personal data: stays pending.
    channel_services.do_edit_post(actor=citizen, post=post, body="メールは sumire＠example.jp です")
    post.refresh_from_db()
    assert post.visibility == Visibility.PENDING
    channel_services.do_edit_post(actor=citizen, post=post, body="連絡はサイトのメッセージでお願いします")
    post.refresh_from_db()
    assert post.visibility == Visibility.PUBLISHED and post.moderation_reason == ""
    assert AuditEntry.objects.filter(action="auto_release", post=post, actor=None).count() == 1
    assert QueueItem.objects.get(post=post).state == QueueItem.State.DECIDED
    client.logout()
    assert "連絡はサイトのメッセージでお願いします" in html(client.get(thread_url(thread_a)))


@pytest.mark.django_db
def test_edit_that_adds_personal_data_holds_a_published_post(citizen, thread_a):
    post = channel_services.do_reply(actor=citizen, thread=thread_a, body="よろしくお願いします")
    channel_services.do_edit_post(actor=citizen, post=post, body="電話は048-524-1111です")
    post.refresh_from_db()
    assert post.visibility == Visibility.PENDING
    assert AuditEntry.objects.filter(action="auto_hold", post=post, category="personal_data").exists()


@pytest.mark.django_db
def test_new_account_first_posts_wait(client, settings, channel_a, staff, stakeholder, thread_a):
    settings.MODERATION_NEW_ACCOUNT_POSTS = 2
    newcomer = make_user("fresh@example.jp", pen_name="新人さん")
    first = channel_services.do_reply(actor=newcomer, thread=thread_a, body="一つ目の投稿")
    assert first.visibility == Visibility.PENDING
    assert "最初の2件の投稿は、モデレーターが確認してから公開します" in first.moderation_reason
    client.force_login(newcomer)
    page = html(client.get(thread_url(thread_a)))
    assert "一つ目の投稿" in page and "最初の2件の投稿" in page
    # Approved posts count; once two are approved the account posts freely.
    mod = make_user("approver@example.jp", pen_name="承認係", is_superuser=True)
    for body in ("二つ目の投稿",):
        second = channel_services.do_reply(actor=newcomer, thread=thread_a, body=body)
        assert second.visibility == Visibility.PENDING
    for p in (first, second):
        services.do_decide(
            actor=mod, post=p, action="restore", reason="問題ありません", expected_version=p.queue_item.version
        )
    third = channel_services.do_reply(actor=newcomer, thread=thread_a, body="三つ目の投稿")
    assert third.visibility == Visibility.PUBLISHED
    # Exempt: city staff and stakeholders whose real name staff verified.
    assert channel_services.do_reply(actor=staff, thread=thread_a, body="職員です").visibility == "published"
    assert channel_services.do_reply(actor=stakeholder, thread=thread_a, body="関係者です").visibility == "published"


@pytest.mark.django_db
def test_ng_words_managed_by_moderators(client, mod, citizen, thread_a):
    client.force_login(mod)
    url = reverse("moderation:ng_words")
    assert client.post(url, {"word": ""}).status_code == 200
    client.post(url, {"word": "バカ"})
    assert NGWord.objects.filter(word="バカ").exists()
    assert AuditEntry.objects.filter(action="ng_word_add").count() == 1
    assert client.post(url, {"word": "ﾊﾞｶ"}).status_code == 200  # same word, half-width: refused
    assert NGWord.objects.count() == 1
    post = channel_services.do_reply(actor=citizen, thread=thread_a, body="そんなのﾊﾞｶげています")
    assert post.visibility == Visibility.PENDING and QueueItem.objects.get(post=post).hold_code == "ng_word"
    assert "バカ" not in post.moderation_reason  # the author is not told the word itself
    word = NGWord.objects.get()
    client.post(reverse("moderation:ng_word_delete", args=[word.pk]))
    assert not NGWord.objects.exists()
    assert AuditEntry.objects.filter(action="ng_word_remove").count() == 1
    post = channel_services.do_reply(actor=citizen, thread=thread_a, body="そんなのバカげています")
    assert post.visibility == Visibility.PUBLISHED


@pytest.mark.django_db
def test_channel_moderators_cannot_manage_ng_words(client, channel_moderator):
    client.force_login(channel_moderator)
    assert client.get(reverse("moderation:ng_words")).status_code == 404
    with pytest.raises(services.NotAllowed):
        services.do_add_ng_word(actor=channel_moderator, word="テスト")
