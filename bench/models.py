"""The minimal-form baseline's one table (bench.settings only: the portal never installs this app)."""

from django.db import models


class MinimalSubmission(models.Model):
    submit_token = models.UUIDField(unique=True)
    category = models.IntegerField()
    district = models.IntegerField()
    urgency = models.CharField(max_length=10)
    name = models.CharField(max_length=50)
    phone = models.CharField(max_length=20)
    address = models.CharField(max_length=200, blank=True)
    title = models.CharField(max_length=200)
    content = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.title
