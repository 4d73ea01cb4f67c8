"""The liveblog's one model, and the signal receiver that pushes each save to the readers."""

import json

from django.db import models
from django.db.models.signals import post_save
from django.dispatch import receiver

from channels import Group

#: The group every reader's socket joins (see consumers.py).
READERS = "liveblog"


class BlogUpdate(models.Model):
    """One post of the live blog."""

    content = models.TextField()
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self):
        return self.content[:50]

    def as_frame(self):
        """What the readers' pages receive: JSON text."""
        return json.dumps(
            {"id": self.id, "content": self.content, "created": self.created.isoformat()}
        )


# Saved in the admin, in `manage.py shell`, anywhere: every open page gets it. Inside a
# consumer (an admin request) the send goes out when the request is done; elsewhere at once.
@receiver(post_save, sender=BlogUpdate)
def send_update(sender, instance, **kwargs):
    Group(READERS).send({"text": instance.as_frame()})
