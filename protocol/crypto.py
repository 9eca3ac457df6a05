"""OpenD body encryption: RSA-1024 for InitConnect, AES for every later frame.

Both ends hold the same PKCS#1 private key. Every RSA encryption uses the public half and
every decryption the private half, in both directions, so one `RsaCipher` serves client
and server alike. AES comes in OpenD's two modes: CBC with the same IV restarted on each
frame (PKCS#7), and Futu's ECB variant (zero padding plus a 16-byte clear trailer whose
last byte is len % 16). All failures raise `CryptoError` (a ValueError).
"""

from __future__ import annotations

import secrets
import string
from pathlib import Path
from typing import Protocol

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

RSA_BITS = 1024
RSA_BLOCK = RSA_BITS // 8  # ciphertext block
RSA_CHUNK = 100  # plaintext chunk the SDK uses for 1024-bit keys
AES_BLOCK = 16

# Common.PacketEncAlgo values carried in InitConnect.
ALGO_FTAES_ECB = 0
ALGO_NONE = -1
ALGO_AES_ECB = 1
ALGO_AES_CBC = 2


class CryptoError(ValueError):
    """A body could not be encrypted or decrypted."""


class BodyCipher(Protocol):
    def encrypt(self, plain: bytes) -> bytes: ...
    def decrypt(self, wire: bytes) -> bytes: ...


class RsaCipher:
    """RSA-1024 PKCS#1 v1.5 in OpenD's chunking (100-byte plain pieces, 128-byte blocks)."""

    def __init__(self, private_key: rsa.RSAPrivateKey) -> None:
        if private_key.key_size != RSA_BITS:
            raise CryptoError(f"OpenD needs a {RSA_BITS}-bit RSA key, got {private_key.key_size}")
        self._private = private_key
        self._public = private_key.public_key()
        self._pad = padding.PKCS1v15()

    @classmethod
    def from_pem(cls, pem: bytes) -> RsaCipher:
        try:
            key = serialization.load_pem_private_key(pem, password=None)
        except (ValueError, TypeError) as exc:
            raise CryptoError(f"not a PEM RSA private key: {exc}") from None
        if not isinstance(key, rsa.RSAPrivateKey):
            raise CryptoError("the key file holds no RSA private key")
        return cls(key)

    @classmethod
    def from_file(cls, path: str | Path) -> RsaCipher:
        return cls.from_pem(Path(path).read_bytes())

    @classmethod
    def generate(cls) -> RsaCipher:
        return cls(rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS))

    def private_pem(self) -> bytes:
        """PKCS#1 PEM, the form FutuOpenD.xml and the SDK read."""
        return self._private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )

    def encrypt(self, plain: bytes) -> bytes:
        enc = self._public.encrypt
        return b"".join(enc(plain[i:i + RSA_CHUNK], self._pad) for i in range(0, len(plain), RSA_CHUNK))

    def decrypt(self, wire: bytes) -> bytes:
        if len(wire) % RSA_BLOCK:
            raise CryptoError(f"RSA body of {len(wire)} bytes is not a multiple of {RSA_BLOCK}")
        dec = self._private.decrypt
        try:
            return b"".join(dec(wire[i:i + RSA_BLOCK], self._pad) for i in range(0, len(wire), RSA_BLOCK))
        except ValueError as exc:
            raise CryptoError(f"RSA decryption failed: {exc}") from None


def _aes(key: bytes) -> algorithms.AES:
    if len(key) not in (16, 24, 32):
        raise CryptoError(f"AES key must be 16, 24 or 32 bytes, got {len(key)}")
    return algorithms.AES(key)


class AesCbcCipher:
    """AES-CBC, PKCS#7, with the fixed IV restarted for every frame (no chaining)."""

    def __init__(self, key: bytes, iv: bytes) -> None:
        if len(iv) != AES_BLOCK:
            raise CryptoError(f"AES IV must be 16 bytes, got {len(iv)}")
        self._iv = iv
        self._cipher = Cipher(_aes(key), modes.CBC(iv))
        # CBC decryption is ECB then XOR with the previous ciphertext block (the IV first);
        # one stateless ECB context saves building a CBC context for every frame.
        self._ecb = Cipher(_aes(key), modes.ECB()).decryptor()

    def encrypt(self, plain: bytes) -> bytes:
        pad = AES_BLOCK - len(plain) % AES_BLOCK
        enc = self._cipher.encryptor()
        return enc.update(plain + bytes((pad,)) * pad) + enc.finalize()

    def decrypt(self, wire: bytes) -> bytes:
        if not wire or len(wire) % AES_BLOCK:
            raise CryptoError(f"AES-CBC body of {len(wire)} bytes is not a positive multiple of 16")
        n = len(wire)
        mixed = int.from_bytes(self._ecb.update(wire), "little") ^ int.from_bytes(self._iv + wire[:-AES_BLOCK], "little")
        plain = mixed.to_bytes(n, "little")
        pad = plain[-1]
        if not 1 <= pad <= AES_BLOCK or plain[-pad:] != bytes((pad,)) * pad:
            raise CryptoError("AES-CBC padding is invalid (wrong key or corrupt body)")
        return plain[:-pad]


class AesEcbCipher:
    """Futu's ECB variant: zero-pad to 16, ECB, then a clear trailer 00*15 || len % 16."""

    def __init__(self, key: bytes) -> None:
        cipher = Cipher(_aes(key), modes.ECB())
        # ECB keeps no state between blocks, so one context serves every frame.
        self._enc = cipher.encryptor()
        self._dec = cipher.decryptor()

    def encrypt(self, plain: bytes) -> bytes:
        mod = len(plain) % AES_BLOCK
        if mod:
            plain += bytes(AES_BLOCK - mod)
        return self._enc.update(plain) + bytes(AES_BLOCK - 1) + bytes((mod,))

    def decrypt(self, wire: bytes) -> bytes:
        if len(wire) < AES_BLOCK or len(wire) % AES_BLOCK:
            raise CryptoError(f"FTAES-ECB body of {len(wire)} bytes is not a multiple of 16 (>= 16)")
        mod = wire[-1]
        if mod >= AES_BLOCK:
            raise CryptoError(f"FTAES-ECB trailer says {mod} bytes in the last block (max 15)")
        plain = self._dec.update(wire[:-AES_BLOCK])
        if mod:
            if not plain:
                raise CryptoError("FTAES-ECB trailer announces a partial block but there is none")
            plain = plain[: len(plain) - (AES_BLOCK - mod)]
        return plain


_KEY_ALPHABET = string.ascii_letters + string.digits


def random_key_text(n: int = 16) -> str:
    """A fresh key or IV as OpenD sends them: printable ASCII, used as raw UTF-8 bytes."""
    return "".join(secrets.choice(_KEY_ALPHABET) for _ in range(n))


def aes_cipher(key: str, iv: str | None) -> BodyCipher:
    """The body cipher an InitConnect reply selects: an IV means CBC, none means FTAES-ECB."""
    if iv:
        return AesCbcCipher(key.encode(), iv.encode())
    return AesEcbCipher(key.encode())
