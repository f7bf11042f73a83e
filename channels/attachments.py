"""Attachments on posts: private storage, content sniffing, the form field.

Wiring (for the post form and the thread page):

    class PostForm(AttachmentFormMixin, forms.Form): ...      # adds the field "attachments"
    form = PostForm(request.POST, request.FILES)               # <form enctype="multipart/form-data">
    with transaction.atomic():
        post = services.do_reply(...)
        services.do_attach(actor=request.user, post=post, files=form.cleaned_data["attachments"])

    {% include "channels/includes/attachments.html" with post=post %}   # lists a post's files

The type is decided from the bytes, never from the name or the browser's
Content-Type: PNG, JPEG, GIF, WebP, PDF and Office Open XML (docx, xlsx, pptx,
checked inside the zip). Everything else (SVG, HTML, executables, macros) is
refused. Files are stored under settings.PRIVATE_MEDIA_ROOT with a random name
and have no URL; channels.attachment_views serves them after a permission check.
"""

import hashlib
import os
import unicodedata
import zipfile
from dataclasses import dataclass

import filetype
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

MAX_SIZE = 10 * 1024 * 1024
MAX_FILES = 5
MAX_NAME_LENGTH = 200
SNIFF_BYTES = 8192

IMAGE_TYPES = {"image/png": "png", "image/apng": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp"}
OFFICE_TYPES = {
    # zip folder → (main part, MIME, extension)
    "word/": ("word/document.xml", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
    "xl/": ("xl/workbook.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "ppt/": (
        "ppt/presentation.xml",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "pptx",
    ),
}
EXTENSIONS = {
    "png": {"png"},
    "jpg": {"jpg", "jpeg", "jpe"},
    "gif": {"gif"},
    "webp": {"webp"},
    "pdf": {"pdf"},
    "docx": {"docx"},
    "xlsx": {"xlsx"},
    "pptx": {"pptx"},
}
ACCEPT = ".png,.jpg,.jpeg,.gif,.webp,.pdf,.docx,.xlsx,.pptx"


class PrivateStorage(FileSystemStorage):
    """FileSystemStorage under PRIVATE_MEDIA_ROOT (read at use, so tests can move it) without URLs."""

    @property
    def base_location(self):
        return str(settings.PRIVATE_MEDIA_ROOT)

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    def url(self, name):
        raise ValueError("Private attachments have no URL; link to channels:attachment instead.")


@dataclass(frozen=True)
class CheckedFile:
    """An uploaded file that passed every check, with what the content says it is."""

    upload: object  # django UploadedFile
    name: str  # cleaned original name, extension matching the content
    content_type: str
    kind: str  # Attachment.Kind value
    size: int
    sha256: str


def _type_error(name: str) -> ValidationError:
    return ValidationError(
        _(
            "「%(name)s」は添付できない種類のファイルです。画像（PNG・JPEG・GIF・WebP）、PDF、"
            "Word・Excel・PowerPoint（docx・xlsx・pptx）のファイルを選んでください。"
        ),
        code="file_type",
        params={"name": name},
    )


def clean_filename(raw: str) -> str:
    """The name as the user gave it (Japanese kept), without paths or invisible control characters."""
    name = unicodedata.normalize("NFC", raw or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    # Drop control and format characters (e.g. U+202E, which makes "fdp.exe" look like "exe.pdf").
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = name.strip().lstrip(".").strip()
    if not name:
        name = "file"
    if len(name) > MAX_NAME_LENGTH:
        stem, dot, ext = name.rpartition(".")
        if dot and len(ext) <= 10:
            name = stem[: MAX_NAME_LENGTH - len(ext) - 1] + "." + ext
        else:
            name = name[:MAX_NAME_LENGTH]
    return name


def _with_extension(name: str, ext: str) -> str:
    current = name.rpartition(".")[2].lower() if "." in name else ""
    if current in EXTENSIONS[ext]:
        return name
    return f"{name[: MAX_NAME_LENGTH - len(ext) - 1]}.{ext}"


def _sniff_office(upload, name: str) -> tuple[str, str]:
    try:
        upload.seek(0)
        with zipfile.ZipFile(upload) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise _type_error(name) from exc
    finally:
        upload.seek(0)
    if "[Content_Types].xml" not in names:
        raise _type_error(name)
    if any(n.lower().endswith("vbaproject.bin") for n in names):
        raise ValidationError(
            _(
                "「%(name)s」はマクロを含むため添付できません。マクロのない形式（docx・xlsx・pptx）で保存し直してください。"
            ),
            code="file_macro",
            params={"name": name},
        )
    found = [(folder, spec) for folder, spec in OFFICE_TYPES.items() if any(n.startswith(folder) for n in names)]
    if len(found) != 1 or found[0][1][0] not in names:
        raise _type_error(name)
    _part, mime, ext = found[0][1]
    return mime, ext


def _check_image(upload, name: str) -> None:
    from PIL import Image, UnidentifiedImageError

    try:
        upload.seek(0)
        with Image.open(upload) as image:
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ValidationError(
            _("「%(name)s」は画像として読み込めませんでした。ファイルが壊れていないか確かめてください。"),
            code="file_broken",
            params={"name": name},
        ) from exc
    finally:
        upload.seek(0)


def inspect_upload(upload) -> CheckedFile:
    """Check one uploaded file; raise ValidationError with a Japanese message saying what to do."""
    name = clean_filename(getattr(upload, "name", ""))
    size = upload.size or 0
    if size == 0:
        raise ValidationError(
            _("「%(name)s」は空のファイルです。中身のあるファイルを選んでください。"),
            code="file_empty",
            params={"name": name},
        )
    if size > MAX_SIZE:
        raise ValidationError(
            _("「%(name)s」は%(size)sあり、上限の10MBを超えています。10MB以下のファイルを選んでください。"),
            code="file_too_big",
            params={"name": name, "size": filesizeformat(size)},
        )
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    if head.startswith(b"PK\x03\x04"):
        mime, ext = _sniff_office(upload, name)
        kind = "office"
    elif head.startswith(b"%PDF-"):
        mime, ext, kind = "application/pdf", "pdf", "pdf"
    else:
        guess = filetype.guess(head)
        if guess is None or guess.mime not in IMAGE_TYPES:
            raise _type_error(name)
        ext = IMAGE_TYPES[guess.mime]
        mime = "image/png" if ext == "png" else guess.mime
        kind = "image"
        _check_image(upload, name)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return CheckedFile(
        upload=upload,
        name=_with_extension(name, ext),
        content_type=mime,
        kind=kind,
        size=size,
        sha256=digest.hexdigest(),
    )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Up to MAX_FILES files; cleans to a list of CheckedFile."""

    widget = MultipleFileInput

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", gettext_lazy("添付ファイル"))
        kwargs.setdefault(
            "help_text",
            gettext_lazy(
                "画像（PNG・JPEG・GIF・WebP）、PDF、Word・Excel・PowerPoint（docx・xlsx・pptx）を"
                "5件まで、1件10MBまで添付できます。"
            ),
        )
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("accept", ACCEPT)

    def clean(self, data, initial=None):
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if not files:
            if self.required:
                raise ValidationError(self.error_messages["required"], code="required")
            return []
        if len(files) > MAX_FILES:
            raise ValidationError(
                _("一度に添付できるファイルは%(max)d件までです。ファイルを減らしてください。"),
                code="too_many_files",
                params={"max": MAX_FILES},
            )
        checked, errors = [], []
        for upload in files:
            try:
                checked.append(inspect_upload(upload))
            except ValidationError as exc:
                errors.extend(exc.error_list)
        if errors:
            raise ValidationError(errors)
        return checked


class AttachmentFormMixin:
    """Adds the field "attachments" (cleaned: list of CheckedFile) to any Form or ModelForm.

    Browsers cannot keep chosen files when a form is shown again with errors, so the
    help text of a bound form with errors asks for the files once more.
    """

    attachments_field_name = "attachments"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[self.attachments_field_name] = AttachmentsField()

    def full_clean(self):
        super().full_clean()
        if self.is_bound and self._errors and self.files:
            field = self.fields[self.attachments_field_name]
            field.help_text = _("ファイルはもう一度選び直してください。") + " " + str(field.help_text)
