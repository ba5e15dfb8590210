"""Encrypted backups: a backup archive sealed to a passphrase or to a recipient's public key.

Only primitives of `cryptography` are used, put together the way age (age-encryption.org)
and Tink's streaming AEAD do it:

- A random 32-byte **file key** per backup encrypts the archive with AES-256-GCM in chunks
  of `CHUNK` bytes (the STREAM construction): chunk i has the nonce i (11 bytes, big
  endian) followed by 1 for the last chunk and 0 for the others, and every chunk
  authenticates the whole header as associated data. Reordered, dropped, truncated or
  altered chunks, and any change to the header, fail their check.
- The file key is **wrapped** for the one who may open the backup:
  - `passphrase`: AES-256-GCM under a key from scrypt (n=2^17, r=8, p=1; 128 MiB) of the
    passphrase and a random salt;
  - `x25519`: AES-256-GCM under a key from HKDF-SHA256 of an X25519 exchange between a
    fresh ephemeral key and the recipient's public key (salt: both public keys);
  - `rsa`: RSA-OAEP with SHA-256 (keys of 3072 bits or more).

The file: `MAGIC`, the header's length (4 bytes, big endian), the header (JSON: version,
mode, chunk size, what the mode needs, the recipient key's fingerprint), then the chunks.
Keys are PEM files as OpenSSL writes them: the recipient a public key (SubjectPublicKeyInfo,
`openssl pkey -pubout`), the identity its unencrypted private key (PKCS#8).

Errors are `SealError`, which never leaves the backup service: it turns them into
BackupError.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from cryptography.exceptions import InvalidTag, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa, x25519
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

MAGIC = b"SHOPFLOOR-SEALED"
VERSION = 1
CHUNK = 1024 * 1024
TAG = 16
KEY_BYTES = 32
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**17, 8, 1
# What a header may ask of the reader: more would let a crafted file exhaust memory.
SCRYPT_MAX_N, SCRYPT_MAX_R, SCRYPT_MAX_P = 2**20, 16, 4
MAX_HEADER = 64 * 1024
MIN_RSA_BITS = 3072
MIN_PASSPHRASE_LENGTH = 12
_WRAP_AAD = b"shopfloor-backup file key"
_HKDF_INFO = b"shopfloor-backup x25519"


class SealError(Exception):
    """A backup that cannot be sealed or opened, said in one line."""


# --- keys ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Passphrase:
    text: str

    def __post_init__(self) -> None:
        if len(self.text) < MIN_PASSPHRASE_LENGTH:
            raise SealError(f"the passphrase must have at least {MIN_PASSPHRASE_LENGTH} "
                            "characters")


Recipient = x25519.X25519PublicKey | rsa.RSAPublicKey
Identity = x25519.X25519PrivateKey | rsa.RSAPrivateKey
Lock = Passphrase | Recipient
Unlock = Passphrase | Identity


def _read_pem(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise SealError(f"cannot read the {what} {path}: {error.strerror}") from None


def load_recipient(path: Path) -> Recipient:
    """An X25519 or RSA (3072 bits or more) public key from a PEM file."""
    try:
        key = serialization.load_pem_public_key(_read_pem(path, "recipient key"))
    except (ValueError, UnsupportedAlgorithm):
        raise SealError(f"{path} is no PEM public key (make one with `openssl pkey -in "
                        "KEY -pubout`)") from None
    return _check_key(key, path)


def load_identity(path: Path) -> Identity:
    """The private key (unencrypted PEM, PKCS#8) that opens backups sealed to its public key."""
    try:
        key = serialization.load_pem_private_key(_read_pem(path, "identity"), password=None)
    except TypeError:
        raise SealError(f"{path} is an encrypted private key: give it unencrypted (e.g. "
                        "`openssl pkey -in KEY -out PLAIN`) on the machine that restores"
                        ) from None
    except (ValueError, UnsupportedAlgorithm):
        raise SealError(f"{path} is no PEM private key") from None
    if isinstance(key, x25519.X25519PrivateKey | rsa.RSAPrivateKey):
        _check_key(key.public_key(), path)
        return key
    raise SealError(f"{path}: only X25519 and RSA keys can open a backup")


def _check_key(key: object, path: Path) -> Recipient:
    if isinstance(key, x25519.X25519PublicKey):
        return key
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size < MIN_RSA_BITS:
            raise SealError(f"{path}: an RSA key of {key.key_size} bits is too small "
                            f"(at least {MIN_RSA_BITS})")
        return key
    raise SealError(f"{path}: only X25519 and RSA public keys can receive a backup")


def fingerprint(key: Recipient) -> str:
    """sha256 of the public key's DER form, its first 16 hex digits: names a key in
    messages and in the header."""
    der = key.public_bytes(serialization.Encoding.DER,
                           serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()[:16]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _unb64(value: object) -> bytes:
    if not isinstance(value, str):
        raise SealError("the backup's header is damaged")
    try:
        return base64.b64decode(value, validate=True)
    except ValueError:
        raise SealError("the backup's header is damaged") from None


def _x25519_kek(shared: bytes, ephemeral: bytes, recipient: bytes) -> bytes:
    return HKDF(hashes.SHA256(), KEY_BYTES, salt=ephemeral + recipient,
                info=_HKDF_INFO).derive(shared)


def _raw(key: x25519.X25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _wrap(lock: Lock, file_key: bytes) -> dict[str, Any]:
    nonce = os.urandom(12)
    if isinstance(lock, Passphrase):
        salt = os.urandom(16)
        kek = Scrypt(salt=salt, length=KEY_BYTES, n=SCRYPT_N, r=SCRYPT_R,
                     p=SCRYPT_P).derive(lock.text.encode())
        return {"mode": "passphrase", "salt": _b64(salt),
                "scrypt": {"n": SCRYPT_N, "r": SCRYPT_R, "p": SCRYPT_P},
                "wrapped_key": _b64(nonce + AESGCM(kek).encrypt(nonce, file_key, _WRAP_AAD))}
    if isinstance(lock, x25519.X25519PublicKey):
        ephemeral = x25519.X25519PrivateKey.generate()
        public = _raw(ephemeral.public_key())
        kek = _x25519_kek(ephemeral.exchange(lock), public, _raw(lock))
        return {"mode": "x25519", "ephemeral": _b64(public), "recipient": fingerprint(lock),
                "wrapped_key": _b64(nonce + AESGCM(kek).encrypt(nonce, file_key, _WRAP_AAD))}
    wrapped = lock.encrypt(file_key, _oaep())
    return {"mode": "rsa", "recipient": fingerprint(lock), "wrapped_key": _b64(wrapped)}


def _oaep() -> padding.OAEP:
    return padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA256()),
                        algorithm=hashes.SHA256(), label=None)


def _unwrap(header: dict[str, Any], unlock: Unlock | None) -> bytes:
    mode = header.get("mode")
    wrapped = _unb64(header.get("wrapped_key"))
    if mode == "passphrase":
        if not isinstance(unlock, Passphrase):
            raise SealError("this backup is encrypted with a passphrase: give it on stdin "
                            "or in SHOPFLOOR_BACKUP_PASSPHRASE")
        params = header.get("scrypt")
        if not isinstance(params, dict) or not all(
                isinstance(params.get(k), int) for k in ("n", "r", "p")):
            raise SealError("the backup's header is damaged")
        n, r, p = params["n"], params["r"], params["p"]
        if not (1 < n <= SCRYPT_MAX_N and n & (n - 1) == 0 and 0 < r <= SCRYPT_MAX_R
                and 0 < p <= SCRYPT_MAX_P):
            raise SealError("the backup's header asks for key derivation settings this "
                            "server does not accept")
        kek = Scrypt(salt=_unb64(header.get("salt")), length=KEY_BYTES, n=n, r=r,
                     p=p).derive(unlock.text.encode())
        return _open_wrapped(kek, wrapped, "wrong passphrase")
    if mode in ("x25519", "rsa"):
        if isinstance(unlock, Passphrase) or unlock is None:
            raise SealError(f"this backup is encrypted to the key {header.get('recipient')}: "
                            "give its private key with --identity FILE")
        refused = (f"this backup is encrypted to the key {header.get('recipient')}, not to "
                   f"the identity given ({fingerprint(unlock.public_key())})")
        if mode == "x25519":
            if not isinstance(unlock, x25519.X25519PrivateKey):
                raise SealError(refused)
            ephemeral = _unb64(header.get("ephemeral"))
            try:
                shared = unlock.exchange(x25519.X25519PublicKey.from_public_bytes(ephemeral))
            except ValueError:
                raise SealError("the backup's header is damaged") from None
            kek = _x25519_kek(shared, ephemeral, _raw(unlock.public_key()))
            return _open_wrapped(kek, wrapped, refused)
        if not isinstance(unlock, rsa.RSAPrivateKey):
            raise SealError(refused)
        try:
            file_key = unlock.decrypt(wrapped, _oaep())
        except ValueError:
            raise SealError(refused) from None
        if len(file_key) != KEY_BYTES:
            raise SealError("the backup's header is damaged")
        return file_key
    raise SealError(f"this backup is sealed in a way this server does not know ({mode})")


def _open_wrapped(kek: bytes, wrapped: bytes, refused: str) -> bytes:
    if len(wrapped) != 12 + KEY_BYTES + TAG:
        raise SealError("the backup's header is damaged")
    try:
        return AESGCM(kek).decrypt(wrapped[:12], wrapped[12:], _WRAP_AAD)
    except InvalidTag:
        raise SealError(refused) from None


# --- the file -----------------------------------------------------------------------------

def _nonce(counter: int, last: bool) -> bytes:
    return counter.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


class Sealer:
    """A write-only file object that seals what is written into `sink`; `finish` seals
    the last chunk (without it the file is refused as truncated)."""

    def __init__(self, sink: BinaryIO, lock: Lock) -> None:
        self._sink = sink
        self._key = os.urandom(KEY_BYTES)
        header = json.dumps({"version": VERSION, "chunk": CHUNK, **_wrap(lock, self._key)},
                            sort_keys=True).encode()
        self._aad = MAGIC + struct.pack(">I", len(header)) + header
        self._aead = AESGCM(self._key)
        self._buffer = bytearray()
        self._counter = 0
        sink.write(self._aad)

    def write(self, data: bytes) -> int:
        self._buffer += data
        while len(self._buffer) > CHUNK:  # keep one back: the last chunk is marked
            self._seal(bytes(self._buffer[:CHUNK]), last=False)
            del self._buffer[:CHUNK]
        return len(data)

    def finish(self) -> None:
        self._seal(bytes(self._buffer), last=True)
        self._buffer.clear()

    def _seal(self, chunk: bytes, last: bool) -> None:
        self._sink.write(self._aead.encrypt(_nonce(self._counter, last), chunk, self._aad))
        self._counter += 1


def _read_header(handle: BinaryIO) -> tuple[dict[str, Any], bytes] | None:
    """The header and the bytes it authenticates, or None for a file that is not sealed."""
    if handle.read(len(MAGIC)) != MAGIC:
        return None
    size_bytes = handle.read(4)
    if len(size_bytes) != 4 or not 0 < struct.unpack(">I", size_bytes)[0] <= MAX_HEADER:
        raise SealError("the backup's header is damaged")
    raw = handle.read(struct.unpack(">I", size_bytes)[0])
    try:
        header = json.loads(raw)
    except ValueError:
        raise SealError("the backup's header is damaged") from None
    if not isinstance(header, dict) or header.get("version") != VERSION \
            or header.get("chunk") != CHUNK:
        raise SealError("this backup was sealed by another version of Shopfloor: open it "
                        "with that version")
    return header, MAGIC + size_bytes + raw


def sealed_mode(path: Path) -> str | None:
    """"passphrase", "x25519" or "rsa" for a sealed backup, None for a plain one."""
    with path.open("rb") as handle:
        found = _read_header(handle)
    return None if found is None else str(found[0].get("mode"))


def unseal(path: Path, out: BinaryIO, unlock: Unlock | None) -> None:
    """Write the archive sealed in `path` to `out`, every chunk checked on the way. On any
    failure the caller must discard what was written."""
    with path.open("rb") as handle:
        found = _read_header(handle)
        if found is None:
            raise SealError(f"{path} is not an encrypted backup")
        header, aad = found
        aead = AESGCM(_unwrap(header, unlock))
        counter = 0
        block = handle.read(CHUNK + TAG)
        while True:
            following = handle.read(CHUNK + TAG) if len(block) == CHUNK + TAG else b""
            last = not following
            try:
                out.write(aead.decrypt(_nonce(counter, last), block, aad))
            except InvalidTag:
                raise SealError("the backup is damaged or was altered (a part of it failed "
                                "its check)") from None
            if last:
                return
            block, counter = following, counter + 1
