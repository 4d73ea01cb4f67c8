"""URLs of the benchmark project."""

from django.urls import path

from . import views

urlpatterns = [
    path("hello/", views.hello),
    path("wait/", views.wait),
    path("park/", views.park),
]
