"""Encryption at rest with AES-GCM and envelope encryption, as a key manager (KMS) does it.

- Each partition gets its own random 256-bit **data key** (DEK) and is encrypted with AES-GCM:
  confidentiality plus an authentication tag, so tampering is detected, not decrypted to garbage.
- The data key is stored next to the data, **wrapped** (encrypted) by a **master key** (KEK)
  that never leaves the key manager. Reading a partition = unwrap its DEK, then decrypt.
- **Rotation** of the master key re-wraps every DEK (a few dozen bytes each) and leaves the data
  untouched: gigabytes of Parquet are not rewritten.
- The partition name is bound in as associated data: a ciphertext copied under another
  partition's name fails to decrypt.

    >>> ring = Keyring.generate("kek-1", seed=1)
    >>> store = EnvelopeStore(ring)
    >>> store.put("2024-01", b"hello")
    >>> store.get("2024-01")
    b'hello'
    >>> stats = store.rotate(Keyring.generate("kek-2", seed=2))
    >>> stats["data_bytes_rewritten"], store.get("2024-01")
    (0, b'hello')
"""
from __future__ import annotations

import os
import random
import time
from dataclasses import dataclass, replace

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from labs._check import is_whole

NONCE_BYTES = 12  # AES-GCM's standard nonce; never reuse one under the same key
KEY_BYTES = 32


class DecryptionError(ValueError):
    """The key does not decrypt this ciphertext (wrong key, or the bytes were altered)."""


@dataclass(frozen=True)
class Keyring:
    """Master keys by id, as a key manager would hold them; ``current`` wraps new data keys."""
    keys: dict
    current: str

    @classmethod
    def generate(cls, key_id: str, seed: int | None = None) -> "Keyring":
        return cls({key_id: _random_bytes(KEY_BYTES, seed)}, key_id)

    def key(self, key_id: str) -> bytes:
        if key_id not in self.keys:
            raise DecryptionError(f"master key {key_id!r} is not in the keyring (known: {', '.join(self.keys)}); "
                                  "was it destroyed, or is this the wrong environment?")
        return self.keys[key_id]


@dataclass(frozen=True)
class Sealed:
    """One encrypted partition as stored: ciphertext plus its wrapped data key."""
    name: str
    nonce: bytes
    ciphertext: bytes
    wrapped_key: bytes  # nonce + AES-GCM(KEK, DEK): 12 + 32 + 16 bytes
    kek_id: str


def encrypt(key: bytes, plaintext: bytes, aad: bytes = b"", nonce: bytes | None = None) -> tuple[bytes, bytes]:
    """AES-GCM: (nonce, ciphertext with its 16-byte tag)."""
    nonce = nonce or os.urandom(NONCE_BYTES)
    return nonce, AESGCM(key).encrypt(nonce, plaintext, aad)


def decrypt(key: bytes, nonce: bytes, ciphertext: bytes, aad: bytes = b"", what: str = "ciphertext") -> bytes:
    try:
        return AESGCM(key).decrypt(nonce, ciphertext, aad)
    except InvalidTag:
        raise DecryptionError(f"{what}: the key does not decrypt it (wrong key, wrong partition name, "
                              "or the bytes were altered)") from None


def wrap(kek: bytes, dek: bytes, name: str) -> bytes:
    nonce, sealed = encrypt(kek, dek, b"dek:" + name.encode())
    return nonce + sealed


def unwrap(kek: bytes, wrapped: bytes, name: str, kek_id: str = "?") -> bytes:
    return decrypt(kek, wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], b"dek:" + name.encode(),
                   what=f"data key of partition {name!r} under master key {kek_id!r}")


class EnvelopeStore:
    """Partitions encrypted with one data key each, wrapped by the keyring's current master key."""

    def __init__(self, keyring: Keyring):
        self.keyring = keyring
        self.partitions: dict[str, Sealed] = {}

    def put(self, name: str, plaintext: bytes) -> None:
        dek = AESGCM.generate_key(bit_length=256)
        nonce, ciphertext = encrypt(dek, plaintext, name.encode())
        kek_id = self.keyring.current
        sealed = Sealed(name, nonce, ciphertext, wrap(self.keyring.key(kek_id), dek, name), kek_id)
        self.partitions[name] = sealed

    def get(self, name: str) -> bytes:
        if name not in self.partitions:
            raise KeyError(f"no partition {name!r}; stored: {', '.join(sorted(self.partitions)) or 'none'}")
        s = self.partitions[name]
        dek = unwrap(self.keyring.key(s.kek_id), s.wrapped_key, name, s.kek_id)
        return decrypt(dek, s.nonce, s.ciphertext, name.encode(), what=f"partition {name!r}")

    def rotate(self, new: Keyring, retire_old: bool = True) -> dict:
        """Re-wrap every data key under ``new.current``; the data itself is not touched.

        All data keys are unwrapped and re-wrapped first and swapped in at the end, so a key
        that fails halfway leaves the store exactly as it was.
        """
        rewrapped = {}
        for name, s in self.partitions.items():
            dek = unwrap(self.keyring.key(s.kek_id), s.wrapped_key, name, s.kek_id)
            rewrapped[name] = replace(s, wrapped_key=wrap(new.key(new.current), dek, name), kek_id=new.current)
        keys = dict(new.keys) if retire_old else {**self.keyring.keys, **new.keys}
        self.partitions, self.keyring = rewrapped, Keyring(keys, new.current)
        return {"partitions": len(rewrapped),
                "key_bytes_rewritten": sum(len(s.wrapped_key) for s in rewrapped.values()),
                "data_bytes_rewritten": 0,
                "data_bytes_stored": sum(len(s.ciphertext) for s in rewrapped.values())}


def reencrypt_cost(store: EnvelopeStore) -> int:
    """Bytes a rotation would rewrite WITHOUT envelopes: every partition's ciphertext."""
    return sum(len(s.ciphertext) for s in store.partitions.values())


def throughput(megabytes: int = 32, repeats: int = 3) -> dict:
    """Encrypt/decrypt speed of AES-GCM in MB/s on this machine (best of ``repeats``)."""
    if not is_whole(megabytes) or megabytes <= 0:
        raise ValueError(f"megabytes must be a positive integer, not {megabytes!r}.")
    data = os.urandom(megabytes * 1_000_000)
    key = AESGCM.generate_key(bit_length=256)
    best_enc = best_dec = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        nonce, ct = encrypt(key, data)
        t1 = time.perf_counter()
        decrypt(key, nonce, ct)
        t2 = time.perf_counter()
        best_enc, best_dec = min(best_enc, t1 - t0), min(best_dec, t2 - t1)
    return {"MB": megabytes, "encrypt_MB_s": megabytes / best_enc, "decrypt_MB_s": megabytes / best_dec}


def decrypt_vs_parse(parquet: bytes, repeats: int = 20) -> dict:
    """Seconds to decrypt a Parquet partition and to parse it into pandas (best of ``repeats``):
    what encryption at rest adds to a read that happens anyway. The ratio says more than either
    time, which depends on the machine."""
    import io

    import pandas as pd

    key = AESGCM.generate_key(bit_length=256)
    nonce, sealed = encrypt(key, parquet)
    best_dec = best_parse = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        plain = decrypt(key, nonce, sealed)
        t1 = time.perf_counter()
        pd.read_parquet(io.BytesIO(plain))
        t2 = time.perf_counter()
        best_dec, best_parse = min(best_dec, t1 - t0), min(best_parse, t2 - t1)
    return {"bytes": len(parquet), "decrypt_s": best_dec, "parse_s": best_parse, "ratio": best_dec / best_parse}


def _random_bytes(n: int, seed: int | None) -> bytes:
    # A seed is for lessons and tests only: real keys come from os.urandom or a key manager.
    return random.Random(seed).randbytes(n) if seed is not None else os.urandom(n)
