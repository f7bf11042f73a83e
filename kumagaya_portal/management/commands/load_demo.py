import os

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from channels.models import Channel, Thread
from channels.services import do_create_thread, do_grant_membership, do_reply
from kumagaya_portal.accounts.models import Department, StaffRules

DEMO_USERS = [
    # email, real name, pen name, organisation, extra
    ("citizen@example.jp", "榊原 澄玲", "くまがやの風", "", {}),
    ("stakeholder@example.jp", "真鍋 健太", "", "株式会社まちなかデザイン", {"real_name_verified": True}),
    (
        "staff@example.jp",
        "高城 誠",
        "くまがやスマートシティ係",
        "",
        {"is_city_staff": True, "real_name_verified": True},
    ),
    ("moderator@example.jp", "森 由紀", "", "", {"real_name_verified": True}),
    ("admin@example.jp", "管理者", "", "", {"is_superuser": True, "is_staff": True}),
]

THREADS = [
    # channel slug, author email, title, kind, body, replies
    (
        "future-sketch-atelier",
        "citizen@example.jp",
        "星川通りの10年後をスケッチしてみました",
        "private-led",
        "星川沿いに木陰のベンチが並ぶ風景を描いてみました。\n皆さんの「こうなったらいいな」も教えてください。",
        [],
    ),
    (
        "downtown-vision-editors",
        "citizen@example.jp",
        "まちなかに子どもが遊べる場所がほしい",
        "intermediate",
        "駅からまちなかまで歩くと、子どもが休める場所が少ないと感じます。\n- 日陰\n- 水飲み場\n- ベンチ",
        [],
    ),
    (
        "smart-cool-city",
        "staff@example.jp",
        "クールシェアスポットの使い心地を教えてください",
        "public-private",
        "今年の夏に設置したクールシェアスポットについて、使ってみた感想をお聞かせください。",
        [],
    ),
    (
        "planning-downtown-vision-editors",
        "stakeholder@example.jp",
        "編集部の進め方（運営メモ）",
        "public-private",
        "まちなかビジョン編集部の次回テーマ案を共有します。",
        [],
    ),
    (
        "ws-downtown-regeneration-platform",
        "stakeholder@example.jp",
        "予算調整メモ（非公開）",
        "public-private",
        "来年度のエリアプラットフォーム予算について、関係者間で調整中の内容です。",
        [],
    ),
]


class Command(BaseCommand):
    help = "Create demo accounts and Japanese threads (refused under production settings)."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError(
                "load_demo is refused under production settings (DEBUG=0): demo accounts have a known password."
            )
        if not Channel.objects.exists():
            raise CommandError("Run `python manage.py load_kumagaya` first: the city's channels are missing.")
        password = os.environ.get("DEMO_PASSWORD", "kumagaya-demo")
        self.stdout.write(f"Demo password for every demo account: {password}")
        with transaction.atomic():
            users = self._users(password)
            self._memberships(users)
            self._threads(users)
            self._approve_held(users)
        for email, *_ in DEMO_USERS:
            self.stdout.write(f"  {email}")

    def _users(self, password):
        User = get_user_model()
        policy = Department.objects.get(slug="policy-research")
        rules = StaffRules.current()
        users = {}
        for email, real_name, pen_name, org, extra in DEMO_USERS:
            user = User.objects.filter(email=email).first()
            if user is None:
                user = User(email=email)
                user.set_password(password)
            user.real_name, user.pen_name, user.organisation = real_name, pen_name, org
            user.guidelines_version = settings.GUIDELINES_VERSION
            for k, v in extra.items():
                setattr(user, k, v)
            if user.is_city_staff:
                user.department = policy
                user.staff_rules_version = rules.version if rules else ""
            user.save()
            EmailAddress.objects.update_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
            users[email] = user
        moderators, _ = Group.objects.get_or_create(name="モデレーター")
        moderators.permissions.add(Permission.objects.get(codename="moderate_channel"))
        users["moderator@example.jp"].groups.add(moderators)
        return users

    def _memberships(self, users):
        stakeholder = users["stakeholder@example.jp"]
        for slug in ("planning-downtown-vision-editors", "ws-downtown-regeneration-platform"):
            do_grant_membership(
                actor=users["staff@example.jp"], channel=Channel.objects.get(slug=slug), user=stakeholder
            )

    def _threads(self, users):
        for slug, email, title, kind, body, replies in THREADS:
            channel = Channel.objects.get(slug=slug)
            if Thread.objects.filter(channel=channel, title=title).exists():
                continue
            thread = do_create_thread(actor=users[email], channel=channel, title=title, body=body, kind=kind)
            for reply_email, reply_body in replies:
                do_reply(actor=users[reply_email], thread=thread, body=reply_body)

    def _approve_held(self, users):
        """New accounts' first posts wait for a moderator (moderation's automatic hold): the demo
        moderator approves the demo posts, so the demo opens with them visible (and in the log)."""
        from channels.models import Post, Visibility
        from moderation.services import do_decide

        moderator = users["moderator@example.jp"]
        held = Post.objects.filter(author__email__in=list(users), visibility=Visibility.PENDING).select_related(
            "queue_item"
        )
        for post in held:
            item = getattr(post, "queue_item", None)
            do_decide(
                actor=moderator,
                post=post,
                action="restore",
                reason="デモの投稿を確認し、公開しました。",
                expected_version=item.version if item else 0,
            )
