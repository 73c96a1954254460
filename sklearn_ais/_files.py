"""Digests of input files (data integrity and the report's manifest)."""

import hashlib

_CHUNK = 1 << 16


def file_sha256(path):
    """SHA-256 of a file's bytes, as hex, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()
