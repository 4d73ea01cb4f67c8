from django import forms
from django.shortcuts import redirect, render

from channels import Channel

from .consumers import announce
from .models import Job


class JobForm(forms.Form):
    limit = forms.IntegerField(min_value=2, max_value=50_000_000, initial=20_000_000)


def index(request):
    """The jobs, and a form to start one. Starting one only records it and hands it to the
    ``background.work`` channel: the response goes back at once, a worker does the work."""
    form = JobForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        job = Job.objects.create(limit=form.cleaned_data["limit"])
        announce(job)
        # Dispatch the work to a worker. Like every send in a consumer (this view runs in
        # one), it goes out when the view is done, after the announcement above.
        Channel("background.work").send({"job_id": job.id})
        return redirect("index")
    return render(request, "background/index.html", {"form": form, "jobs": Job.objects.all()[:20]})
