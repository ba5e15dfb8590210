"""The enrolment code as text and as the QR code HR prints: what the server writes the
kiosk reads back, from a camera image too."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from kiosk.errors import ConfigError
from kiosk.hardware.qr import decode_qr
from kiosk.link.trust import EnrolmentPayload, is_payload, parse_payload
from server.services.devices.kiosks import enrolment_payload
from server.services.people.badges import qr_png
from server.serving.tls import fingerprint_b32

FINGERPRINT = "9f" * 32


def test_the_server_payload_is_what_the_kiosk_parses():
    text = enrolment_payload("0a1b2c3d4e5f6071", fingerprint_b32(FINGERPRINT), "ABCD-EFGH-JKLM")
    assert text == EnrolmentPayload("0a1b2c3d4e5f6071", FINGERPRINT, "ABCD-EFGH-JKLM").text()
    assert parse_payload(text) == EnrolmentPayload("0a1b2c3d4e5f6071", FINGERPRINT,
                                                   "ABCD-EFGH-JKLM")
    # A hex fingerprint (say, typed from `kiosk add --json`) works as well.
    assert parse_payload(f"SFK1:0A1B2C3D4E5F6071:{FINGERPRINT}:ABCD-EFGH-JKLM").fingerprint \
        == FINGERPRINT


def test_the_qr_code_reads_back_from_an_image():
    text = enrolment_payload("0a1b2c3d4e5f6071", fingerprint_b32(FINGERPRINT), "ABCD-EFGH-JKLM")
    image = Image.open(io.BytesIO(qr_png(text))).convert("L").resize((320, 320))
    assert decode_qr(image) == [text]
    assert is_payload(text)


@pytest.mark.parametrize("text", ["SFK1:abc:short:CODE", "SFK1::" + "A" * 52 + ":CODE",
                                  "SFK2:abc:" + "A" * 52 + ":CODE", "ABCD-EFGH-JKLM"])
def test_damaged_or_foreign_codes_are_refused(text):
    with pytest.raises(ConfigError):
        parse_payload(text)
