"""URLs of the test project."""

from django.urls import path

from . import views

urlpatterns = [
    path("hello/", views.hello),
    path("task/", views.dispatch_task),
    path("boom/", views.boom),
    path("old/", views.old_page),
    path("form/", views.person_form),
]
