"""The public pages' Bootstrap subset is built from the current templates (`make css`)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import crispy_bootstrap5
import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
BUILT = ROOT / "static" / "vendor" / "bootstrap" / "css" / "bootstrap.public.min.css"


def test_the_committed_subset_matches_a_fresh_build(tmp_path):
    if shutil.which("node") is None or not (ROOT / "node_modules" / "purgecss").exists():
        pytest.fail("node and node_modules/purgecss are needed: `make test` runs `npm ci`")
    fresh = tmp_path / "bootstrap.public.min.css"
    templates = Path(crispy_bootstrap5.__file__).parent / "templates"
    subprocess.run(
        ["node", "tools/build_public_css.mjs", str(templates), str(fresh)], cwd=ROOT, check=True, timeout=120
    )
    assert fresh.read_text() == BUILT.read_text(), "a template uses a Bootstrap class the subset lacks: run `make css`"
    # Still a small part of Bootstrap, and it keeps what the layout and the forms need.
    css = BUILT.read_text()
    assert len(css) < 60_000
    for selector in (
        ".navbar",
        ".btn-danger",
        ".form-control.is-invalid",
        ".invalid-feedback",
        ".visually-hidden-focusable",
        ".alert-success",
        ".text-bg-warning",
    ):
        assert selector in css, selector
