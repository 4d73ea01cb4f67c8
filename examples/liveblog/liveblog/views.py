from django.shortcuts import render

from .models import BlogUpdate


def index(request):
    """The blog: the latest updates, then new ones as they are saved."""
    return render(request, "liveblog/index.html", {"updates": BlogUpdate.objects.all()[:50]})
