"""Attachments are served here only, after the same check as reading the post (404 otherwise)."""

import logging

from django.http import FileResponse, Http404
from django.views.decorators.http import require_safe

from . import permissions
from .models import Attachment

log = logging.getLogger(__name__)


@require_safe
def download(request, public_id):
    attachment = (
        Attachment.objects.select_related("post__thread__channel__workspace", "post__author")
        .filter(public_id=public_id)
        .first()
    )
    if attachment is None or not permissions.can_download_attachment(request.user, attachment):
        raise Http404
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as exc:
        log.error("attachment %s: file missing in private storage", attachment.pk)
        raise Http404 from exc
    # Images may show inline (their type is from the content); everything else is a download.
    inline = attachment.is_image and "download" not in request.GET
    response = FileResponse(
        handle, as_attachment=not inline, filename=attachment.original_name, content_type=attachment.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    # Removal must take effect at once: no shared or long-lived caches.
    response["Cache-Control"] = "private, no-store"
    return response
