"""Citizens' photos: stored outside the static tree, with no public URL."""

from __future__ import annotations

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .request import HelpRequest


class PrivateMediaStorage(FileSystemStorage):
    """Where citizens' photos live: PRIVATE_MEDIA_ROOT, outside STATIC_ROOT, with no URL of its own.

    The location is read from settings on every use, so it follows overrides.
    """

    @property
    def base_location(self) -> str:
        return str(settings.PRIVATE_MEDIA_ROOT)

    @property
    def location(self) -> str:
        return os.path.abspath(self.base_location)

    @property
    def base_url(self) -> None:  # type: ignore[override]  # deliberately no URL: see url()
        return None

    def url(self, name: str | None) -> str:
        raise ValueError("Citizens' photos have no public URL; staff see them through dispatch:attachment.")


def private_storage() -> PrivateMediaStorage:
    return PrivateMediaStorage()


def _attachment_path(instance: Attachment, filename: str) -> str:
    return f"requests/{instance.request.created_at:%Y/%m}/{instance.request_id}/{filename}"


class Attachment(models.Model):
    """A photo a citizen attached, already re-encoded as a metadata-free JPEG (requests_app.photos)."""

    request = models.ForeignKey(HelpRequest, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("文件"), storage=private_storage, upload_to=_attachment_path, max_length=200)
    width = models.PositiveIntegerField(_("宽"))
    height = models.PositiveIntegerField(_("高"))
    size = models.PositiveIntegerField(_("字节数"))
    created_at = models.DateTimeField(_("上传时间"), default=timezone.now)

    class Meta:
        verbose_name = _("照片")
        verbose_name_plural = pgettext_lazy("plural", "照片")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.request_id}/{self.pk}"
