"""Read-only views of the portal's tables for the floor app (bench.floor_settings only)."""

from django.db import models


class FloorUser(models.Model):
    pen_name = models.CharField(max_length=20)

    class Meta:
        managed = False
        db_table = "accounts_user"


class FloorPost(models.Model):
    thread_id = models.BigIntegerField()
    author = models.ForeignKey(FloorUser, on_delete=models.DO_NOTHING, related_name="+")
    body_html = models.TextField()
    created_at = models.DateTimeField()

    class Meta:
        managed = False
        db_table = "channels_post"
