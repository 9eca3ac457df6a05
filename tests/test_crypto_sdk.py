"""Our crypto against the official SDK's own routines: each side decrypts the other."""

from __future__ import annotations

import pytest

from protocol.crypto import AesCbcCipher, AesEcbCipher, CryptoError, RsaCipher

pytestmark = pytest.mark.sdk

SIZES = [0, 1, 15, 16, 17, 31, 32, 33, 99, 100, 101, 127, 128, 200, 255, 256, 1000, 1023, 1024, 2000]
KEY, IV = "0123456789abcdef", "fedcba9876543210"


def payload(n: int) -> bytes:
    return bytes((i * 31 + 7) % 256 for i in range(n))


@pytest.fixture(scope="module")
def sdk():
    from futu.common.conn_mng import FutuConnMng
    from futu.common.sys_config import RsaCrypt, SysConfig

    return FutuConnMng, RsaCrypt, SysConfig


@pytest.fixture
def sdk_rsa(sdk, rsa_key_file):
    _, rsa_crypt, sys_config = sdk
    saved = sys_config.INIT_RSA_FILE
    sys_config.set_init_rsa_file(str(rsa_key_file))  # also drops the SDK's cached cipher
    yield rsa_crypt
    # A configured RSA file makes every later SDK context RSA-encrypt its InitConnect.
    sys_config.set_init_rsa_file(saved)


@pytest.fixture(scope="module")
def sdk_conns(sdk):
    conn_mng = sdk[0]
    conn_mng.add_conn({"conn_id": 901, "conn_key": KEY, "conn_iv": IV, "is_encrypt": True})
    conn_mng.add_conn({"conn_id": 902, "conn_key": KEY, "conn_iv": None, "is_encrypt": True})
    yield conn_mng
    conn_mng.remove_conn(901)
    conn_mng.remove_conn(902)


@pytest.mark.parametrize("size", SIZES)
def test_rsa_both_directions(size, sdk_rsa, rsa_key_file):
    ours = RsaCipher.from_file(rsa_key_file)
    data = payload(size)
    assert sdk_rsa.decrypt(ours.encrypt(data)) == data
    assert ours.decrypt(sdk_rsa.encrypt(data)) == data


@pytest.mark.parametrize("size", SIZES)
def test_aes_cbc_both_directions(size, sdk_conns):
    ours = AesCbcCipher(KEY.encode(), IV.encode())
    data = payload(size)
    wire = ours.encrypt(data)
    assert len(wire) == (size // 16 + 1) * 16  # PKCS#7 always adds 1..16 bytes
    assert sdk_conns.decrypt_conn_data(901, wire) == (0, "", data)
    ret, _, sdk_wire = sdk_conns.encrypt_conn_data(901, data)
    assert ret == 0 and sdk_wire == wire  # same IV restarted per frame: identical bytes
    assert ours.decrypt(sdk_wire) == data


@pytest.mark.parametrize("size", SIZES)
def test_ftaes_ecb_both_directions(size, sdk_conns):
    ours = AesEcbCipher(KEY.encode())
    data = payload(size)
    wire = ours.encrypt(data)
    assert len(wire) == -(-size // 16) * 16 + 16
    assert sdk_conns.decrypt_conn_data(902, wire) == (0, "", data)
    ret, _, sdk_wire = sdk_conns.encrypt_conn_data(902, data)
    assert ret == 0 and sdk_wire == wire
    assert ours.decrypt(sdk_wire) == data


def test_worked_examples():
    body = bytes.fromhex("0a060880e2cfaa06")
    assert AesCbcCipher(KEY.encode(), IV.encode()).encrypt(body).hex() == "4bc11368bce415e70d42bcceebbc6aaf"
    assert AesEcbCipher(KEY.encode()).encrypt(body).hex() == "b17b921a52c472c697a86dda79bcf9a8" + "00" * 15 + "08"


def test_rsa_rejects_other_key_sizes_and_garbage():
    from cryptography.hazmat.primitives.asymmetric import rsa

    with pytest.raises(CryptoError, match="1024-bit"):
        RsaCipher(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    with pytest.raises(CryptoError):
        RsaCipher.from_pem(b"-----BEGIN RSA PRIVATE KEY-----\nnope\n-----END RSA PRIVATE KEY-----\n")
    with pytest.raises(CryptoError):
        RsaCipher.generate().decrypt(b"\x00" * 127)


def test_aes_rejects_bad_bodies():
    cbc = AesCbcCipher(KEY.encode(), IV.encode())
    ecb = AesEcbCipher(KEY.encode())
    for bad in (b"", b"x" * 15, b"x" * 17):
        with pytest.raises(CryptoError):
            cbc.decrypt(bad)
        with pytest.raises(CryptoError):
            ecb.decrypt(bad)
    with pytest.raises(CryptoError, match="trailer"):
        ecb.decrypt(bytes(16) + bytes(15) + b"\x20")
