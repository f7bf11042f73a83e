"""Creates the official page tree, the review workflow and the staff groups; never rewrites edited pages.

Idempotent: `load_kumagaya` calls `ensure_site` on every run. Pages are only
created where missing; fields are only filled where empty.
"""

from django.contrib.auth.models import Group, Permission
from wagtail.models import (
    Collection,
    GroupApprovalTask,
    GroupCollectionPermission,
    GroupPagePermission,
    Page,
    Site,
    Workflow,
    WorkflowPage,
    WorkflowTask,
)

from kumagaya_portal.accounts.models import Department

from .models import HomePage, NewsPage, SectionPage, SystemsGuidePage

EDITORS_GROUP = "市職員（公式情報の編集）"
REVIEWERS_GROUP = "市職員（公式情報の確認・公開）"
WORKFLOW_NAME = "市の確認（city review）"
TASK_NAME = "確認担当による確認"
DEFAULT_DEPARTMENT = "policy-research"

# Japanese descriptions of the city's other tools (the data file has English purposes only).
TOOL_TEXT_JA = {
    "ツノルバ（Decidim）": (
        "星川エリアなどの合意形成に使うシステム（Decidim）です。提案への賛同や投票を行います。",
        "合意形成の手続きはツノルバで行います。Webコモンスペースでは、その前後の意見交換や振り返りを行い、トピックからツノルバのページを参照できます。",
    ),
    "WebGISPF（Re:Earth）": (
        "地図の上で地域の課題や情報を共有するWeb GISの基盤です。",
        "場所に関わる話題は地図に登録し、その地図のURLをWebコモンスペースのトピックに貼って議論を続けます。",
    ),
    "クラウドラボ（Slack）": (
        "これまでコミュニティラボ（A・B・Cの3つの階層）で使ってきたチャットのワークスペースです。",
        "Webコモンスペースは、クラウドラボの3つの階層（熊谷コミュニティラボ・コミュニティラボ企画・個別ワークスペース）を、ブラウザだけで参加できる形で引き継ぎます。",
    ),
    "（仮）まちLINE（LINEグループ）": (
        "市民どうしのチャットグループです。民間の団体が運営することも考えられます。",
        "気軽な連絡はLINEで、記録に残したい意見や提案はWebコモンスペースで、という使い分けを想定しています。",
    ),
    "クマポプレイス（Lincrew）": (
        "コミュニティポイント（クマポ）を使って地域の活動に参加する場です。",
        "クマポについての話し合いは、Webコモンスペースの「⑥ クマポの玉手箱」チャンネルで行います。",
    ),
    "クマぶら（FORESTIS）": (
        "市のサービスをまとめたアプリです。ここでの登録が、ペンネームで参加するときの前提になります。",
        "Webコモンスペースの熊谷コミュニティラボでは、ペンネームで発言できます。",
    ),
}

SPACE_TOOL = (
    "Webコモンスペース（このサイト）",
    "市民・事業者・市職員が、まちの取組みについて意見を交わす場です。市の公式情報とは区別して表示します。",
    "公式情報（このサイトの「熊谷市の公式情報」）を出発点に議論し、会議の記録やまとめを公式情報から参照できます。",
)

GUIDE_INTRO = (
    "熊谷スマートシティでは、目的に応じていくつかのシステムを使い分けています。"
    "このページでは、それぞれのシステムとWebコモンスペースの関係を説明します。"
)

OPENING_NEWS_BODY = (
    "<p>市民・事業者・市職員がまちの取組みについて意見を交わす「Webコモンスペース」を開設しました。</p>"
    "<p>「熊谷市の公式情報」は市が責任を持って発信する情報です。"
    "「Webコモンスペース」での発言は参加者個人のものです。どちらの情報かは、各ページの上部に表示しています。</p>"
)


def ensure_site(city: dict, sections: list[dict], external_tools: list[dict] | None = None) -> HomePage:
    department = Department.objects.filter(slug=DEFAULT_DEPARTMENT).first()
    home = HomePage.objects.first()
    if home is None:
        root = Page.get_first_root_node()
        # Wagtail's migration leaves a placeholder "Welcome" page: replace it.
        for placeholder in root.get_children().exclude(content_type__model="homepage"):
            Site.objects.filter(root_page=placeholder).delete()
            placeholder.delete()
        home = root.add_child(
            instance=HomePage(
                title=f"{city['name_ja']} {city['space_ja']}", slug="home", seo_title="", department=department
            )
        )
    elif home.department_id is None and department is not None:
        HomePage.objects.filter(pk=home.pk, department__isnull=True).update(department=department)
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        Site.objects.create(
            hostname="localhost", port=80, root_page=home, is_default_site=True, site_name=city["space_ja"]
        )
    elif site.root_page_id != home.pk:
        site.root_page = home
        site.save()

    existing = {p.section_key: p for p in SectionPage.objects.child_of(home)}
    for s in sections:
        if s["slug"] in existing:
            continue
        existing[s["slug"]] = home.add_child(
            instance=SectionPage(
                title=s["name_ja"],
                slug=s["slug"],
                section_key=s["slug"],
                name_en=s["name_en"],
                department=department,
            )
        )

    # Pages made by add_child have no revision: publish one so they show 最終更新 and are editable as usual.
    for page in [home, *existing.values()]:
        if page.latest_revision_id is None:
            page.save_revision().publish()
    if "systems" in existing and external_tools is not None:
        _ensure_systems_guide(existing["systems"], external_tools, department)
    if "news" in existing:
        _ensure_opening_news(existing["news"], city, department)
    _ensure_review_workflow(home)
    return home


def _publish_new_child(parent: Page, page: Page) -> Page:
    parent.add_child(instance=page)
    page.save_revision().publish()
    return page


def _deleted_by_staff(model) -> bool:
    """Wagtail logs every deletion made in the admin: a page staff removed is never brought back."""
    from django.contrib.contenttypes.models import ContentType
    from wagtail.models import PageLogEntry

    ct = ContentType.objects.get_for_model(model)
    return PageLogEntry.objects.filter(content_type=ct, action="wagtail.delete").exists()


def _ensure_systems_guide(section: SectionPage, tools: list[dict], department) -> None:
    if SystemsGuidePage.objects.exists() or _deleted_by_staff(SystemsGuidePage):
        return
    blocks = [{"type": "tool", "value": {"name": SPACE_TOOL[0], "purpose": SPACE_TOOL[1], "relation": SPACE_TOOL[2]}}]
    for tool in tools:
        purpose, relation = TOOL_TEXT_JA.get(tool["name_ja"], (tool.get("purpose_en", ""), ""))
        blocks.append({"type": "tool", "value": {"name": tool["name_ja"], "purpose": purpose, "relation": relation}})
    _publish_new_child(
        section,
        SystemsGuidePage(
            title="Webコモンスペースと関連するシステムの関係",
            slug="systems-guide",
            department=department,
            summary=GUIDE_INTRO,
            body=[{"type": "paragraph", "value": f"<p>{GUIDE_INTRO}</p>"}],
            tools=blocks,
        ),
    )


def _ensure_opening_news(section: SectionPage, city: dict, department) -> None:
    # Only into an empty news section, and never again once staff deleted news.
    if section.get_children().exists() or _deleted_by_staff(NewsPage):
        return
    _publish_new_child(
        section,
        NewsPage(
            title=f"{city['space_ja']}を開設しました",
            department=department,
            summary="市民・事業者・市職員が意見を交わす場を開設しました。",
            body=[{"type": "paragraph", "value": OPENING_NEWS_BODY}],
        ),
    )


def _perm(app_label: str, codename: str) -> Permission | None:
    return Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()


def _ensure_review_workflow(home: HomePage) -> None:
    """draft → review by the reviewers group → published; editors can submit but not publish."""
    editors, _created = Group.objects.get_or_create(name=EDITORS_GROUP)
    reviewers, _created = Group.objects.get_or_create(name=REVIEWERS_GROUP)

    admin_access = _perm("wagtailadmin", "access_admin")
    archive_perms = [
        _perm("archive", f"{action}_{model}")
        for model in ("meeting", "workshop", "report")
        for action in ("add", "change")
    ]
    publish_archive = [_perm("archive", f"publish_{model}") for model in ("meeting", "workshop", "report")]
    thread_summary = _perm("channels", "change_thread")
    for group, extra in ((editors, []), (reviewers, publish_archive)):
        group.permissions.add(*[p for p in [admin_access, thread_summary, *archive_perms, *extra] if p])

    page_perms = {editors: ["add_page", "change_page"], reviewers: ["add_page", "change_page", "publish_page"]}
    for group, codenames in page_perms.items():
        for codename in codenames:
            perm = _perm("wagtailcore", codename)
            if perm:
                GroupPagePermission.objects.get_or_create(group=group, page=home, permission=perm)

    collection = Collection.get_first_root_node()
    if collection is not None:
        for group in (editors, reviewers):
            for app, codenames in (
                ("wagtaildocs", ["add_document", "change_document", "choose_document"]),
                ("wagtailimages", ["add_image", "change_image", "choose_image"]),
            ):
                for codename in codenames:
                    perm = _perm(app, codename)
                    if perm:
                        GroupCollectionPermission.objects.get_or_create(
                            group=group, collection=collection, permission=perm
                        )

    task = GroupApprovalTask.objects.filter(name=TASK_NAME).first()
    if task is None:
        task = GroupApprovalTask.objects.create(name=TASK_NAME)
        task.groups.set([reviewers])
    workflow, created = Workflow.objects.get_or_create(name=WORKFLOW_NAME)
    if created:
        WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=0)
    if not WorkflowPage.objects.filter(page=home).exists():
        WorkflowPage.objects.create(page=home, workflow=workflow)
