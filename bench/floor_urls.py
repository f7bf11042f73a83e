from django.urls import path

from .floor_views import floor

urlpatterns = [path("floor/", floor)]
