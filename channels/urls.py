from django.urls import path

from . import views

app_name = "channels"
urlpatterns = [
    path("", views.lab_index, name="lab"),
    path("<slug:slug>/", views.channel_detail, name="channel"),
    path("<slug:slug>/t/<int:thread_id>/", views.thread_detail, name="thread"),
]
