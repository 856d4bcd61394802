"""What made a result: code version and a stable hash of the settings."""

from __future__ import annotations

import functools
import hashlib
import json
import subprocess
from pathlib import Path

from metabayes import __version__


@functools.cache
def code_version() -> str:
    """Package version plus the git commit of the source tree (``+dirty`` if modified)."""
    root = Path(__file__).resolve().parents[2]
    try:
        commit = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short=12", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no", "--", "src"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return __version__
    return f"{__version__}+g{commit}" + (".dirty" if dirty else "")


def settings_hash(settings: dict) -> str:
    """First 12 hex digits of the SHA-256 of the settings as canonical JSON."""
    canonical = json.dumps(settings, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]
