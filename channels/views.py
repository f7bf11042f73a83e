from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render

from . import permissions, selectors
from .models import Thread


def lab_index(request):
    return render(request, "channels/lab_index.html", {"tiers": selectors.lab_channels(request.user)})


def channel_detail(request, slug):
    channel = permissions.channel_or_none(request.user, slug)
    if channel is None:
        raise Http404
    page = Paginator(selectors.channel_threads(channel), settings.THREADS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "channels/channel_detail.html",
        {"channel": channel, "page_obj": page, "can_post": permissions.can_post_in_channel(request.user, channel)},
    )


def thread_detail(request, slug, thread_id):
    channel = permissions.channel_or_none(request.user, slug)
    thread = Thread.objects.filter(pk=thread_id, channel=channel).first() if channel else None
    if thread is None or thread.visibility != "published":
        raise Http404
    page = Paginator(selectors.thread_posts(thread), settings.POSTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "channels/thread_detail.html", {"channel": channel, "thread": thread, "page_obj": page})
