"""Actions that change the official range's links into the discussion range."""

from django.db import transaction

from channels.models import Thread


@transaction.atomic
def do_set_thread_summary(*, actor, thread: Thread, summary: str, published: bool) -> Thread:
    """Staff write a thread's summary and decide whether it is published (reports may then link it)."""
    thread = Thread.objects.select_for_update().get(pk=thread.pk)
    summary = summary.strip()
    thread.summary = summary
    thread.summary_published = bool(published and summary)
    thread.save(update_fields=["summary", "summary_published"])
    return thread
