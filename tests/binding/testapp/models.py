"""Models the binding tests change."""

from __future__ import annotations

from django.db import models


class Thing(models.Model):
    """Bound with a ``fields`` list; ``room`` decides which group hears about it."""

    name = models.CharField(max_length=100)
    room = models.CharField(max_length=50, default="lobby")
    count = models.IntegerField(default=0)
    secret = models.CharField(max_length=100, default="")

    class Meta:
        app_label = "binding_testapp"


class Note(models.Model):
    """Bound with ``exclude``."""

    text = models.TextField()
    written = models.DateTimeField(null=True, blank=True)
    token = models.CharField(max_length=100, default="")

    class Meta:
        app_label = "binding_testapp"
