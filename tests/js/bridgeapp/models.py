"""The model the page shows through data binding."""

from __future__ import annotations

from django.db import models


class Note(models.Model):
    """A line of text every open page shows as soon as it is saved."""

    text = models.CharField(max_length=200)

    class Meta:
        app_label = "bridgeapp"
