"""Citizens' photos: checked by content, re-encoded, stripped of metadata.

What a citizen uploads is never stored as sent. Each file is opened by Pillow
(its content decides what it is, not its name or the browser's claimed type),
limited in bytes and pixels (decompression bombs), turned upright from its
EXIF orientation, scaled down, and re-encoded as a fresh JPEG without any
metadata (GPS position, camera, owner). Only that JPEG is kept.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF", "BMP"}
MAX_SIDE = 2560


class PhotoRejected(ValueError):
    """The file is not a photo we accept; the message is for the citizen."""


@dataclass(frozen=True)
class CleanPhoto:
    content: bytes
    width: int
    height: int


def photo_clean(raw: bytes) -> CleanPhoto:
    if len(raw) > settings.ATTACHMENT_MAX_BYTES:
        raise PhotoRejected(_("照片不能超过 %(mb)d MB。") % {"mb": settings.ATTACHMENT_MAX_BYTES // (1024 * 1024)})
    Image.MAX_IMAGE_PIXELS = settings.ATTACHMENT_MAX_PIXELS
    try:
        with Image.open(io.BytesIO(raw)) as probe:
            if probe.format not in ALLOWED_FORMATS:
                raise PhotoRejected(_("只能上传照片（JPEG、PNG、WebP、GIF 格式）。"))
            probe.verify()  # structural check; the image must be reopened after it
        with Image.open(io.BytesIO(raw)) as image:
            image.load()
            upright = ImageOps.exif_transpose(image)
            rgb = upright.convert("RGB")
    except PhotoRejected:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError) as exc:
        raise PhotoRejected(_("无法识别这张照片，请换一张或重新拍摄。")) from exc
    rgb.thumbnail((MAX_SIDE, MAX_SIDE))
    out = io.BytesIO()
    rgb.save(out, format="JPEG", quality=85, optimize=True)  # no exif= argument: metadata is dropped
    return CleanPhoto(content=out.getvalue(), width=rgb.width, height=rgb.height)
