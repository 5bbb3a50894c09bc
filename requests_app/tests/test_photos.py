"""Citizens' photos: content-checked, re-encoded without metadata, private to staff."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from dispatch.models import Assignment, Unit
from dispatch.tests import factories
from dispatch.workflow import request_lead_unit_refresh
from requests_app.models import Attachment, HelpRequest
from requests_app.tests.test_forms import valid_data

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = str(tmp_path / "private")
    return tmp_path / "private"


def jpeg_with_metadata(width=200, height=100, orientation=6) -> bytes:
    image = Image.new("RGB", (width, height), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    exif[0x0131] = "GPS Tracker 1.0"  # Software
    exif[0x0112] = orientation  # rotate 90° when shown
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (34.0, 45.0, 0.0)
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def upload(content: bytes, name="photo.jpg", content_type="image/jpeg"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def test_a_photo_is_stored_upright_without_metadata_outside_static(client, private_media, settings):
    response = client.post("/help/new/", {**valid_data(), "photos": [upload(jpeg_with_metadata())]})
    assert response.status_code == 302
    (attachment,) = Attachment.objects.all()
    assert str(private_media) in attachment.file.path
    assert str(settings.STATIC_ROOT) not in attachment.file.path
    with Image.open(attachment.file.path) as stored:
        assert stored.format == "JPEG"
        assert len(stored.getexif()) == 0
        assert stored.size == (100, 200)  # turned upright from the EXIF orientation
    raw = open(attachment.file.path, "rb").read()  # noqa: SIM115
    assert b"SpyCam" not in raw and b"GPS Tracker" not in raw
    with pytest.raises(ValueError):
        attachment.file.url  # noqa: B018 - private storage has no public URL


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ([upload(b"<?php system($_GET['c']); ?>", name="photo.jpg")], "无法识别这张照片"),
        ([upload(b"%PDF-1.4 fake", name="scan.png", content_type="image/png")], "无法识别这张照片"),
        ([upload(jpeg_with_metadata()) for _ in range(4)], "最多上传 3 张照片"),
    ],
)
def test_what_is_not_a_photo_is_refused_with_the_rest_kept(client, files, message):
    response = client.post("/help/new/", {**valid_data(title="井盖丢失"), "photos": files})
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html and "井盖丢失" in html
    assert HelpRequest.objects.count() == 0 and Attachment.objects.count() == 0


def test_oversized_and_bomb_images_are_refused(client, settings):
    settings.ATTACHMENT_MAX_BYTES = 1000
    response = client.post("/help/new/", {**valid_data(), "photos": [upload(jpeg_with_metadata(800, 800))]})
    assert "照片不能超过" in response.content.decode()
    settings.ATTACHMENT_MAX_BYTES = 8 * 1024 * 1024
    settings.ATTACHMENT_MAX_PIXELS = 10_000  # far fewer pixels than the image claims
    response = client.post("/help/new/", {**valid_data(), "photos": [upload(jpeg_with_metadata(400, 400))]})
    assert "无法识别这张照片" in response.content.decode()
    assert HelpRequest.objects.count() == 0


def test_photos_are_served_only_to_staff_who_may_see_the_request(client):
    client.post("/help/new/", {**valid_data(), "photos": [upload(jpeg_with_metadata())]})
    attachment = Attachment.objects.get()
    jinshui = Unit.objects.get(name="金水区人民政府")
    erqi = Unit.objects.get(name="二七区人民政府")
    Assignment.objects.create(request=attachment.request, unit=jinshui, role=Assignment.Role.LEAD)
    request_lead_unit_refresh(request_ids=[attachment.request_id])
    url = f"/staff/attachments/{attachment.pk}/"

    assert client.get(url).status_code == 302  # anonymous: to the staff login
    client.force_login(factories.handler(erqi, username="other-handler"))
    assert client.get(url).status_code == 404
    client.force_login(factories.handler(jinshui, username="jinshui-handler"))
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert "sandbox" in response["Content-Security-Policy"]
    client.force_login(factories.dispatcher(username="dispatcher-1"))
    assert client.get(url).status_code == 200
