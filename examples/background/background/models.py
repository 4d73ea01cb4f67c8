"""A job: what the view records, the worker fills in, and the follow-up stamps."""

import json

from django.db import models


class Job(models.Model):
    """Count the primes below ``limit``: slow enough (a second or so for ten million) to
    have no place inside a request."""

    QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
    STATUSES = [(QUEUED, "queued"), (RUNNING, "running"), (DONE, "done"), (FAILED, "failed")]

    limit = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=STATUSES, default=QUEUED)
    result = models.PositiveIntegerField(null=True, blank=True)
    seconds = models.FloatField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    followed_up = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self):
        return f"job {self.id}: primes below {self.limit} ({self.status})"

    def as_frame(self):
        """The job as the page's socket receives it: JSON text."""
        return json.dumps(
            {
                "id": self.id,
                "limit": self.limit,
                "status": self.status,
                "result": self.result,
                "seconds": self.seconds,
                "followed_up": self.followed_up.isoformat() if self.followed_up else None,
            }
        )
