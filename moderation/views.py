"""Moderation pages. Every URL here answers 404 to people who may not use it (the same
answer as "missing"), except the public transparency page, the flag form (signed-in
users) and the escalation list (department staff)."""

import csv
import json
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from channels.identity import display_author
from channels.models import Post, Thread, Visibility
from channels.permissions import can_view_post, can_view_thread, is_global_moderator, is_suspended
from kumagaya_portal.dates import format_date

from . import permissions, selectors, services
from .forms import (
    AuditFilterForm,
    DecisionForm,
    EscalationAnswerForm,
    FlagForm,
    IdentityForm,
    NGWordForm,
    QueueFilterForm,
    parse_month,
)
from .models import AuditAction, Escalation, Flag, HoldCode, NGWord, QueueItem
from .templatetags.moderation_tags import actor_label

PER_PAGE = 50
ACTION_GROUPS = {
    "dismiss": "post",
    "hide": "post",
    "remove": "post",
    "restore": "post",
    "redact": "redact",
    "lock": "lock",
    "unlock": "lock",
    "move": "move",
    "warn": "user",
    "suspend": "user",
    "unsuspend": "user",
    "escalate": "escalate",
}


def moderator_required(view):
    """404 for everyone who may not use the queue (signed out included): not even a login prompt."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not permissions.can_use_queue(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def _post_or_404(user, post_id) -> Post:
    post = selectors.post_for_moderation(post_id)
    if post is None or not permissions.can_moderate_post(user, post):
        raise Http404
    return post


def thread_post_url(post: Post) -> str:
    """Where a post sits on its thread page (the page number follows the thread's pagination)."""
    thread = post.thread
    url = reverse("channels:thread", args=[thread.channel.slug, thread.pk])
    before = (
        Post.objects.filter(thread_id=thread.pk)
        .filter(Q(created_at__lt=post.created_at) | Q(created_at=post.created_at, id__lt=post.pk))
        .count()
    )
    page = before // settings.POSTS_PER_PAGE + 1
    return f"{url}?page={page}#post-{post.pk}" if page > 1 else f"{url}#post-{post.pk}"


# --------------------------------------------------------------------- queue
def queue_rows(items) -> list[dict]:
    """What each queue entry shows, prepared here once (labels translated once per page,
    not once per row): the page stays fast with 50 entries."""
    states = {k: str(v) for k, v in QueueItem.State.choices}
    visibilities = {k: str(v) for k, v in Visibility.choices}
    holds = {k: str(v) for k, v in HoldCode.choices}
    reasons = {k: str(v) for k, v in selectors.reason_choices()}
    flags_label = _("通報 %(n)s件")
    title_label = _("%(channel)s：投稿 %(n)s")
    rows = []
    for item in items:
        post = item.post
        who = display_author(post.author, item.channel, as_staff=post.author_was_staff)
        rows.append(
            {
                "item": item,
                "post": post,
                "title": title_label % {"channel": item.channel.display_name, "n": post.pk},
                "state": states.get(item.state, item.state),
                "visibility": visibilities.get(post.visibility, post.visibility),
                "hold": holds.get(item.hold_code, ""),
                "flags": flags_label % {"n": item.flag_count},
                "tally": "、".join(f"{label}（{n}）" for label, n in selectors.reason_tally(item, reasons)),
                "who": who,
                "excerpt": Truncator(post.body).chars(140),
                "opened": format_date(item.opened_at),
                "claimed": actor_label(item.claimed_by) if item.claimed_by_id else "",
            }
        )
    return rows


@moderator_required
def queue(request):
    channels = list(selectors.channels_for_filter(request.user))
    data = request.GET.copy()
    data.setdefault("state", QueueItem.State.OPEN)
    form = QueueFilterForm(data, channels=channels)
    filters = form.cleaned_data if form.is_valid() else {"state": QueueItem.State.OPEN}
    items = selectors.queue_items(
        request.user,
        state=filters.get("state") or "",
        tier=filters.get("tier") or "",
        channel_id=filters.get("channel"),
        reason=filters.get("reason") or "",
        sort=filters.get("sort") or "oldest",
    )
    page = Paginator(items, PER_PAGE).get_page(request.GET.get("page"))
    rows = queue_rows(page)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "moderation/queue.html",
        {"form": form, "page_obj": page, "rows": rows, "query": query.urlencode(), "nav": "queue"},
    )


@moderator_required
@never_cache
def item(request, post_id, form=None):
    post = _post_or_404(request.user, post_id)
    queue_item = selectors.item_for_post(post)
    thread = post.thread
    move_targets = selectors.move_targets(request.user, thread)
    if form is None:
        form = DecisionForm(move_targets=move_targets)
    context = {
        "post": post,
        "thread": thread,
        "channel": thread.channel,
        "item": queue_item,
        "version": queue_item.version if queue_item else 0,
        "context_posts": selectors.post_context(post),
        "flags": selectors.post_flags(post),
        "history": selectors.author_history(post.author, request.user),
        "escalations": selectors.item_escalations(queue_item),
        "move_targets": move_targets,
        "departments": form.fields["department"].queryset,
        "default_department": services.default_escalation_department(),
        "form": form,
        "can_view_identity": permissions.can_view_identity(request.user, post),
        "can_act_on_author": permissions.can_act_on_user(request.user, post.author),
        "can_suspend": permissions.can_suspend_user(request.user, post.author),
        "author_suspended": is_suspended(post.author),
        "thread_url": thread_post_url(post),
        "posted_group": ACTION_GROUPS.get(form.data.get("action", "")) if form.is_bound else "",
        "nav": "queue",
    }
    return render(request, "moderation/item.html", context, status=400 if form.is_bound else 200)


@moderator_required
@require_POST
def act(request, post_id):
    post = _post_or_404(request.user, post_id)
    form = DecisionForm(request.POST, move_targets=selectors.move_targets(request.user, post.thread))
    if not form.is_valid():
        return item(request, post_id, form=form)
    data = form.cleaned_data
    try:
        entry = services.do_decide(
            actor=request.user,
            post=post,
            action=data["action"],
            reason=data["reason"],
            expected_version=data["version"],
            category=data.get("category") or "",
            new_body=data.get("new_body") or "",
            channel=data.get("channel"),
            days=data.get("days"),
            department=data.get("department"),
        )
    except services.NotAllowed:
        raise Http404 from None
    except services.AlreadyDecided as exc:
        messages.error(request, str(exc))
        return redirect("moderation:item", post_id=post.pk)
    except services.ModerationError as exc:
        form.add_error(None, str(exc))
        return item(request, post_id, form=form)
    messages.success(request, _("「%(action)s」を記録しました。") % {"action": AuditAction(entry.action).label})
    return redirect("moderation:item", post_id=post.pk)


@moderator_required
@require_POST
def claim(request, post_id):
    post = _post_or_404(request.user, post_id)
    queue_item = QueueItem.objects.select_related("channel").filter(post=post).first()
    if queue_item is None:
        raise Http404
    try:
        services.do_claim(actor=request.user, item=queue_item, release=request.POST.get("release") == "1")
    except services.NotAllowed:
        raise Http404 from None
    except services.ModerationError as exc:
        messages.error(request, str(exc))
    return redirect("moderation:item", post_id=post.pk)


@moderator_required
@never_cache
def identity(request, post_id):
    post = _post_or_404(request.user, post_id)
    if not permissions.can_view_identity(request.user, post):
        raise Http404
    found = None
    form = IdentityForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            found = services.do_view_identity(actor=request.user, post=post, reason=form.cleaned_data["reason"])
        except services.ModerationError as exc:
            form.add_error("reason", str(exc))
    response = render(
        request,
        "moderation/identity.html",
        {"post": post, "channel": post.thread.channel, "form": form, "found": found, "nav": "queue"},
    )
    response["Cache-Control"] = "no-store"
    return response


# --------------------------------------------------------------------- flags
def _flaggable_post_or_404(user, post_id) -> Post:
    post = Post.objects.select_related("thread__channel__tier", "author").filter(pk=post_id).first()
    # Same answer as the thread page: a post the user may not see (e.g. held) does not exist.
    if post is None or not can_view_post(user, post):
        raise Http404
    return post


@login_required
def flag(request, post_id):
    post = _flaggable_post_or_404(request.user, post_id)
    back = thread_post_url(post)
    if post.author_id == request.user.pk:
        messages.error(request, _("ご自身の投稿は通報できません。編集や削除は投稿のメニューからできます。"))
        return redirect(back)
    if is_suspended(request.user):
        messages.error(request, _("投稿が一時停止されている間は、通報できません。"))
        return redirect(back)
    open_flag = Flag.objects.filter(post=post, flagger=request.user, state=Flag.State.OPEN).first()
    form = FlagForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.do_flag(actor=request.user, post=post, **form.cleaned_data)
        except services.NotAllowed:
            raise Http404 from None
        except services.AlreadyFlagged as exc:
            messages.info(request, str(exc))
            return redirect(back)
        except services.ModerationError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("通報を受け付けました。モデレーターが確認します。通報したことが投稿者に知らされることはありません。"),
            )
            return redirect(back)
    channel = post.thread.channel
    return render(
        request,
        "moderation/flag.html",
        {
            "post": post,
            "thread": post.thread,
            "channel": channel,
            "who": display_author(post.author, channel, as_staff=post.author_was_staff),
            "form": form,
            "open_flag": open_flag,
            "back": back,
        },
        status=400 if form.is_bound and form.errors else 200,
    )


@login_required
@require_POST
def withdraw_flag(request, post_id):
    post = _flaggable_post_or_404(request.user, post_id)
    open_flag = Flag.objects.filter(post=post, flagger=request.user, state=Flag.State.OPEN).first()
    if open_flag is None:
        messages.info(request, _("取り消す通報はありません。"))
    else:
        services.do_withdraw_flag(actor=request.user, flag=open_flag)
        messages.success(request, _("通報を取り消しました。"))
    return redirect(thread_post_url(post))


@login_required
def flag_thread(request, thread_id):
    """Flagging a topic is flagging its first post."""
    thread = Thread.objects.select_related("channel").filter(pk=thread_id).first()
    if thread is None or not can_view_thread(request.user, thread):
        raise Http404
    first = Post.objects.filter(thread=thread).order_by("created_at", "id").values_list("pk", flat=True).first()
    if first is None:
        raise Http404
    return redirect("moderation:flag", post_id=first)


# ------------------------------------------------------------------ NG words
@moderator_required
def ng_words(request):
    if not permissions.can_manage_ng_words(request.user):
        raise Http404
    form = NGWordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.do_add_ng_word(actor=request.user, word=form.cleaned_data["word"])
        except services.ModerationError as exc:
            form.add_error("word", str(exc))
        else:
            messages.success(request, _("NGワードを追加しました。"))
            return redirect("moderation:ng_words")
    words = NGWord.objects.select_related("created_by").order_by("key")
    return render(request, "moderation/ng_words.html", {"form": form, "words": words, "nav": "ng_words"})


@moderator_required
@require_POST
def ng_word_delete(request, pk):
    if not permissions.can_manage_ng_words(request.user):
        raise Http404
    word = NGWord.objects.filter(pk=pk).first()
    if word is None:
        raise Http404
    services.do_remove_ng_word(actor=request.user, ng_word=word)
    messages.success(request, _("NGワードを削除しました。"))
    return redirect("moderation:ng_words")


# ----------------------------------------------------------------- audit log
def _audit_filters(request):
    channels = list(selectors.channels_for_filter(request.user))
    form = AuditFilterForm(request.GET or None, channels=channels)
    data = form.cleaned_data if form.is_valid() else {}
    entries = selectors.audit_log(
        request.user,
        action=data.get("action") or "",
        channel_id=data.get("channel"),
        month=data.get("month"),
        automatic=data.get("automatic") or "",
        post_id=data.get("post"),
    )
    return form, entries


@moderator_required
@never_cache
def audit_log(request):
    form, entries = _audit_filters(request)
    page = Paginator(entries, PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "moderation/audit_log.html",
        {"form": form, "page_obj": page, "query": query.urlencode(), "nav": "log"},
    )


CSV_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value) -> str:
    """Spreadsheets run cells starting with = + - @ (and tab/CR) as formulas: prefix them with '."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(CSV_DANGEROUS) else text


class _Echo:
    def write(self, value):
        return value


@moderator_required
@never_cache
def audit_export(request):
    from .templatetags.moderation_tags import actor_label, subject_label

    if not permissions.can_export_audit_log(request.user):
        raise Http404
    _form, entries = _audit_filters(request)
    header = [
        "id",
        "日時",
        "対応",
        "実施者",
        "分類",
        "理由",
        "チャンネル",
        "トピック",
        "投稿",
        "対象者",
        "変更前",
        "変更後",
    ]

    def rows():
        yield "\ufeff"  # BOM: spreadsheet software reads the file as UTF-8
        writer = csv.writer(_Echo())
        yield writer.writerow(header)
        for entry in entries.iterator(chunk_size=500):
            cells = [
                entry.pk,
                timezone.localtime(entry.created_at).isoformat(timespec="seconds"),
                entry.get_action_display(),
                actor_label(entry.actor),
                selectors.reason_label(entry.category) if entry.category else "",
                entry.reason,
                entry.channel.display_name if entry.channel else "",
                entry.thread_id or "",
                entry.post_id or "",
                subject_label(entry),
                json.dumps(entry.before, ensure_ascii=False) if entry.before else "",
                json.dumps(entry.after, ensure_ascii=False) if entry.after else "",
            ]
            yield writer.writerow([csv_safe(c) for c in cells])

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="moderation-log-{stamp}.csv"'
    response["Cache-Control"] = "no-store"
    return response


# -------------------------------------------------------------- transparency
def transparency(request):
    """Public: monthly counts by action and reason. No people, no text."""
    months = selectors.transparency_months()
    month = parse_month(request.GET.get("month")) or months[0]
    return render(
        request,
        "moderation/transparency.html",
        {"month": month, "months": months, "report": selectors.transparency(month)},
    )


# --------------------------------------------------------------- escalations
def _escalation_access(user):
    if not permissions.can_view_escalations(user):
        raise Http404


@never_cache
def escalations(request):
    _escalation_access(request.user)
    state = request.GET.get("state") or Escalation.State.OPEN
    page = Paginator(selectors.escalations_for(request.user, state), PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "moderation/escalations.html",
        {
            "page_obj": page,
            "state": state,
            "states": Escalation.State.choices,
            "nav": "escalations",
            "is_moderator": permissions.can_use_queue(request.user),
        },
    )


@never_cache
def escalation_detail(request, pk):
    _escalation_access(request.user)
    escalation = selectors.escalations_for(request.user, state="").filter(pk=pk).first()
    if escalation is None or not permissions.can_view_escalation(request.user, escalation):
        raise Http404
    form = EscalationAnswerForm(request.POST or None)
    if request.method == "POST":
        if not permissions.can_answer_escalation(request.user, escalation):
            raise Http404
        if form.is_valid():
            try:
                services.do_answer_escalation(
                    actor=request.user, escalation=escalation, answer=form.cleaned_data["answer"]
                )
            except services.NotAllowed:
                raise Http404 from None
            except services.ModerationError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, _("回答を記録し、モデレーターに伝えました。"))
            return redirect("moderation:escalation", pk=escalation.pk)
    post = escalation.item.post
    channel = post.thread.channel
    return render(
        request,
        "moderation/escalation_detail.html",
        {
            "escalation": escalation,
            "post": post,
            "channel": channel,
            "who": display_author(post.author, channel, as_staff=post.author_was_staff),
            "form": form,
            "can_answer": permissions.can_answer_escalation(request.user, escalation),
            "is_moderator": permissions.can_use_queue(request.user),
            "is_global_moderator": is_global_moderator(request.user),
            "nav": "escalations",
        },
        status=400 if form.is_bound and form.errors else 200,
    )
