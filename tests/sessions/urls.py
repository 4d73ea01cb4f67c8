"""Log-in and log-out views for the end-to-end tests (``CHANNELS_TEST_URLCONF``)."""

from __future__ import annotations

from django.contrib.auth import authenticate, login, logout
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST


@csrf_exempt
@require_POST
def login_view(request: HttpRequest) -> HttpResponse:
    """Logs in with ``username`` and ``password`` from the form; 403 when they are wrong."""
    user = authenticate(
        request, username=request.POST.get("username"), password=request.POST.get("password")
    )
    if user is None:
        return HttpResponse("bad credentials", status=403)
    login(request, user)
    return HttpResponse(f"logged in as {user.get_username()}")


@csrf_exempt
@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    """Logs out (flushes the HTTP session)."""
    logout(request)
    return HttpResponse("logged out")


def whoami(request: HttpRequest) -> HttpResponse:
    """The user of the request's session."""
    user = request.user
    return HttpResponse(user.get_username() if user.is_authenticated else "anonymous")


urlpatterns = [
    path("login/", login_view),
    path("logout/", logout_view),
    path("whoami/", whoami),
]
