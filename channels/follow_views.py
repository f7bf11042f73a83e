"""Follow a channel or a thread; the list of one's follows; unsubscribe links from e-mails."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from . import permissions, services, tokens
from .forms_membership import FollowForm
from .models import Follow, Thread, Visibility


def _back(request, default: str) -> HttpResponseRedirect:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        target = default
    return HttpResponseRedirect(target)


def _target(request, slug: str, thread_id: int | None):
    channel = permissions.channel_or_none(request.user, slug)
    if channel is None:
        raise Http404
    if thread_id is None:
        return channel, None, reverse("channels:channel", args=[channel.slug])
    thread = Thread.objects.filter(pk=thread_id, channel=channel, visibility=Visibility.PUBLISHED).first()
    if thread is None:
        raise Http404
    thread.channel = channel
    return channel, thread, reverse("channels:thread", args=[channel.slug, thread.pk])


@require_POST
def follow(request, slug, thread_id=None):
    if not request.user.is_authenticated:
        return redirect_to_login(request.POST.get("next") or request.path)
    channel, thread, url = _target(request, slug, thread_id)
    form = FollowForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("通知の受け取り方を選んでください。"))
        return _back(request, url)
    try:
        f = services.do_follow(
            actor=request.user,
            channel=None if thread else channel,
            thread=thread,
            delivery=form.cleaned_data["delivery"],
        )
    except PermissionDenied as exc:
        raise Http404 from exc
    label = thread.title if thread else channel.display_name
    if f.delivery == Follow.Delivery.DAILY:
        text = _("「%(label)s」をフォローしました。新しい投稿は1日1回、朝7時にまとめてメールでお知らせします。")
    else:
        text = _("「%(label)s」をフォローしました。新しい投稿があるとメールでお知らせします。")
    messages.success(request, text % {"label": label})
    return _back(request, url)


@require_POST
def unfollow(request, slug, thread_id=None):
    if not request.user.is_authenticated:
        return redirect_to_login(request.POST.get("next") or request.path)
    channel, thread, url = _target(request, slug, thread_id)
    services.do_unfollow(actor=request.user, channel=None if thread else channel, thread=thread)
    label = thread.title if thread else channel.display_name
    messages.success(request, _("「%(label)s」のフォローをやめました。") % {"label": label})
    return _back(request, url)


def my_follows(request):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    follows = (
        Follow.objects.filter(user=request.user)
        .select_related("channel", "thread__channel")
        .order_by("-created_at", "-id")
    )
    return render(
        request,
        "channels/follow/my_follows.html",
        {"follows": follows, "Delivery": Follow.Delivery, "delivery_choices": Follow.Delivery.choices},
    )


@csrf_exempt  # the signed token is the credential; mail clients POST here (RFC 8058 one-click)
def unsubscribe(request, token):
    """GET shows what will stop and a button; only POST changes anything. No login needed."""
    data = tokens.read_unsubscribe_token(token)
    if data is None:
        return render(request, "channels/follow/unsubscribe_invalid.html", status=404)
    user = get_user_model().objects.filter(pk=data["user_id"]).first()
    if user is None:
        return render(request, "channels/follow/unsubscribe_invalid.html", status=404)
    if data["kind"] == "follow":
        follows = list(
            Follow.objects.filter(pk=data["follow_id"], user=user).select_related("channel", "thread__channel")
        )
    else:
        follows = list(
            Follow.objects.filter(user=user, delivery=Follow.Delivery.DAILY).select_related(
                "channel", "thread__channel"
            )
        )
    context = {"follows": follows, "kind": data["kind"], "token": token}
    if request.method == "POST":
        if data["kind"] == "follow":
            for f in follows:
                services.do_unfollow(actor=user, follow=f)
        else:
            services.do_stop_digests(actor=user)
        return render(request, "channels/follow/unsubscribe_done.html", context)
    return render(request, "channels/follow/unsubscribe.html", context)
