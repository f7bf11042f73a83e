from django.db import models


class OutboxMessage(models.Model):
    """A Celery task waiting to be handed to the broker (see kumagaya_portal.outbox).

    A sender first claims a row (sets `claimed_until`, a lease) in one atomic UPDATE,
    then hands it over and sets `sent_at`. A crashed sender's lease expires and the
    row is sent again (at least once: tasks are idempotent); two live senders never
    hand over the same row."""

    task_name = models.CharField(max_length=200)
    kwargs = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["sent_at", "id"])]

    def __str__(self) -> str:
        return f"{self.task_name}#{self.pk}"
