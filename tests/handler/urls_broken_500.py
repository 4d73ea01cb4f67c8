"""The handler tests' URLs with a 500 handler that itself fails."""

from .urls import urlpatterns  # noqa: F401 (the URLconf's patterns)

handler500 = "tests.handler.views.broken_server_error"
