"""Attachments: type from the content, size limit, Japanese names, private storage, 404 for outsiders."""

import io
import zipfile
from pathlib import Path
from urllib.parse import quote

import pytest
from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.datastructures import MultiValueDict
from PIL import Image

from channels import services
from channels.attachments import MAX_SIZE, AttachmentFormMixin, clean_filename
from channels.models import Attachment, Visibility
from tests.conftest import make_user


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MODERATION_NEW_ACCOUNT_POSTS = 0
    return settings.PRIVATE_MEDIA_ROOT


class PostForm(AttachmentFormMixin, forms.Form):
    body = forms.CharField()


def image_bytes(fmt: str) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (4, 3), (200, 30, 30)).save(buf, format=fmt)
    return buf.getvalue()


def office_bytes(folder: str, main: str, extra: dict | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        z.writestr("_rels/.rels", "<Relationships/>")
        z.writestr(main, "<doc/>")
        z.writestr(f"{folder}_rels/x.rels", "<Relationships/>")
        for name, data in (extra or {}).items():
            z.writestr(name, data)
    return buf.getvalue()


PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
ALLOWED = [
    ("写真.png", lambda: image_bytes("PNG"), "image/png", "image"),
    ("写真.jpg", lambda: image_bytes("JPEG"), "image/jpeg", "image"),
    ("アニメ.gif", lambda: image_bytes("GIF"), "image/gif", "image"),
    ("画像.webp", lambda: image_bytes("WEBP"), "image/webp", "image"),
    ("議事録.pdf", lambda: PDF, "application/pdf", "pdf"),
    (
        "企画書.docx",
        lambda: office_bytes("word/", "word/document.xml"),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "office",
    ),
    (
        "予算.xlsx",
        lambda: office_bytes("xl/", "xl/workbook.xml"),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "office",
    ),
    (
        "説明資料.pptx",
        lambda: office_bytes("ppt/", "ppt/presentation.xml"),
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "office",
    ),
]


def upload(name, data, content_type="application/octet-stream"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def clean(*files):
    return PostForm(data={"body": "本文"}, files=MultiValueDict({"attachments": list(files)}))


@pytest.mark.parametrize(("name", "make", "mime", "kind"), ALLOWED, ids=[a[0] for a in ALLOWED])
def test_each_allowed_type_is_recognised_from_its_content(db, name, make, mime, kind):
    # The browser's claimed type is ignored: everything arrives as octet-stream.
    form = clean(upload(name, make()))
    assert form.is_valid(), form.errors
    [checked] = form.cleaned_data["attachments"]
    assert (checked.content_type, checked.kind, checked.name) == (mime, kind, name)


def test_content_decides_even_when_the_name_says_otherwise(db):
    form = clean(upload("scan.docx", PDF))
    assert form.is_valid(), form.errors
    [checked] = form.cleaned_data["attachments"]
    assert checked.content_type == "application/pdf"
    assert checked.name == "scan.docx.pdf"  # the download's extension matches what it is


REJECTED = [
    ("renamed exe", "report.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200),
    ("svg", "logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
    ("svg named png", "logo.png", b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
    ("html", "page.html", b"<!doctype html><html><script>alert(1)</script></html>"),
    ("html named pdf", "page.pdf", b"<html><body onload=alert(1)>"),
    ("plain zip", "archive.docx", None),
    ("macro document", "macro.docx", None),
    ("broken png", "broken.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64),
    ("text", "memo.txt", "メモです".encode()),
]


def _rejected_bytes(case, data):
    if case == "plain zip":
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("word/document.xml", "<doc/>")  # no [Content_Types].xml
        return buf.getvalue()
    if case == "macro document":
        return office_bytes("word/", "word/document.xml", {"word/vbaProject.bin": b"\x00macro"})
    return data


@pytest.mark.parametrize(("case", "name", "data"), REJECTED, ids=[r[0] for r in REJECTED])
def test_dangerous_or_unknown_content_is_rejected_with_a_japanese_message(db, case, name, data):
    form = clean(upload(name, _rejected_bytes(case, data), "application/pdf"))
    assert not form.is_valid()
    message = " ".join(form.errors["attachments"])
    assert name in message
    assert "ください" in message  # says what to do


def test_more_than_10_mb_is_rejected_with_a_japanese_message(db):
    form = clean(upload("大きな資料.pdf", PDF + b"0" * (MAX_SIZE + 1 - len(PDF))))
    assert not form.is_valid()
    [message] = form.errors["attachments"]
    assert "上限の10MBを超えています" in message and "10MB以下のファイルを選んでください" in message


def test_exactly_10_mb_is_accepted(db):
    form = clean(upload("ちょうど.pdf", PDF + b"0" * (MAX_SIZE - len(PDF))))
    assert form.is_valid(), form.errors


def test_at_most_five_files(db):
    form = clean(*[upload(f"{i}.pdf", PDF) for i in range(6)])
    assert not form.is_valid()
    assert "5件まで" in form.errors["attachments"][0]


def test_no_files_is_fine(db):
    form = PostForm(data={"body": "本文"})
    assert form.is_valid()
    assert form.cleaned_data["attachments"] == []


def test_file_names_lose_paths_and_invisible_characters():
    assert clean_filename("C:\\Users\\me\\会議資料.pdf") == "会議資料.pdf"
    assert clean_filename("../../etc/passwd") == "passwd"
    assert clean_filename("evil\u202efdp.exe") == "evilfdp.exe"  # no right-to-left override
    assert clean_filename(".htaccess") == "htaccess"
    assert clean_filename("") == "file"
    long = "あ" * 300 + ".pdf"
    assert len(clean_filename(long)) == 200 and clean_filename(long).endswith(".pdf")


# ------------------------------------------------------------------ storage and serving
def _post(author, channel):
    thread = services.do_create_thread(
        actor=author, channel=channel, title="資料の共有", body="資料を添付します。", kind="public-private"
    )
    return thread.posts.get()


def _attach(post, name, data):
    form = clean(upload(name, data))
    assert form.is_valid(), form.errors
    return services.do_attach(actor=post.author, post=post, files=form.cleaned_data["attachments"])[0]


@pytest.fixture
def b_post(stakeholder, channel_b):
    return _post(stakeholder, channel_b)


def test_file_is_stored_privately_under_a_random_name(db, b_post, private_media, settings):
    attachment = _attach(b_post, "まちなか再生計画（案）.pdf", PDF)
    path = Path(attachment.file.path)
    assert path.is_relative_to(Path(settings.PRIVATE_MEDIA_ROOT).resolve())
    assert not path.is_relative_to(Path(settings.MEDIA_ROOT).resolve())
    assert "まちなか" not in path.name and not path.name.endswith(".pdf")
    assert path.read_bytes() == PDF
    assert attachment.original_name == "まちなか再生計画（案）.pdf"
    with pytest.raises(ValueError):
        attachment.file.url  # noqa: B018 - no public URL exists


def test_member_downloads_with_the_japanese_name_in_content_disposition(client, b_post, stakeholder):
    attachment = _attach(b_post, "まちなか再生計画（案）.pdf", PDF)
    client.force_login(stakeholder)
    response = client.get(reverse("channels:attachment", args=[attachment.public_id]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    # RFC 5987/6266: the charset name is case-insensitive; Django writes "utf-8".
    assert disposition.lower().endswith(f"filename*=utf-8''{quote('まちなか再生計画（案）.pdf')}".lower())
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "private" in response["Cache-Control"]


def test_images_show_inline_but_can_be_downloaded(client, b_post, stakeholder):
    attachment = _attach(b_post, "現地の写真.png", image_bytes("PNG"))
    client.force_login(stakeholder)
    url = reverse("channels:attachment", args=[attachment.public_id])
    inline = client.get(url)
    assert inline["Content-Type"] == "image/png"
    assert inline["Content-Disposition"].startswith("inline;")
    assert inline["X-Content-Type-Options"] == "nosniff"
    assert client.get(url + "?download=1")["Content-Disposition"].startswith("attachment;")


@pytest.fixture
def outsiders(city):
    return {
        "anonymous": None,
        "citizen": make_user("outsider.citizen@example.jp", real_name="外部 花子", pen_name="そとの人"),
        "other B member": _member_of("other.b@example.jp", "planning-smart-cool-city"),
        "other workspace member": _member_of("other.c@example.jp", "ws-community-points-council"),
    }


def _member_of(email, slug):
    from channels.models import Channel

    user = make_user(email, real_name="別室 太郎", verified=True)
    services.do_grant_membership(actor=None, channel=Channel.objects.get(slug=slug), user=user)
    return user


@pytest.mark.parametrize("tier", ["B", "C"])
def test_outsiders_get_404_for_b_and_c_files(client, stakeholder, channel_b, workspace_c, outsiders, tier):
    post = _post(stakeholder, channel_b if tier == "B" else workspace_c)
    attachment = _attach(post, "内部資料.pdf", PDF)
    url = reverse("channels:attachment", args=[attachment.public_id])
    for label, user in outsiders.items():
        client.logout()
        if user:
            client.force_login(user)
        assert client.get(url).status_code == 404, label
    client.force_login(stakeholder)
    assert client.get(url).status_code == 200


def test_a_channel_file_is_public_but_not_once_the_post_is_hidden(client, citizen, channel_a, moderator):
    post = _post(citizen, channel_a)
    attachment = _attach(post, "スケッチ.png", image_bytes("PNG"))
    url = reverse("channels:attachment", args=[attachment.public_id])
    assert client.get(url).status_code == 200
    for visibility in (Visibility.HIDDEN, Visibility.REMOVED, Visibility.PENDING):
        type(post).objects.filter(pk=post.pk).update(visibility=visibility)
        client.logout()
        assert client.get(url).status_code == 404, visibility
        client.force_login(moderator)
        assert client.get(url).status_code == 200, visibility


def test_deleted_by_author_hides_the_file(client, citizen, channel_a):
    post = _post(citizen, channel_a)
    attachment = _attach(post, "スケッチ.png", image_bytes("PNG"))
    type(post).objects.filter(pk=post.pk).update(is_deleted_by_author=True)
    assert client.get(reverse("channels:attachment", args=[attachment.public_id])).status_code == 404


def test_unknown_attachment_is_404(client, stakeholder):
    client.force_login(stakeholder)
    assert client.get("/lab/attachments/00000000-0000-0000-0000-000000000000/").status_code == 404


def test_only_the_author_attaches(b_post, staff):
    form = clean(upload("a.pdf", PDF))
    assert form.is_valid()
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.do_attach(actor=staff, post=b_post, files=form.cleaned_data["attachments"])
    assert not Attachment.objects.exists()


def test_attachment_list_include_escapes_hostile_names(b_post):
    from django.template.loader import render_to_string

    _attach(b_post, '"><img src=x onerror=alert(1)>.pdf', PDF)
    html = render_to_string("channels/includes/attachments.html", {"post": b_post})
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
