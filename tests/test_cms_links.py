"""Two-way links: official pages list the threads that cite them (only those the viewer may see),
staff publish a thread's summary and a report links it."""

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text, streamfield

from channels.models import Thread
from channels.services import do_create_thread
from cms.models import PolicyPage, ReportPage, ReportPageThread, SectionPage
from cms.services import do_set_thread_summary
from cms.setup import EDITORS_GROUP
from kumagaya_portal.accounts.models import Department

from .conftest import make_user


@pytest.fixture
def policy(city):
    vision = SectionPage.objects.get(section_key="vision")
    page = PolicyPage(title="まちなかビジョン", department=Department.objects.get(slug="commerce-tourism"))
    vision.add_child(instance=page)
    page.save_revision().publish()
    return page


@pytest.fixture
def citing(policy, settings, citizen, stakeholder, channel_a, channel_b, workspace_c):
    settings.MODERATION_NEW_ACCOUNT_POSTS = 0

    def thread(actor, channel, title):
        return do_create_thread(
            actor=actor,
            channel=channel,
            title=title,
            body="ビジョンを読みました。",
            kind="public-private",
            citation=policy,
        )

    return {
        "a": thread(citizen, channel_a, "ビジョンについて話しましょう"),
        "b": thread(stakeholder, channel_b, "ビジョンの運営相談"),
        "c": thread(stakeholder, workspace_c, "ワークスペースでの検討"),
        "hidden": thread(citizen, channel_a, "非表示になったトピック"),
    }


def test_official_page_lists_citing_threads_the_viewer_may_see(citing, policy, client, stakeholder, staff):
    Thread.objects.filter(pk=citing["hidden"].pk).update(visibility="hidden")
    html = client.get(policy.url).content.decode()
    assert "このページを出発点にした議論" in html and "Webコモンスペース（参加者の発言です）" in html
    assert "ビジョンについて話しましょう" in html
    assert reverse("channels:thread", args=[citing["a"].channel.slug, citing["a"].pk]) in html
    for title in ("ビジョンの運営相談", "ワークスペースでの検討", "非表示になったトピック"):
        assert title not in html
    client.force_login(stakeholder)
    html = client.get(policy.url).content.decode()
    assert "ビジョンの運営相談" in html and "ワークスペースでの検討" in html and "非表示になったトピック" not in html
    client.force_login(staff)
    html = client.get(policy.url).content.decode()
    assert "ビジョンの運営相談" in html and "ワークスペースでの検討" not in html


def test_citing_threads_cost_a_fixed_number_of_queries(citing, policy, citizen, channel_a, stakeholder):
    def count(user=None):
        c = Client()
        if user:
            c.force_login(user)
        with CaptureQueriesContext(connection) as ctx:
            assert c.get(policy.url).status_code == 200
        return len(ctx.captured_queries)

    before, before_member = count(), count(stakeholder)
    for i in range(10):
        do_create_thread(
            actor=citizen,
            channel=channel_a,
            title=f"追加の議論{i}",
            body="本文",
            kind="public-private",
            citation=policy,
        )
    assert count() == before
    assert count(stakeholder) == before_member


@pytest.fixture
def editor(city):
    user = make_user("summary.editor@example.jp", real_name="要約 担当", staff=True, is_staff=True)
    user.groups.add(Group.objects.get(name=EDITORS_GROUP))
    return user


def test_staff_publish_a_summary_and_a_report_shows_it(citing, client, editor, stakeholder):
    thread = citing["a"]
    client.force_login(editor)
    edit = reverse("thread_summaries:edit", args=[thread.pk])
    assert client.get(reverse("thread_summaries:index")).status_code == 200
    response = client.post(edit, {"summary": "", "summary_published": "on"})
    assert response.status_code == 200 and "まとめの本文を入力してください" in response.content.decode()
    response = client.post(
        edit, {"summary": "駅前広場の使い方について、3つの案が出ました。", "summary_published": "on"}
    )
    assert response.status_code == 302
    thread.refresh_from_db()
    assert thread.summary_published and thread.summary.startswith("駅前広場")

    # The report's chooser offers only threads whose summary is published.
    chooser = client.get(reverse("summary_thread_chooser:choose")).json()["html"]
    assert "ビジョンについて話しましょう" in chooser and "ビジョンの運営相談" not in chooser

    events = SectionPage.objects.get(section_key="events")
    add = reverse("wagtailadmin_pages:add", args=["cms", "reportpage", events.pk])
    data = nested_form_data(
        {
            "title": "まちなかビジョン意見交換の報告",
            "department": Department.objects.get(slug="commerce-tourism").pk,
            "summary": "",
            "body": streamfield([("paragraph", rich_text("<p>報告です。</p>"))]),
            "documents": inline_formset([]),
            "summary_threads": inline_formset([{"thread": thread.pk}]),
            "comments": inline_formset([]),
            "action-submit": "action-submit",
        }
    )
    assert client.post(add, data).status_code == 302
    report = ReportPage.objects.get(title="まちなかビジョン意見交換の報告")
    report.save_revision().publish()  # the reviewer's step is tested in test_cms
    html = Client().get(report.url).content.decode()
    assert "議論のまとめ" in html and "駅前広場の使い方について、3つの案が出ました。" in html
    assert reverse("channels:thread", args=[thread.channel.slug, thread.pk]) in html

    # Withdrawing the summary removes it from the report.
    do_set_thread_summary(actor=editor, thread=thread, summary=thread.summary, published=False)
    assert "3つの案" not in Client().get(report.url).content.decode()


def test_a_report_cannot_link_an_unpublished_summary(citing):
    from django.core.exceptions import ValidationError

    link = ReportPageThread(thread=citing["b"])
    with pytest.raises(ValidationError):
        link.clean()
