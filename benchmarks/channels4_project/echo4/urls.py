"""URLs of the Django views (``views.py``)."""

from django.urls import path

from echo4 import views

urlpatterns = [path("django/hello/", views.hello), path("django/wait/", views.wait)]
