"""URLs of the background example. The page's socket (``/jobs/``) is in routing.py."""

from django.urls import path

from . import views

urlpatterns = [path("", views.index, name="index")]
