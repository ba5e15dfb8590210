"""Uploaded files kept between an import's preview and its confirmation.

HR uploads a file once: the preview keeps its bytes in the data folder's upload spool
(`<data dir>/uploads`, where large request bodies are spooled too) and the confirm form
carries only a token naming them. The token is a random id (the file's name) and a random
key the file is sealed with (AES-GCM, the id as associated data), so what rests on disk,
and in any copy of the data folder, is no list of names and card numbers; the key exists
only in HR's page. A token is checked against its exact shape before it names any file:
`../secret_key` or any other text never reaches the file system. A kept file names the
kind of import and the user it was uploaded for: another page or another user gets
nothing from it. It is removed once imported, and every file in the spool older than
KEEP_SECONDS (previews nobody confirmed) is removed whenever something is kept.
"""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEEP_SECONDS = 3600
ID_BYTES = 24  # 32 characters of URL-safe base64
KEY_BYTES = 32  # 43 characters
NONCE_BYTES = 12
# `<id>.<key>`, both URL-safe base64 without padding.
_TOKEN = re.compile(r"([A-Za-z0-9_-]{32})\.([A-Za-z0-9_-]{43})")
_PREFIX = "import-"


@dataclass(frozen=True)
class Kept:
    """A file waiting for its confirmation."""

    token: str
    kind: str
    filename: str
    data: bytes
    notes: dict[str, Any]


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _parse(folder: Path, token: object) -> tuple[Path, str, bytes] | None:
    """The file a token names, its id and its key; None for anything not a token."""
    if not isinstance(token, str):
        return None
    found = _TOKEN.fullmatch(token)
    if found is None:
        return None
    upload_id, key = found.groups()
    try:
        raw_key = base64.urlsafe_b64decode(key + "=")
    except ValueError:
        return None
    if len(raw_key) != KEY_BYTES:
        return None
    return folder / f"{_PREFIX}{upload_id}", upload_id, raw_key


def sweep(folder: Path, now: float | None = None) -> None:
    """Remove every file of the spool older than KEEP_SECONDS."""
    if not folder.is_dir():
        return
    cutoff = (now if now is not None else time.time()) - KEEP_SECONDS
    for old in folder.iterdir():
        try:
            if old.is_file() and not old.is_symlink() and old.stat().st_mtime < cutoff:
                old.unlink(missing_ok=True)
        except OSError:
            continue  # removed meanwhile by another request


def keep(folder: Path, kind: str, filename: str, data: bytes, owner: str,
         notes: dict[str, Any] | None = None) -> str:
    """Keep `data` for `owner`'s confirmation of a `kind` import, with `notes` (JSON) the
    page wants back at the confirmation; returns its token."""
    folder.mkdir(parents=True, exist_ok=True)
    sweep(folder)
    upload_id = _b64(secrets.token_bytes(ID_BYTES))
    key, nonce = secrets.token_bytes(KEY_BYTES), secrets.token_bytes(NONCE_BYTES)
    head = json.dumps({"kind": kind, "filename": filename, "owner": owner,
                       "notes": notes or {}}).encode()
    sealed = AESGCM(key).encrypt(nonce, head + b"\n" + data, upload_id.encode())
    descriptor = os.open(folder / f"{_PREFIX}{upload_id}",
                         os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(nonce + sealed)
    return f"{upload_id}.{_b64(key)}"


def find(folder: Path, token: str, kind: str, owner: str,
         now: float | None = None) -> Kept | None:
    """The file kept under `token` for this kind and owner, if not older than an hour;
    None for anything else (not a token, no such file, a wrong key, another kind or user,
    expired)."""
    parsed = _parse(folder, token)
    if parsed is None:
        return None
    path, upload_id, key = parsed
    try:
        if path.stat().st_mtime < (now if now is not None else time.time()) - KEEP_SECONDS:
            path.unlink(missing_ok=True)
            return None
        raw = path.read_bytes()
    except OSError:
        return None
    try:
        plain = AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], upload_id.encode())
    except (InvalidTag, ValueError):
        return None
    head, _, data = plain.partition(b"\n")
    meta = json.loads(head)
    if meta.get("kind") != kind or meta.get("owner") != owner:
        return None
    return Kept(token, kind, str(meta.get("filename") or "upload"), data,
                dict(meta.get("notes") or {}))


def drop(folder: Path, token: str) -> None:
    """Remove a kept file once it has been imported."""
    parsed = _parse(folder, token)
    if parsed is not None:
        parsed[0].unlink(missing_ok=True)
