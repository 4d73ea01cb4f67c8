"""Pages of the chat example: pick a name, pick a room, chat.

Picking a name logs you in as a Django user of that name (created on first use, with no
password), so the WebSocket consumers find you through the ordinary session cookie. Names of
accounts that have a password (made with ``createsuperuser``, say) cannot be picked this way.
"""

import re

from django import forms
from django.contrib.auth import get_user_model, login, logout
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

ROOM_NAME = re.compile(r"^[A-Za-z0-9_-]{1,50}$")


class NameForm(forms.Form):
    """A name to chat under."""

    name = forms.RegexField(
        regex=r"^[\w.@+-]{1,30}$",
        error_messages={"invalid": "Use up to 30 letters, digits and @ . + - _ characters."},
    )

    def clean_name(self):
        name = self.cleaned_data["name"]
        user = get_user_model().objects.filter(username=name).first()
        if user is not None and user.has_usable_password():
            raise forms.ValidationError("That name belongs to an account with a password.")
        return name

    def user(self):
        """The user of this name, created (with no usable password) if new."""
        user, created = get_user_model().objects.get_or_create(username=self.cleaned_data["name"])
        if created:
            user.set_unusable_password()
            user.save()
        return user


def index(request):
    """Pick a name (if you have none yet) and a room."""
    form = NameForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        login(request, form.user())
        target = request.GET.get("next", "")
        if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            target = "/"
        return redirect(target)
    return render(request, "chat/index.html", {"form": form})


def go_to_room(request):
    """The room form on the index page: redirect to the room's page."""
    room = request.GET.get("room", "").strip()
    if not ROOM_NAME.match(room):
        return redirect("/")
    return redirect("room", room=room)


@login_required
def room(request, room):
    """The chat page of one room."""
    return render(request, "chat/room.html", {"room": room})


@require_POST
def leave(request):
    """Log out (forget the name)."""
    logout(request)
    return redirect("/")
