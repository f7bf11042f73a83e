from django.shortcuts import render

from .models import FloorPost


def floor(request):
    """50 posts of one thread with their authors: one query, one template."""
    thread_id = int(request.GET.get("thread", 0))
    posts = FloorPost.objects.filter(thread_id=thread_id).select_related("author").order_by("created_at", "id")[:50]
    return render(request, "bench/floor.html", {"posts": posts})
