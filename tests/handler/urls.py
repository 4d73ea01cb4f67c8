"""URLs of the handler tests' views (``ROOT_URLCONF`` for every test in this package)."""

from django.urls import path

from . import views

urlpatterns = [
    path("echo/", views.echo),
    path("form/", views.form),
    path("upload/", views.upload),
    path("digest/", views.body_digest),
    path("template/", views.hello_template),
    path("go/", views.go_elsewhere),
    path("target/", views.target, name="target"),
    path("cookies/", views.set_cookies),
    path("stream/", views.stream),
    path("stream-async/", views.stream_async),
    path("big-file/", views.big_file),
    path("boom/", views.boom),
    path("later/", views.later),
    path("later-async/", views.later_async),
    path("async/", views.async_hello),
    path("static/<path:name>", views.static_fallback),
]
