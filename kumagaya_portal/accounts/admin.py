from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.utils.translation import gettext_lazy as _

from .models import Department, StaffRules, User


class UserCreateForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"
        field_classes: dict = {}


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    add_form = UserCreateForm
    form = UserEditForm
    ordering = ["id"]
    list_display = ["id", "email", "pen_name", "real_name", "real_name_verified", "is_city_staff", "is_active"]
    list_filter = ["is_city_staff", "real_name_verified", "is_active", "is_deleted", "is_staff", "is_superuser"]
    search_fields = ["email", "pen_name", "real_name", "organisation"]
    readonly_fields = ["pen_name_key", "last_login", "date_joined", "deleted_at"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("公開される情報"), {"fields": ["pen_name", "pen_name_key", "real_name", "organisation"]}),
        (
            _("市職員と確認"),
            {"fields": ["is_city_staff", "department", "real_name_verified", "staff_rules_version"]},
        ),
        (_("同意と状態"), {"fields": ["guidelines_version", "suspended_until", "is_deleted", "deleted_at"]}),
        (_("権限"), {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        (_("日時"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "usable_password", "password1", "password2"]})]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name_ja", "name_en", "slug", "escalation_contact"]


@admin.register(StaffRules)
class StaffRulesAdmin(admin.ModelAdmin):
    list_display = ["version", "created_at"]
    readonly_fields = ["created_at"]
