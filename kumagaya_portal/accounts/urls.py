from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("profile/", views.profile, name="profile"),
    # Stubs the channels app links to (`?next=` returns there); the accounts helper fills them in.
    path("pen-name/", views.profile, name="pen_name"),
    path("guidelines/", views.profile, name="guidelines"),
    path("staff-rules/", views.profile, name="staff_rules"),
]
