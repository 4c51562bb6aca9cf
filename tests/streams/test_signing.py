"""Signing: HMAC-SHA256 over the exact value bytes, one key per source."""

from streams.signing import SIGNATURE_HEADER, SOURCE_HEADER, header_map, sign, signed_headers, verify


def test_signature_verifies_only_the_same_bytes_under_the_same_key():
    value = b'{"a":1}'
    signature = sign(b"key", value)
    assert len(signature) == 64 and verify(b"key", value, signature)
    assert verify(b"key", value, signature.upper())
    assert not verify(b"other", value, signature)
    assert not verify(b"key", value + b" ", signature)
    assert not verify(b"key", value, "not-hex")


def test_known_vector():
    # RFC 4231 test case 2
    assert sign(b"Jefe", b"what do ya want for nothing?") == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"


def test_headers_round_trip_as_pairs_or_mapping():
    pairs = signed_headers("detector.a", b"k", b"v")
    found = header_map(pairs)
    assert found[SOURCE_HEADER] == b"detector.a" and verify(b"k", b"v", found[SIGNATURE_HEADER].decode())
    assert header_map({"x": "y"}) == {"x": b"y"}
    assert header_map(None) == {}
