"""Reading what a PDF says, for tests of the files the server prints."""

from __future__ import annotations

import shutil
import subprocess

import pytest


def assert_pdf_text(data: bytes, wanted: str) -> None:
    """`wanted` is in the PDF's text (skips when poppler's pdftotext is not installed)."""
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    out = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True)
    assert wanted in out.stdout.decode()
