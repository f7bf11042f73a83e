from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("profile/", views.profile, name="profile"),
    # Each takes `?next=` (checked with url_has_allowed_host_and_scheme) and returns there.
    path("pen-name/", views.pen_name, name="pen_name"),
    path("guidelines/", views.guidelines, name="guidelines"),
    path("staff-rules/", views.staff_rules, name="staff_rules"),
    path("profile/data.json", views.export_data, name="export"),
    path("profile/delete/", views.delete_account, name="delete"),
    path("real-names/", views.real_names, name="real_names"),  # city staff
]
