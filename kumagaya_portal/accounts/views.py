"""My account: profile, pen name, guidelines, staff rules, my data, leaving the portal."""

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from . import selectors, services
from .forms import AcceptGuidelinesForm, ConfirmStaffRulesForm, DeleteAccountForm, PenNameForm, ProfileForm
from .models import StaffRules, User


def safe_next(request, default: str = "") -> str:
    """The `next` parameter when it points into this site; otherwise `default`."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    user = request.user
    form = ProfileForm(
        request.POST if request.method == "POST" else None,
        initial={"real_name": user.real_name, "organisation": user.organisation},
    )
    if request.method == "POST" and form.is_valid():
        was_verified = user.real_name_verified
        services.do_update_profile(actor=user, **form.cleaned_data)
        messages.success(request, _("プロフィールを保存しました。"))
        if was_verified and not user.real_name_verified:
            messages.info(request, _("氏名を変更したため、市職員による実名確認をもう一度お待ちください。"))
        return redirect("accounts:profile")
    rules = StaffRules.current() if user.is_city_staff else None
    return render(
        request,
        "accounts/profile.html",
        {
            "profile_user": user,
            "form": form,
            "staff_rules_pending": bool(rules and user.staff_rules_version != rules.version),
            "guidelines_current": user.guidelines_version == settings.GUIDELINES_VERSION,
        },
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def pen_name(request):
    user = request.user
    next_url = safe_next(request)
    form = PenNameForm(request.POST if request.method == "POST" else None, user=user)
    if request.method == "POST" and form.is_valid():
        old = user.pen_name
        try:
            services.do_set_pen_name(actor=user, pen_name=form.cleaned_data["pen_name"])
        except ValidationError as exc:
            form.add_error("pen_name", exc)
        else:
            if old and old != user.pen_name:
                messages.success(request, _("ペンネームを「%(name)s」に変更しました。") % {"name": user.pen_name})
            else:
                messages.success(request, _("ペンネームを「%(name)s」にしました。") % {"name": user.pen_name})
            return redirect(next_url or reverse("accounts:profile"))
    return render(
        request,
        "accounts/pen_name.html",
        {"form": form, "next": next_url, "welcome": request.GET.get("welcome") == "1", "current": user.pen_name},
    )


@never_cache
@require_http_methods(["GET", "POST"])
def guidelines(request):
    """The guidelines, readable by anyone; signed-in users who have not accepted this version may do so here."""
    user = request.user
    next_url = safe_next(request)
    accepted = user.is_authenticated and user.guidelines_version == settings.GUIDELINES_VERSION
    form = None
    if user.is_authenticated and not accepted:
        form = AcceptGuidelinesForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if form is None:  # already accepted: nothing to do
            return redirect(next_url or reverse("accounts:profile"))
        if form.is_valid():
            services.do_accept_guidelines(actor=user)
            messages.success(request, _("利用ガイドラインに同意しました。"))
            return redirect(next_url or reverse("accounts:profile"))
    return render(
        request,
        "accounts/guidelines.html",
        {"form": form, "next": next_url, "accepted": accepted, "version": settings.GUIDELINES_VERSION},
    )


@never_cache
@require_http_methods(["GET", "POST"])
def staff_rules(request):
    """The staff rules and disclaimer (anyone may read them); city staff confirm them once per version."""
    user = request.user
    rules = StaffRules.current()
    next_url = safe_next(request)
    is_staff = user.is_authenticated and user.is_city_staff
    confirmed = bool(is_staff and rules and user.staff_rules_version == rules.version)
    form = None
    if is_staff and rules and not confirmed:
        form = ConfirmStaffRulesForm(
            request.POST if request.method == "POST" else None, initial={"version": rules.version}
        )
    if request.method == "POST":
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if form is None:
            return redirect(next_url or reverse("accounts:profile"))
        if form.is_valid():
            if form.cleaned_data["version"] != rules.version:
                messages.warning(request, _("職員の投稿ルールが更新されました。最新の内容を確認してください。"))
                return redirect(request.get_full_path())
            services.do_confirm_staff_rules(actor=user, rules=rules)
            messages.success(request, _("職員の投稿ルールを確認しました。"))
            return redirect(next_url or reverse("accounts:profile"))
    return render(
        request,
        "accounts/staff_rules.html",
        {"rules": rules, "form": form, "next": next_url, "confirmed": confirmed, "is_city_staff": is_staff},
    )


@never_cache
@login_required
@require_GET
def export_data(request):
    data = selectors.export_user_data(request.user)
    stamp = timezone.localtime().strftime("%Y%m%d")
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="kumagaya-my-data-{stamp}.json"'
    return response


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def delete_account(request):
    user = request.user
    form = DeleteAccountForm(request.POST if request.method == "POST" else None, user=user)
    if request.method == "POST" and form.is_valid():
        services.do_delete_account(actor=user)
        logout(request)
        messages.success(request, _("退会の手続きが終わりました。ご利用ありがとうございました。"))
        return redirect("/")
    return render(request, "accounts/delete.html", {"form": form})


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def real_names(request):
    """City staff verify real names (B/C posting needs it). Others: 404, like any page they may not know."""
    from channels.permissions import is_city_staff

    if not is_city_staff(request.user):
        raise Http404
    if request.method == "POST":
        target = get_object_or_404(User, pk=request.POST.get("user"), is_active=True, is_deleted=False)
        verified = request.POST.get("verified") == "1"
        try:
            services.do_set_real_name_verified(actor=request.user, user=target, verified=verified)
        except ValidationError as exc:
            messages.error(request, exc.messages[0])
        else:
            if verified:
                messages.success(request, _("%(name)s さんの実名を確認済みにしました。") % {"name": target.real_name})
            else:
                messages.success(request, _("%(name)s さんの実名確認を取り消しました。") % {"name": target.real_name})
        return redirect(safe_next(request, reverse("accounts:real_names")))
    show_all = request.GET.get("all") == "1"
    query = request.GET.get("q", "").strip()[:100]
    users = selectors.real_names_to_verify(pending_only=not show_all, query=query)
    page = Paginator(users, 50).get_page(request.GET.get("page"))
    return render(request, "accounts/real_names.html", {"page_obj": page, "show_all": show_all, "query": query})
