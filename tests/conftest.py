"""Shared fixtures: the city's real structure and named personas."""

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.models import Permission

from channels.models import Channel
from channels.services import do_grant_membership
from kumagaya_portal.accounts.models import Department, StaffRules
from kumagaya_portal.loader import load_city


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load the city's real structure once per test session; each test rolls back to it."""
    with django_db_blocker.unblock():
        load_city()


@pytest.fixture(autouse=True)
def eager_celery():
    """Tasks run in the test process, also when CI sets REDIS_URL (no worker runs there).
    Tests about the broker itself (tests/test_resilience_redis.py) switch this off."""
    from kumagaya_portal.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before


@pytest.fixture
def page_cache_on(settings):
    """The page cache on (tests run with it off), empty before and after. Set through `settings`,
    so it comes off in order with the test's other overrides."""
    from django.core.cache import cache

    cache.clear()
    settings.PAGE_CACHE_SECONDS = 300
    yield
    cache.clear()


@pytest.fixture
def city(db):
    """The city's structure. Transactional tests (live_server, browser) flush the database
    after each test, so it is loaded again when missing."""
    if not Channel.objects.exists():
        load_city()
    return Channel.objects


def make_user(email, *, real_name="", pen_name="", organisation="", verified=False, staff=False, **extra):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user(
        email=email,
        password="pw-kumagaya-2024",
        real_name=real_name,
        pen_name=pen_name,
        organisation=organisation,
        real_name_verified=verified or staff,
        is_city_staff=staff,
        guidelines_version=settings.GUIDELINES_VERSION,
        **extra,
    )
    if staff:
        user.department = Department.objects.get(slug="policy-research")
        rules = StaffRules.current()
        user.staff_rules_version = rules.version if rules else ""
        user.save()
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


@pytest.fixture
def citizen(city):
    return make_user("sumire.citizen@example.jp", real_name="榊原 澄玲", pen_name="くまがやの風")


@pytest.fixture
def citizen_without_pen_name(city):
    return make_user("newcomer@example.jp", real_name="新田 はじめ")


@pytest.fixture
def stakeholder(city):
    user = make_user("kenta@example.jp", real_name="真鍋 健太", organisation="株式会社まちなかデザイン", verified=True)
    do_grant_membership(actor=None, channel=Channel.objects.get(slug="planning-downtown-vision-editors"), user=user)
    do_grant_membership(actor=None, channel=Channel.objects.get(slug="ws-downtown-regeneration-platform"), user=user)
    return user


@pytest.fixture
def staff(city):
    return make_user("makoto.staff@example.jp", real_name="高城 誠", staff=True)


@pytest.fixture
def moderator(city):
    user = make_user("yuki.mod@example.jp", real_name="森 由紀", verified=True)
    user.user_permissions.add(Permission.objects.get(codename="moderate_channel"))
    return user


@pytest.fixture
def channel_a(city):
    return Channel.objects.get(slug="downtown-vision-editors")


@pytest.fixture
def channel_b(city):
    return Channel.objects.get(slug="planning-downtown-vision-editors")


@pytest.fixture
def workspace_c(city):
    return Channel.objects.get(slug="ws-downtown-regeneration-platform")
