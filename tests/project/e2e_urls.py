"""URLs for the end-to-end tests, selected with ``CHANNELS_TEST_URLCONF=tests.project.e2e_urls``."""

from django.urls import path

from . import e2e_views

urlpatterns = [
    path("page/", e2e_views.page),
    path("form/", e2e_views.form),
    path("upload/", e2e_views.upload),
    path("stream/", e2e_views.stream),
    path("held-stream/", e2e_views.held_stream),
    path("release/", e2e_views.release),
    path("big-file/", e2e_views.big_file),
    path("cookies/", e2e_views.cookies),
    path("boom/", e2e_views.boom),
    path("pid/", e2e_views.pid),
]
