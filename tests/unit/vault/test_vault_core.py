"""Envelope encryption, blind indexes, masking and the keyring's safety checks."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import given, settings
from hypothesis import strategies as st

from faircollect.errors import InputError, IntegrityError, KeyUnavailable
from faircollect.vault.blind_index import BlindIndexer
from faircollect.vault.envelope import (
    data_key_context,
    field_context,
    new_data_key,
    open_sealed,
    seal,
)
from faircollect.vault.keys import LocalKeyring
from faircollect.vault.masking import mask_email, mask_name, mask_national_id, mask_phone
from faircollect.vault.phone import _library, normalise_phone


def test_sealed_field_opens_only_in_its_place() -> None:
    cipher = AESGCM(new_data_key())
    blob = seal(cipher, "张三", field_context("borrowers", "full_name", "b-1"))
    assert "张三".encode() not in blob
    assert open_sealed(cipher, blob, field_context("borrowers", "full_name", "b-1")) == "张三"
    with pytest.raises(IntegrityError):
        open_sealed(cipher, blob, field_context("borrowers", "full_name", "b-2"))
    tampered = blob[:-1] + bytes([blob[-1] ^ 1])
    with pytest.raises(IntegrityError):
        open_sealed(cipher, tampered, field_context("borrowers", "full_name", "b-1"))


def test_keyring_created_private_and_reopened(tmp_path: Path) -> None:
    ring = LocalKeyring.open(tmp_path)
    assert (os.stat(tmp_path / "keyring.json").st_mode & 0o777) == 0o600
    key = new_data_key()
    master, wrapped = ring.wrap(key, context=data_key_context("b-1"))
    again = LocalKeyring.open(tmp_path)
    assert again.unwrap(master, wrapped, context=data_key_context("b-1")) == key
    with pytest.raises(IntegrityError):
        again.unwrap(master, wrapped, context=data_key_context("b-2"))
    assert "key" not in repr(ring).lower().replace("keyring", "")


def test_keyring_readable_by_others_is_refused(tmp_path: Path) -> None:
    LocalKeyring.open(tmp_path)
    os.chmod(tmp_path / "keyring.json", 0o644)
    with pytest.raises(KeyUnavailable, match="chmod 600"):
        LocalKeyring.open(tmp_path)


def test_rotation_keeps_old_wraps_readable_until_retired(tmp_path: Path) -> None:
    ring = LocalKeyring.open(tmp_path)
    key = new_data_key()
    old, wrapped = ring.wrap(key, context=b"c")
    new = ring.rotate()
    assert new != old and ring.current_master_id() == new
    assert ring.unwrap(old, wrapped, context=b"c") == key
    ring.retire(old)
    with pytest.raises(KeyUnavailable):
        ring.unwrap(old, wrapped, context=b"c")
    with pytest.raises(KeyUnavailable):
        ring.retire(new)


def test_blind_index_is_keyed_and_domain_separated() -> None:
    a, b = BlindIndexer(b"k" * 32), BlindIndexer(b"j" * 32)
    assert a.index("phone", "+8613812345699") == a.index("phone", "+8613812345699")
    assert a.index("phone", "+8613812345699") != b.index("phone", "+8613812345699")
    assert a.index("phone", "x") != a.index("email", "x")
    assert "kkkk" not in repr(a)


@pytest.mark.parametrize(
    ("raw", "jurisdiction", "expected"),
    [
        ("138 1234 5699", "CN", "+8613812345699"),
        ("+86 138-1234-5699", "US", "+8613812345699"),
        ("(202) 555-0143", "US", "+12025550143"),
        ("07911 123456", "UK", "+447911123456"),
    ],
)
def test_phones_normalise_to_e164(raw: str, jurisdiction: str, expected: str) -> None:
    assert normalise_phone(raw, jurisdiction) == expected


def test_malformed_phone_error_does_not_echo_the_number() -> None:
    with pytest.raises(InputError) as err:
        normalise_phone("12345", "CN")
    assert "12345" not in str(err.value)


def test_masks() -> None:
    assert mask_phone("+8613812345699") == "138****5699"
    assert mask_name("张三丰") == "张**"
    assert mask_name("Jane Doe") == "J*** D**"
    assert mask_national_id("110101199003071234") == "110***********1234"
    assert mask_email("jane.doe@example.com") == "j*******@example.com"


# The fast path must agree with phonenumbers on everything it accepts.



def _library_or_none(raw: str, region: str) -> str | None:
    try:
        return _library(raw, region)
    except InputError:
        return None


_formats = st.sampled_from(["{}", "+{cc}{}", "+{cc} {}", "0{}", "({a}) {b}-{c}", "{a}-{b}-{c}"])


@settings(max_examples=600, deadline=None)
@given(
    jurisdiction=st.sampled_from(["CN", "US", "UK"]),
    lead=st.sampled_from(
        [
            "1",
            "13",
            "138",
            "15",
            "18",
            "2",
            "20",
            "21",
            "3",
            "4",
            "5",
            "6",
            "7",
            "74",
            "77",
            "79",
            "8",
            "9",
            "0",
            "10",
            "11",
            "12",
            "17",
            "179",
        ]
    ),
    rest=st.text(alphabet="0123456789", min_size=4, max_size=11),
    fmt=_formats,
)
def test_fast_path_agrees_with_phonenumbers(
    jurisdiction: str, lead: str, rest: str, fmt: str
) -> None:
    national = lead + rest
    cc = {"CN": "86", "US": "1", "UK": "44"}[jurisdiction]
    raw = fmt.format(national, cc=cc, a=national[:3], b=national[3:6], c=national[6:])
    region = {"UK": "GB"}.get(jurisdiction, jurisdiction)
    expected = _library_or_none(raw, region)
    try:
        got: str | None = normalise_phone(raw, jurisdiction)
    except InputError:
        got = None
    assert got == expected
