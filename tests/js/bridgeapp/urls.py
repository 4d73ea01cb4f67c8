"""URLs of the bridge test site (its socket, ``/bridge/``, is in routing.py)."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.page),
    path("module/", views.module_page),
    path("legacy/", views.legacy_page),
    path("notes/", views.add_note),
]
