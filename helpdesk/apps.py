"""The project package as an app: the admin site's default, and the local directories made at start-up."""

from pathlib import Path

from django.apps import AppConfig
from django.conf import settings
from django.contrib.admin.apps import AdminConfig


class YibangAdminConfig(AdminConfig):
    default_site = "helpdesk.admin_site.YibangAdminSite"


class HelpdeskConfig(AppConfig):
    name = "helpdesk"

    def ready(self) -> None:
        # settings.LOCAL_DIRS: var/ for SQLite and the file cache, the collected static
        # files, the filesystem broker's folders. Made here, once per process, so that
        # importing the settings never writes to disk.
        for directory in getattr(settings, "LOCAL_DIRS", ()):
            Path(directory).mkdir(parents=True, exist_ok=True)
