"""Static files storage: WhiteNoise's compressed manifest storage with memoised URLs.

Every `{% static %}` asks the storage for a URL; the manifest storage then
looks the name up, splits and rejoins it on each call. Outside DEBUG the
manifest is read once at start-up and never changes while the process runs
(a deploy restarts it), so a name's URL can be remembered for the process's
life. In DEBUG the parent answers every call (unhashed names, files may change).
"""

from __future__ import annotations

from django.conf import settings
from whitenoise.storage import CompressedManifestStaticFilesStorage


class CachedUrlManifestStaticFilesStorage(CompressedManifestStaticFilesStorage):
    def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        super().__init__(*args, **kwargs)
        self._url_cache: dict[tuple[str, bool], str] = {}

    def url(self, name: str, force: bool = False) -> str:  # noqa: FBT001, FBT002 - Django's signature
        if settings.DEBUG:
            return super().url(name, force)
        key = (name, force)
        url = self._url_cache.get(key)
        if url is None:
            url = self._url_cache[key] = super().url(name, force)
        return url
