"""Sans-IO OpenD framing: bytes in any chunking -> frames, frames -> bytes.

A frame is a 44-byte little-endian header plus a body:

    off size field
      0    2 flag        b"FT"
      2    4 proto_id
      6    1 fmt         0 protobuf, 1 JSON
      7    1 proto_ver   0
      8    4 serial_no
     12    4 body_len    length of the body as sent (after encryption)
     16   20 sha1        SHA-1 of the body plaintext
     36    8 reserved    zeros

No sockets here: feed bytes to a `FrameDecoder` and pull `Frame`s out; `FrameEncoder`
turns a plaintext body into wire bytes. Both share a `BodyCrypto` that says how bodies
are encrypted on this connection right now (it changes once InitConnect completes).
Every problem with the input raises `ProtocolError`, and nothing else.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterator
from typing import NamedTuple

from protocol.crypto import BodyCipher, CryptoError, RsaCipher

HEADER = struct.Struct("<2sIBBII20s8s")
HEADER_SIZE = HEADER.size  # 44
FLAG = b"FT"
FMT_PROTOBUF = 0
FMT_JSON = 1
DEFAULT_MAX_BODY = 4 * 1024 * 1024
INIT_CONNECT = 1001
_RESERVED = bytes(8)
_COMPACT_AT = 1 << 16
_sha1 = hashlib.sha1


class ProtocolError(Exception):
    """The byte stream broke the OpenD wire format; the message says what and where."""


class Frame(NamedTuple):
    proto_id: int
    serial_no: int
    body: bytes | bytearray  # plaintext (decrypted, SHA-1 checked)
    fmt: int = FMT_PROTOBUF


class BodyCrypto:
    """How bodies are encrypted on one connection, in both directions.

    `rsa` (when set) covers InitConnect frames; `aes` (set once InitConnect has
    completed on an encrypted connection) covers every other frame.
    """

    __slots__ = ("rsa", "aes")

    def __init__(self, rsa: RsaCipher | None = None, aes: BodyCipher | None = None) -> None:
        self.rsa = rsa
        self.aes = aes

    def _cipher(self, proto_id: int) -> BodyCipher | None:
        return self.rsa if proto_id == INIT_CONNECT else self.aes

    def seal(self, proto_id: int, plain: bytes) -> bytes:
        cipher = self._cipher(proto_id)
        return plain if cipher is None else cipher.encrypt(plain)

    def open(self, proto_id: int, wire: bytes) -> bytes:
        cipher = self._cipher(proto_id)
        return wire if cipher is None else cipher.decrypt(wire)


def encode_frame(
    proto_id: int,
    serial_no: int,
    body: bytes,
    crypto: BodyCrypto | None = None,
    fmt: int = FMT_PROTOBUF,
) -> bytes:
    """One frame as wire bytes: SHA-1 over the plaintext, body_len of what is sent."""
    wire = body if crypto is None else crypto.seal(proto_id, body)
    head = HEADER.pack(FLAG, proto_id, fmt, 0, serial_no, len(wire), _sha1(body).digest(), _RESERVED)
    return head + wire


class FrameDecoder:
    """Incremental decoder. `feed()` bytes, then call `next_frame()` until it returns None.

    Frames are decrypted when they are taken out, with the `crypto` in force at that
    moment, so a caller can switch on AES right after taking the InitConnect frame even if
    later frames already sit in the buffer. After a `ProtocolError` the stream has lost
    its framing: the decoder stays failed and raises the same error again.
    """

    def __init__(self, crypto: BodyCrypto | None = None, max_body: int = DEFAULT_MAX_BODY) -> None:
        self.crypto = crypto or BodyCrypto()
        self.max_body = max_body
        self._buf = bytearray()
        self._pos = 0  # start of the next frame in _buf
        self._dropped = 0  # bytes already removed from the front of _buf
        self._error: ProtocolError | None = None

    @property
    def buffered(self) -> int:
        """Bytes received but not yet returned as a frame."""
        return len(self._buf) - self._pos

    @property
    def offset(self) -> int:
        """Stream offset of the next frame's first byte."""
        return self._dropped + self._pos

    def feed(self, data: bytes) -> None:
        if self._error is not None:
            raise self._error
        self._buf += data

    def _fail(self, message: str) -> ProtocolError:
        self._error = ProtocolError(message)
        return self._error

    def next_frame(self) -> Frame | None:
        for frame in self:
            return frame
        return None

    def _where(self, proto_id: int, serial_no: int, start: int) -> str:
        return f"proto_id {proto_id}, serial {serial_no}, at stream offset {self._dropped + start}"

    def __iter__(self) -> Iterator[Frame]:
        """Yield frames until the buffer holds no complete one.

        Lazy on purpose: each frame is decrypted with the crypto in force when it is
        taken, so the caller may switch AES on between two frames (see class doc).
        """
        if self._error is not None:
            raise self._error
        buf = self._buf
        unpack = HEADER.unpack_from
        max_body = self.max_body
        crypto = self.crypto
        new_frame = tuple.__new__
        while True:
            pos = self._pos
            avail = len(buf) - pos
            if avail < HEADER_SIZE:
                if avail >= 2 and buf[pos:pos + 2] != FLAG:
                    raise self._fail(f"bad frame flag {bytes(buf[pos:pos + 2])!r} at stream offset {self.offset} (expected b'FT')")
                return
            flag, proto_id, fmt, _ver, serial_no, body_len, sha, _ = unpack(buf, pos)
            if flag != FLAG:
                raise self._fail(f"bad frame flag {flag!r} at stream offset {self.offset} (expected b'FT')")
            if body_len > max_body:
                raise self._fail(f"body_len {body_len} exceeds the {max_body}-byte limit ({self._where(proto_id, serial_no, pos)})")
            if fmt > FMT_JSON:
                raise self._fail(f"unknown body format {fmt} ({self._where(proto_id, serial_no, pos)})")
            end = pos + HEADER_SIZE + body_len
            if len(buf) < end:
                return
            body = buf[pos + HEADER_SIZE:end]  # a bytearray copy: bytes() would copy it again
            if end == len(buf) or end > _COMPACT_AT:
                self._advance(end)
            else:
                self._pos = end  # the common case, inline: this loop runs once per push
            cipher = crypto.rsa if proto_id == INIT_CONNECT else crypto.aes
            if cipher is not None:
                try:
                    body = cipher.decrypt(bytes(body))
                except CryptoError as exc:
                    raise self._fail(f"cannot decrypt body: {exc} ({self._where(proto_id, serial_no, pos)})") from None
            if _sha1(body).digest() != sha:
                raise self._fail(f"SHA-1 mismatch: body does not match its header ({self._where(proto_id, serial_no, pos)})")
            yield new_frame(Frame, (proto_id, serial_no, body, fmt))  # Frame(...) without its Python-level __new__

    def _advance(self, end: int) -> None:
        if end == len(self._buf):
            self._dropped += end
            self._buf.clear()
            self._pos = 0
        elif end > _COMPACT_AT:
            self._dropped += end
            del self._buf[:end]
            self._pos = 0
        else:
            self._pos = end

    def frames(self, data: bytes) -> list[Frame]:
        """Feed and return every complete frame (all decrypted with the current crypto)."""
        self.feed(data)
        return list(self)

    def close(self) -> None:
        """End of stream: raise if it stopped inside a frame."""
        if self._error is not None:
            raise self._error
        if self.buffered:
            raise self._fail(f"stream ended inside a frame: {self.buffered} bytes left at stream offset {self.offset}")
