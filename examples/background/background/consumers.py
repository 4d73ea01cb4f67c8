"""The consumers: the job itself, its delayed follow-up, and the page's live status socket.

``background.work`` and ``background.followup`` are ordinary channels: any worker process
(``manage.py runworker``, or runserver's worker threads) takes their messages one at a time.
"""

import time

from django.conf import settings
from django.utils import timezone

from channels import Channel, Group
from channels.security.websockets import allowed_hosts_only

from .models import Job
from .work import count_primes_below

#: Every open page's socket is in this group, to see jobs change.
WATCHERS = "jobs"


def announce(job):
    """Tell every open page about the job's new state (sent when the consumer finishes)."""
    Group(WATCHERS).send({"text": job.as_frame()})


# Connected to background.work: {"job_id": ...}, sent by the view.
def run_job(message):
    job = Job.objects.get(id=message.content["job_id"])
    job.status = Job.RUNNING
    job.save(update_fields=["status"])
    # Sent now rather than with the rest when this consumer ends, so pages see it running.
    Group(WATCHERS).send({"text": job.as_frame()}, immediately=True)

    started = time.monotonic()
    job.result = count_primes_below(job.limit)
    job.seconds = round(time.monotonic() - started, 3)
    job.status = Job.DONE
    job.save(update_fields=["result", "seconds", "status"])
    announce(job)

    # A follow-up, some seconds from now: `manage.py rundelay` keeps it in the database
    # until it is due, then sends it to background.followup.
    Channel("background.followup").send(
        {"job_id": job.id}, delay=settings.BACKGROUND_FOLLOWUP_SECONDS
    )


# Connected to background.followup: {"job_id": ...}, from the delay server. In a real site:
# email the result, expire it, check on a payment...
def follow_up(message):
    job = Job.objects.get(id=message.content["job_id"])
    job.followed_up = timezone.now()
    job.save(update_fields=["followed_up"])
    announce(job)


# Connected to websocket.connect on /jobs/
@allowed_hosts_only
def watch_jobs(message):
    Group(WATCHERS).add(message.reply_channel)
    message.reply_channel.send({"accept": True})


# Connected to websocket.disconnect on /jobs/
def unwatch_jobs(message):
    Group(WATCHERS).discard(message.reply_channel)
