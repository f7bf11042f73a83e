"""Pages of the Web Common Space: lab, channel, thread, posting forms.

Every decision goes through channels.permissions. Whatever a user may not see
answers 404 (the same as "missing"); what they see but may not do answers 403
with a message saying why and what to do; a missing step (guidelines, pen
name, staff rules) redirects to its page with ?next= back here.
"""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from kumagaya_portal.dates import format_date

from . import identity, permissions, ratelimit, selectors, services
from .forms import ChannelSettingsForm, EditPostForm, PhaseForm, ReplyForm, ThreadFilterForm, ThreadForm
from .models import Tier, Visibility
from .permissions import Denial, Step

# ------------------------------------------------------------------ helpers


def denial_message(code: str, user=None) -> str:
    if code == Denial.SUSPENDED:
        until = getattr(user, "suspended_until", None)
        return _("現在、投稿は一時停止されています（%(until)sまで）。閲覧はこれまでどおりできます。") % {
            "until": format_date(until) if until else ""
        }
    if code == Denial.CLOSED:
        return _("このチャンネルは投稿を締め切りました。これまでの投稿は引き続きご覧いただけます。")
    if code == Denial.STAFF_ONLY:
        return _("このチャンネルには市職員のみ投稿できます。ご意見はほかのチャンネルでお寄せください。")
    if code == Denial.NOT_MEMBER:
        return _(
            "このチャンネルに投稿できるのはメンバーのみです。参加するには、担当の市職員または運営者にご相談ください。"
        )
    if code == Denial.REAL_NAME:
        return _(
            "このチャンネルに投稿するには、実名の確認が必要です。市の担当者が確認するまでお待ちください。"
            "確認が済むと投稿できるようになります。"
        )
    if code == "locked":
        return _("このトピックはロックされているため、返信できません。")
    if code == "not_published":
        return _("このトピックは確認待ちのため、まだ返信できません。")
    return _("この操作はできません。")


STEP_PROMPTS = {
    Step.GUIDELINES: _("投稿する前に、利用ガイドラインをご確認ください。"),
    Step.PEN_NAME: _("熊谷コミュニティラボではペンネームで投稿します。投稿する前に、ペンネームを決めてください。"),
    Step.STAFF_RULES: _("市職員の方は、投稿する前に職員の投稿ルールをご確認ください。"),
}


def step_url(step: str, next_url: str) -> str:
    return f"{reverse('accounts:' + step)}?{urlencode({'next': next_url})}"


def _denied(request, message: str, *, channel=None, status: int = 403):
    return render(request, "channels/denied.html", {"message": message, "channel": channel}, status=status)


def _posting_gate(request, channel, next_url: str):
    """None if the user may post in `channel` now; otherwise the response that says what to do."""
    user = request.user
    if not permissions.is_signed_in(user):
        return redirect_to_login(next_url)
    denial = permissions.post_denial(user, channel)
    if denial:
        return _denied(request, denial_message(denial, user), channel=channel)
    step = permissions.missing_step(user, channel)
    if step:
        return redirect(step_url(step, next_url))
    return None


def _gate_info(request, channel, next_url: str) -> dict | None:
    """For pages that show a posting form: None when the form may be shown, else what to show instead."""
    user = request.user
    if not permissions.is_signed_in(user):
        login = f"{reverse(settings.LOGIN_URL)}?{urlencode({'next': next_url})}"
        return {"message": _("投稿するにはログインしてください。"), "url": login, "link": _("ログイン")}
    denial = permissions.post_denial(user, channel)
    if denial:
        return {"message": denial_message(denial, user)}
    step = permissions.missing_step(user, channel)
    if step:
        return {"message": STEP_PROMPTS[step], "url": step_url(step, next_url), "link": _("設定する")}
    return None


def _channel_or_404(request, slug):
    channel = permissions.channel_or_none(request.user, slug)
    if channel is None:
        raise Http404
    return channel


def _thread_or_404(request, channel, thread_id):
    thread = selectors.thread_for(channel, thread_id)
    if thread is None or not permissions.can_view_thread(request.user, thread):
        raise Http404
    return thread


def _post_or_404(request, channel, post_id):
    post = selectors.post_for(channel, post_id)
    if post is None or not permissions.can_view_post(request.user, post):
        raise Http404
    return post


def thread_url(thread, page: int = 1) -> str:
    url = reverse("channels:thread", args=[thread.channel.slug, thread.pk])
    return f"{url}?page={page}" if page > 1 else url


def post_url(request, post) -> str:
    """Where a post is: its thread page (for this reader) and its anchor."""
    moderator = permissions.is_channel_moderator(request.user, post.thread.channel)
    page = selectors.page_of_post(post, request.user, moderator=moderator, per_page=settings.POSTS_PER_PAGE)
    return f"{thread_url(post.thread, page)}#post-{post.pk}"


def _rate_limited(request, form, action: str) -> bool:
    wait = ratelimit.hit(request.user, action)
    if wait:
        form.add_error(None, ratelimit.message(action, wait))
        return True
    return False


def _after_posting(request, post):
    if post.visibility == Visibility.PENDING:
        messages.info(
            request,
            _("投稿を受け付けました。モデレーターの確認が済むまで、ほかの方には表示されません。")
            + " "
            + post.moderation_reason,
        )
    else:
        messages.success(request, _("投稿しました。"))


# -------------------------------------------------------------------- pages


def lab_index(request):
    return render(request, "channels/lab_index.html", {"tiers": selectors.lab_channels(request.user)})


def channel_detail(request, slug):
    user = request.user
    channel = _channel_or_404(request, slug)
    moderator = permissions.is_channel_moderator(user, channel)
    filters = ThreadFilterForm(request.GET or None)
    kind, phase = filters.values()
    threads = selectors.channel_threads(channel, user, moderator=moderator, kind=kind, phase=phase)
    page = Paginator(threads, settings.THREADS_PER_PAGE).get_page(request.GET.get("page"))
    for thread in page:
        last = thread.last_post
        thread.last_author = (
            identity.display_author(last.author, channel, as_staff=last.author_was_staff) if last else None
        )
    linked = None
    if channel.tier_id == Tier.B and channel.linked_channel_id:
        if permissions.can_view_channel(user, channel.linked_channel):
            linked = channel.linked_channel
    rooms, has_room = [], False
    if channel.tier_id == Tier.A:
        all_rooms = selectors.planning_rooms(channel)
        has_room = bool(all_rooms)
        rooms = [r for r in all_rooms if permissions.can_view_channel(user, r)]
    new_url = reverse("channels:new_thread", args=[channel.slug])
    return render(
        request,
        "channels/channel_detail.html",
        {
            "channel": channel,
            "page_obj": page,
            "filters": filters,
            "filtered": bool(kind or phase),
            "can_post": permissions.can_start_thread(user, channel),
            "gate": _gate_info(request, channel, new_url),
            "new_url": new_url,
            "can_settings": permissions.can_change_settings(user, channel),
            "linked_channel": linked,
            "has_planning_room": has_room,
            "visible_rooms": rooms,
            "is_moderator": moderator,
        },
    )


def _url_for_each(name: str, *args):
    """pk → reverse(name, args=[*args, pk]), for a whole page of posts at the cost of one reverse()."""
    marker = "9182736450"
    head, _marker, tail = reverse(name, args=[*args, int(marker)]).rpartition(marker)
    return lambda pk: f"{head}{pk}{tail}"


def thread_detail(request, slug, thread_id):
    user = request.user
    channel = _channel_or_404(request, slug)
    thread = _thread_or_404(request, channel, thread_id)
    moderator = permissions.is_channel_moderator(user, channel)
    posts = selectors.thread_posts(thread, user, moderator=moderator)
    page = Paginator(posts, settings.POSTS_PER_PAGE).get_page(request.GET.get("page"))
    any_staff = False
    # Labels each post repeats (its date, the screen-reader suffix of its action links), made
    # once per post here rather than once per link in the template.
    date_suffix, number_suffix = _("（%(d)sの投稿）"), _("（投稿 %(n)s）")
    permalink, flag_url = _url_for_each("channels:post", channel.slug), _url_for_each("moderation:flag")
    can_reply = permissions.can_reply(user, thread)
    for post in page:
        post.thread = thread  # shared object: no query per post
        post.date_label = format_date(post.created_at)
        post.date_suffix = date_suffix % {"d": post.date_label}
        post.number_suffix = number_suffix % {"n": post.pk}
        post.permalink, post.flag_url = permalink(post.pk), flag_url(post.pk)
        post.state, post.show_body = permissions.post_state(user, post, moderator=moderator)
        post.who = identity.display_author(post.author, channel, as_staff=post.author_was_staff)
        post.can_edit = permissions.can_edit_post(user, post)
        post.can_delete = permissions.can_delete_post(user, post)
        post.can_quote = post.state == "body" and can_reply
        post.can_revisions = moderator and post.edited_at is not None
        if post.quoted_id and post.quoted is not None:
            post.quoted_readable = post.quoted.is_readable or moderator
            post.quoted_who = identity.display_author(
                post.quoted.author, channel, as_staff=post.quoted.author_was_staff
            )
        any_staff = any_staff or (post.author_was_staff and post.show_body)
    reply_url = reverse("channels:reply", args=[channel.slug, thread.pk])
    gate = None
    if not can_reply:
        gate = _gate_info(request, channel, thread_url(thread, page.number))
        if gate is None:
            gate = {"message": denial_message(permissions.reply_denial(user, thread) or "")}
    return render(
        request,
        "channels/thread_detail.html",
        {
            "channel": channel,
            "thread": thread,
            "page_obj": page,
            "is_moderator": moderator,
            "staff_rules": identity.current_staff_rules(request) if any_staff else None,
            "citations": _citation_links(request, thread),
            "phase_changes": selectors.phase_changes(thread),
            "can_change_phase": permissions.can_change_phase(user, thread),
            "phase_form": PhaseForm(initial={"phase": thread.phase}),
            "can_reply": can_reply,
            "reply_form": ReplyForm() if can_reply else None,
            "reply_url": reply_url,
            "gate": gate,
        },
    )


def _citation_links(request, thread) -> list[dict]:
    links = []
    for c in selectors.citations(thread):
        if c.page_id:
            links.append({"title": c.page.title, "url": c.page.get_url(request)})
        elif c.meeting_id:
            try:
                url = reverse("archive:detail", args=[c.meeting.slug])
            except NoReverseMatch:
                url = reverse("archive:index")
            links.append({"title": c.meeting.title, "url": url})
    return links


def post_permalink(request, slug, post_id):
    channel = _channel_or_404(request, slug)
    post = _post_or_404(request, channel, post_id)
    return redirect(post_url(request, post))


# ------------------------------------------------------------------ posting


@require_http_methods(["GET", "POST"])
def new_thread(request, slug):
    channel = _channel_or_404(request, slug)
    gate = _posting_gate(request, channel, request.path)
    if gate is not None:
        return gate
    form = ThreadForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        existing = selectors.post_for_token(request.user, data["token"])
        if existing is not None:  # the same form sent twice
            return redirect(thread_url(existing.thread))
        if _rate_limited(request, form, "post"):
            status = 429
        else:
            thread = services.do_create_thread(
                actor=request.user,
                channel=channel,
                title=data["title"],
                body=data["body"],
                kind=data["kind"],
                phase=data["phase"],
                citation=data["citation"],
                idempotency_key=data["token"],
                attachments=data.get("attachments") or (),
            )
            first = thread.posts.order_by("created_at", "id").first()
            _after_posting(request, first)
            return redirect(thread_url(thread))
    return render(request, "channels/thread_form.html", {"channel": channel, "form": form}, status=status)


@require_http_methods(["GET", "POST"])
def reply(request, slug, thread_id):
    channel = _channel_or_404(request, slug)
    thread = _thread_or_404(request, channel, thread_id)
    gate = _posting_gate(request, channel, request.get_full_path())
    if gate is not None:
        return gate
    block = permissions.reply_denial(request.user, thread)
    if block:
        return _denied(request, denial_message(block, request.user), channel=channel)
    form = ReplyForm(request.POST or None, request.FILES or None, initial={"quote": request.GET.get("quote")})
    quote_id = request.POST.get("quote") if request.method == "POST" else request.GET.get("quote")
    quoted = None
    if quote_id:
        if not str(quote_id).isdigit():
            raise Http404
        quoted = selectors.post_for(channel, int(quote_id))
        if quoted is None or quoted.thread_id != thread.pk or not permissions.can_view_post(request.user, quoted):
            raise Http404
        quoted.thread = thread
        if not quoted.is_readable:
            quoted = None  # it was hidden or deleted meanwhile: reply without the quote
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if _rate_limited(request, form, "post"):
            existing = selectors.post_for_token(request.user, data["token"])
            if existing is not None:  # the same form sent again: where its post is
                return redirect(post_url(request, existing))
            status = 429
        else:
            # A form sent twice finds the post its first sending made (do_reply).
            post = services.do_reply(
                actor=request.user,
                thread=thread,
                body=data["body"],
                quoted=quoted,
                idempotency_key=data["token"],
                attachments=data.get("attachments") or (),
            )
            _after_posting(request, post)
            return redirect(post_url(request, post))
    quoted_who = None
    if quoted is not None:
        quoted_who = identity.display_author(quoted.author, channel, as_staff=quoted.author_was_staff)
    return render(
        request,
        "channels/reply_form.html",
        {"channel": channel, "thread": thread, "form": form, "quoted": quoted, "quoted_who": quoted_who},
        status=status,
    )


def _own_post_or_404(request, slug, post_id):
    """The post if it is the user's; anonymous readers are sent to log in; others get 404."""
    channel = _channel_or_404(request, slug)
    post = _post_or_404(request, channel, post_id)
    if not permissions.is_signed_in(request.user):
        return channel, post, redirect_to_login(request.get_full_path())
    if not permissions.is_author(request.user, post):
        raise Http404
    return channel, post, None


@require_http_methods(["GET", "POST"])
def edit_post(request, slug, post_id):
    channel, post, response = _own_post_or_404(request, slug, post_id)
    if response is not None:
        return response
    if not permissions.can_edit_post(request.user, post):
        return _denied(request, _edit_denial(request.user, post), channel=channel)
    form = EditPostForm(request.POST or None, initial={"body": post.body})
    status = 200
    if request.method == "POST" and form.is_valid():
        if _rate_limited(request, form, "edit"):
            status = 429
        else:
            services.do_edit_post(actor=request.user, post=post, body=form.cleaned_data["body"])
            messages.success(request, _("投稿を編集しました。"))
            return redirect(post_url(request, post))
    return render(request, "channels/post_edit.html", {"channel": channel, "post": post, "form": form}, status=status)


def _edit_denial(user, post) -> str:
    if post.thread.is_locked:
        return denial_message("locked")
    denial = permissions.post_denial(user, post.thread.channel)
    if denial:
        return denial_message(denial, user)
    if post.is_deleted_by_author:
        return _("削除した投稿は編集できません。")
    return _("モデレーターが対応した投稿は編集できません。")


@require_http_methods(["GET", "POST"])
def delete_post(request, slug, post_id):
    channel, post, response = _own_post_or_404(request, slug, post_id)
    if response is not None:
        return response
    if not permissions.can_delete_post(request.user, post):
        return _denied(request, _("この投稿はすでに削除されています。"), channel=channel)
    if request.method == "POST":
        services.do_delete_own_post(actor=request.user, post=post)
        messages.success(request, _("投稿を削除しました。返信の並びはそのまま残ります。"))
        return redirect(post_url(request, post))
    who = identity.display_author(post.author, channel, as_staff=post.author_was_staff)
    return render(request, "channels/post_delete.html", {"channel": channel, "post": post, "who": who})


def post_revisions(request, slug, post_id):
    channel = _channel_or_404(request, slug)
    post = _post_or_404(request, channel, post_id)
    if not permissions.can_view_revisions(request.user, post):
        raise Http404
    revisions = list(post.revisions.select_related("editor__department").order_by("-created_at", "-id"))
    for revision in revisions:
        revision.who = identity.display_author(revision.editor, channel) if revision.editor_id else None
    who = identity.display_author(post.author, channel, as_staff=post.author_was_staff)
    return render(
        request,
        "channels/post_revisions.html",
        {"channel": channel, "post": post, "who": who, "revisions": revisions},
    )


@require_http_methods(["GET", "POST"])
def change_phase(request, slug, thread_id):
    channel = _channel_or_404(request, slug)
    thread = _thread_or_404(request, channel, thread_id)
    if not permissions.is_signed_in(request.user):
        return redirect_to_login(request.get_full_path())
    if not permissions.can_change_phase(request.user, thread):
        return _denied(
            request,
            _("フェイズを変えられるのは、トピックを始めた方・市職員・モデレーターです。"),
            channel=channel,
        )
    form = PhaseForm(request.POST or None, initial={"phase": thread.phase})
    if request.method == "POST" and form.is_valid():
        services.do_change_phase(actor=request.user, thread=thread, phase=form.cleaned_data["phase"])
        messages.success(request, _("フェイズを変更しました。"))
        return redirect(thread_url(thread))
    return render(
        request,
        "channels/phase_form.html",
        {"channel": channel, "thread": thread, "form": form, "phase_changes": selectors.phase_changes(thread)},
    )


@require_http_methods(["GET", "POST"])
def channel_settings(request, slug):
    channel = _channel_or_404(request, slug)
    if not permissions.is_signed_in(request.user):
        return redirect_to_login(request.get_full_path())
    if not permissions.can_change_settings(request.user, channel):
        return _denied(
            request,
            _("チャンネルの設定を変えられるのは、担当課の市職員と管理者です。"),
            channel=channel,
        )
    initial = {"posting_policy": channel.posting_policy, "members_only": channel.members_only}
    form = ChannelSettingsForm(request.POST or None, initial=initial, channel=channel)
    if request.method == "POST" and form.is_valid():
        services.do_update_channel_settings(
            actor=request.user,
            channel=channel,
            posting_policy=form.cleaned_data["posting_policy"],
            members_only=form.cleaned_data.get("members_only", channel.members_only),
        )
        messages.success(request, _("チャンネルの設定を保存しました。"))
        return redirect("channels:channel", channel.slug)
    return render(request, "channels/channel_settings.html", {"channel": channel, "form": form})
