"""Keeps the search index current: save, publish, unpublish and delete.

Hiding, restoring and removing posts need no index change (search checks
visibility live), but a changed text does: Post and Thread saves reindex.
Deletes cascade through the foreign keys.
"""

from django.db.models.signals import post_save


def _post_saved(sender, instance, raw=False, created=False, update_fields=None, **kwargs):
    # A visibility-only save (hide, restore) changes nothing in the index: search checks it live.
    if raw or (update_fields is not None and "body" not in update_fields):
        return
    from .indexing import index_post

    index_post(instance, created=created)  # a new post costs one INSERT


def _thread_saved(sender, instance, raw=False, created=False, update_fields=None, **kwargs):
    if raw or (update_fields is not None and "title" not in update_fields):
        return
    from .indexing import index_thread

    index_thread(instance, created=created)


def _record_saved(sender, instance, raw=False, **kwargs):
    if raw:
        return
    from .indexing import index_record

    # Reload: an admin draft save carries unpublished values on the in-memory instance.
    related = ["department"] + (["meeting_type"] if instance.kind == "meeting" else [])
    record = sender.objects.select_related(*related).filter(pk=instance.pk).first()
    if record is not None:
        index_record(record)


def _page_published(sender, instance, **kwargs):
    from .indexing import index_page

    index_page(instance)


def _page_unpublished(sender, instance, **kwargs):
    from .indexing import remove_page

    remove_page(instance.pk)


def index_if_empty(sender, using="default", **kwargs):
    """After `migrate`: a database that has content but no index yet (the search app was just
    installed) gets one. Large sites run `manage.py rebuild_search_index` instead."""
    import logging

    from .models import SearchDocument

    if SearchDocument.objects.using(using).exists():
        return
    from wagtail.models import Page

    from channels.models import Post

    if not (Post.objects.using(using).exists() or Page.objects.using(using).filter(depth__gt=2).exists()):
        return
    from .indexing import rebuild

    counts = rebuild()
    logging.getLogger(__name__).info("search index built: %s", counts)


def connect():
    from wagtail.signals import page_published, page_unpublished

    from archive.models import Meeting, Report, Workshop
    from channels.models import Post, Thread

    post_save.connect(_post_saved, sender=Post, dispatch_uid="search_post_saved")
    post_save.connect(_thread_saved, sender=Thread, dispatch_uid="search_thread_saved")
    for model in (Meeting, Workshop, Report):
        post_save.connect(_record_saved, sender=model, dispatch_uid=f"search_{model.__name__}_saved")
    page_published.connect(_page_published, dispatch_uid="search_page_published")
    page_unpublished.connect(_page_unpublished, dispatch_uid="search_page_unpublished")
