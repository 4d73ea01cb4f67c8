"""Views of the test project: ordinary Django views, run by workers through ``http.request``."""

from __future__ import annotations

from django import forms
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt

from channels import Channel


def hello(request: HttpRequest) -> HttpResponse:
    """A rendered template."""
    return render(request, "hello.html", {"name": request.GET.get("name", "world")})


def dispatch_task(request: HttpRequest) -> HttpResponse:
    """Hands work to a background consumer, as in the seeds, and answers at once."""
    Channel("a_task_channel").send(
        {"value": int(request.GET["value"]), "notify": request.GET["notify"]}
    )
    return HttpResponse("queued")


def boom(request: HttpRequest) -> HttpResponse:
    """A view that fails."""
    raise ValueError("this view always fails")


def old_page(request: HttpRequest) -> HttpResponse:
    """A redirect."""
    return redirect("/hello/?name=redirected")


class PersonForm(forms.Form):
    name = forms.CharField(max_length=50)
    age = forms.IntegerField(min_value=0)


@csrf_exempt
def person_form(request: HttpRequest) -> HttpResponse:
    """A form POST: the cleaned data back as JSON, or the errors with 400."""
    form = PersonForm(request.POST)
    if not form.is_valid():
        return JsonResponse({"errors": form.errors}, status=400)
    return JsonResponse(form.cleaned_data)
