"""The checkpoint wire format, pinned by fixed vectors, and every strictness rule of parsing.

Both parsers run every case: the log's own (`faircollect.audit.checkpoint`) and the
standalone verifier's (`faircollect.audit.verify`), which is written separately on purpose.

The wire format is pinned from outside the code: the Go checksum database's signed-note
vector (golang.org/x/mod/sumdb/note) for key ids, verifier keys and Ed25519 note signatures,
and FairCollect checkpoints written out literally, signed with the RFC 8032 section 7.1
TEST 1 key (Ed25519 signatures are deterministic, so the bytes are fixed).

Rules (c2sp.org/signed-note, c2sp.org/tlog-checkpoint, and FairCollect's four-line profile):
the origin line matches the key name; the tree size is ASCII decimal without sign, spaces or
leading zeros; the root hash is exactly 32 bytes in canonical standard base64; exactly one
blank line separates the text from the signatures; every signature line is
"— name base64(key id || signature)"; a line whose name and key id are the expected key's
must verify, while lines of other keys are ignored (even with the same name or the same id,
not both); the text and every signature line end with a newline; no control characters; at
most 100 signatures; and nothing but origin, size, root and one `time` line in the text.
"""

from __future__ import annotations

import base64
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from faircollect.audit import checkpoint as cp
from faircollect.audit import verify
from faircollect.errors import FairCollectError

# --- golang.org/x/mod/sumdb/note: the reference signed note of its documentation ---------
GO_SIGNER = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VERIFIER = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = ("If you think cryptography is the answer to your problem,\n"
           "then you don't know what your problem is.\n")
GO_NOTE = (GO_TEXT + "\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1"
           "FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n")

# --- RFC 8032 section 7.1, TEST 1: secret key and the public key the RFC gives for it -----
SEED = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
PUBLIC = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
KEY = Ed25519PrivateKey.from_private_bytes(SEED)
ORIGIN = "faircollect/audit"

# The audit key's published forms, and checkpoints it signed (bytes pinned here).
VERIFIER_KEY = "faircollect/audit+c10c7983+AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea"
FINGERPRINT = "SHA256:c10c79834f23171b1313a31db754bb6a37315fd4a81888bc98cc22e0ec0793f2"
ROOT = base64.b64decode("pSIBSiVwMsVjlsEBbvD6zuHr3UoE6NoyvluXPW2hFig=")
BODY = ("faircollect/audit\n"
        "1024\n"
        "pSIBSiVwMsVjlsEBbvD6zuHr3UoE6NoyvluXPW2hFig=\n"
        "time 2026-03-01T12:00:00.000000Z\n")
SIGNATURE = ("\u2014 faircollect/audit wQx5g3V3snOa/HlmevgLlJ8DLcHqa2Cqp+CFjHV/EB856Tun5C8QuM"
             "wttphFKaefyl5ynbpcevt/vBywkBIz0Q4FbQE=\n")
NOTE = BODY + "\n" + SIGNATURE
EMPTY_NOTE = ("faircollect/audit\n"
              "0\n"
              "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"
              "time 2026-03-01T12:00:00.000000Z\n"
              "\n"
              "\u2014 faircollect/audit wQx5g9H9FXQfYfzETCBWvKcrFRHK40gi2FqbuAuAhZacP5knCdJLAk"
              "fH2sEF07Z9fe+abUuiDctF5BsZyiGhRN1cggc=\n")

# Other keys' signatures over BODY: a witness (key of bytes 0..31) and a rotated audit key
# (bytes 1..32) that shares the name but not the key id.
WITNESS_SIG = ("\u2014 witness.example/w1 Mhg2LXAg/weKUkCctLz+1IH02GW1UmfeH+9h5aIy83SJPPOhp"
               "IVpiDIB48bMKVqZIRICnt+tE8CcYYOsb6GSjJGT+Ac=\n")
ROTATED_SIG = ("\u2014 faircollect/audit KlsBZ3IzclEvMvBhWqL8KllyrKIQdGv0JgIht2E12tPquAvJZc"
               "H826+16THfhgxWPcLO5EwK42IqioRD1SdD900DBww=\n")


def _log(note: str) -> int:
    return cp.open_note(note, KEY.public_key(), ORIGIN).size


def _verifier(note: str) -> int:
    return verify.open_checkpoint(note, ORIGIN, KEY.public_key()).size


OPENERS = [pytest.param(_log, id="log"), pytest.param(_verifier, id="verifier")]
Opener = Callable[[str], int]


def _rejects(opener: Opener, note: str, match: str) -> None:
    with pytest.raises((FairCollectError, verify.Failed), match=match):
        opener(note)


def _signed(body: str, name: str = ORIGIN) -> str:
    """`body` signed by the fixed key under `name`: only the rule under test can fail it."""
    return cp.sign_note(body, name, KEY)


def _lines(size: str = "1024", root: str = "pSIBSiVwMsVjlsEBbvD6zuHr3UoE6NoyvluXPW2hFig=",
           origin: str = ORIGIN, time: str = "time 2026-03-01T12:00:00.000000Z") -> str:
    return f"{origin}\n{size}\n{root}\n{time}\n"


# --- Fixed vectors ------------------------------------------------------------------------


def test_the_go_sumdb_note_vector_is_reproduced_and_opened() -> None:
    seed = base64.b64decode(GO_SIGNER.split("+", 4)[4])
    assert seed[0] == 1 and len(seed) == 33
    go_key = Ed25519PrivateKey.from_private_bytes(seed[1:])
    assert cp.verifier_key("PeterNeumann", go_key.public_key()) == GO_VERIFIER
    assert cp.sign_note(GO_TEXT, "PeterNeumann", go_key) == GO_NOTE
    name, public = verify.parse_verifier_key(GO_VERIFIER)
    assert verify.open_note(GO_NOTE, verify.Key(name, public)) == GO_TEXT
    with pytest.raises(verify.Failed, match="does not verify"):
        verify.open_note(GO_NOTE.replace("cryptography", "cryptographY"),
                         verify.Key(name, public))


def test_the_fixed_key_has_its_published_forms() -> None:
    public = KEY.public_key()
    assert cp.raw_public_key(public) == PUBLIC
    assert cp.verifier_key(ORIGIN, public) == VERIFIER_KEY
    assert cp.fingerprint(ORIGIN, public) == FINGERPRINT
    assert verify.fingerprint(ORIGIN, PUBLIC) == FINGERPRINT
    # The signed-note key id is the fingerprint's first 4 bytes.
    assert cp.key_id(ORIGIN, public).hex() == FINGERPRINT[7:15] == VERIFIER_KEY.split("+")[1]
    name, parsed = verify.parse_verifier_key(VERIFIER_KEY)
    assert (name, parsed.public_bytes_raw()) == (ORIGIN, PUBLIC)
    assert verify.Key(name, parsed).fingerprint == FINGERPRINT


def test_the_fixed_checkpoint_is_signed_byte_for_byte() -> None:
    assert cp.sign(cp.Checkpoint(ORIGIN, 1024, ROOT, "2026-03-01T12:00:00.000000Z"), KEY) == NOTE
    assert cp.open_note(NOTE, KEY.public_key(), ORIGIN) == cp.Checkpoint(
        ORIGIN, 1024, ROOT, "2026-03-01T12:00:00.000000Z")
    assert verify.open_checkpoint(NOTE, ORIGIN, KEY.public_key()) == verify.Head(
        ORIGIN, 1024, ROOT, "2026-03-01T12:00:00.000000Z")


def test_the_empty_tree_checkpoint_has_size_0() -> None:
    empty = bytes.fromhex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    assert cp.sign(cp.Checkpoint(ORIGIN, 0, empty, "2026-03-01T12:00:00.000000Z"),
                   KEY) == EMPTY_NOTE
    assert _log(EMPTY_NOTE) == _verifier(EMPTY_NOTE) == 0


# --- One test per rule, on both parsers -----------------------------------------------------


@pytest.mark.parametrize("opener", OPENERS)
def test_the_origin_line_must_match_the_key_name(opener: Opener) -> None:
    # Signed by the right key under the right name, but the text names another log.
    _rejects(opener, _signed(_lines(origin="faircollect/other")), "is for log")
    # Signed under the other name: not the expected key at all, so no signature counts.
    # (The log's parser names the other log first; the verifier finds no signature by it.)
    _rejects(opener, _signed(_lines(origin="faircollect/other"), "faircollect/other"),
             "no valid signature|is for log")
    _rejects(opener, _signed(_lines(origin="")), "empty line")


@pytest.mark.parametrize("opener", OPENERS)
@pytest.mark.parametrize("size", [
    "01024", "00", "+1024", "-1", " 1024", "1024 ", "1_024", "\u0661\u0660\u0662\u0664",
    "１０２４", "0x400", "1e3", "", "18446744073709551616",
])
def test_the_tree_size_is_plain_decimal(opener: Opener, size: str) -> None:
    _rejects(opener, _signed(_lines(size=size)), "tree size|empty line")


@pytest.mark.parametrize("opener", OPENERS)
def test_the_largest_tree_size_is_accepted(opener: Opener) -> None:
    assert opener(_signed(_lines(size="18446744073709551615"))) == 2**64 - 1


@pytest.mark.parametrize("opener", OPENERS)
@pytest.mark.parametrize("root", [
    base64.b64encode(ROOT[:31]).decode(),  # 31 bytes
    base64.b64encode(ROOT + b"\0").decode(),  # 33 bytes
    "pSIBSiVwMsVjlsEBbvD6zuHr3UoE6NoyvluXPW2hFig",  # no padding
    "pSIBSiVwMsVjlsEBbvD6zuHr3UoE6NoyvluXPW2hFih=",  # same bytes, non-zero padding bits
    "pSIBSiVwMsVjlsEBbvD6zuHr3UoE6NoyvluXPW2hFig==",  # extra padding
    "pSIBSiVwMsVjlsEBbvD6zuHr3UoE6NoyvluXPW2hFig= ",  # trailing space
    "pSIBSiVwMsVjlsEBbvD6zuHr3UoE 6NoyvluXPW2hFig=",  # inner space
    base64.urlsafe_b64encode(bytes(range(200, 232))).decode(),  # URL-safe alphabet
    ROOT.hex(),  # hex, not base64
])
def test_the_root_hash_is_32_bytes_of_canonical_standard_base64(opener: Opener,
                                                                root: str) -> None:
    _rejects(opener, _signed(_lines(root=root)), "root hash")


@pytest.mark.parametrize("opener", OPENERS)
def test_exactly_one_blank_line_separates_text_and_signatures(opener: Opener) -> None:
    _rejects(opener, _signed(BODY + "\n"), "empty line")  # the extra blank line signed too
    # (The verifier checks the signature before it reads the text, as signed-note asks.)
    _rejects(opener, BODY + "\n\n" + SIGNATURE, "empty line|does not verify")
    _rejects(opener, BODY + SIGNATURE, "no blank line")
    _rejects(opener, _signed(BODY.replace("1024\n", "1024\n\n")), "empty line")


@pytest.mark.parametrize("opener", OPENERS)
@pytest.mark.parametrize("line", [
    SIGNATURE.replace("\u2014", "-"),  # hyphen-minus
    SIGNATURE.replace("\u2014", "\u2013"),  # en dash
    SIGNATURE.replace("\u2014 ", "\u2014"),  # no space after the dash
    SIGNATURE.replace(" faircollect/audit ", "  faircollect/audit "),  # two spaces
    SIGNATURE.replace("/audit ", "/audit  "),
    SIGNATURE.replace(" faircollect/audit ", " faircollect+audit "),  # plus in the name
    SIGNATURE.replace(" faircollect/audit ", " faircollect\u00a0audit "),  # Unicode space
    SIGNATURE.replace(" faircollect/audit ", "  "),  # no name
    SIGNATURE.replace("=\n", "= \n"),  # trailing space
    SIGNATURE.replace("=\n", "\n"),  # unpadded base64
    SIGNATURE.replace("wQx5", "wQx_"),  # not the standard alphabet
    "\u2014 faircollect/audit wQx5gw==\n",  # 4 bytes: a key id and no signature
    "\u2014 faircollect/audit\n",  # no signature
    "a comment\n",  # not a signature line
])
def test_every_signature_line_is_well_formed(opener: Opener, line: str) -> None:
    _rejects(opener, NOTE + line, "bad signature line")
    _rejects(opener, BODY + "\n" + line + SIGNATURE, "bad signature line")


@pytest.mark.parametrize("opener", OPENERS)
def test_a_signature_by_the_expected_key_that_fails_rejects_the_note(opener: Opener) -> None:
    blob = bytearray(base64.b64decode(SIGNATURE.split(" ")[2]))
    blob[10] ^= 1  # same key name and id, another signature
    bad = f"\u2014 {ORIGIN} {base64.b64encode(bytes(blob)).decode()}\n"
    short = f"\u2014 {ORIGIN} {base64.b64encode(bytes(blob[:-1])).decode()}\n"
    for note in (NOTE + bad, BODY + "\n" + bad + SIGNATURE, NOTE + short):
        _rejects(opener, note, "does not verify")
    # The text changed under a signature by the expected key.
    _rejects(opener, NOTE.replace("\n1024\n", "\n1025\n"), "does not verify")


@pytest.mark.parametrize("opener", OPENERS)
def test_signatures_by_other_keys_are_ignored(opener: Opener) -> None:
    # A witness's cosignature, a rotated key of the same name (another key id), and a line
    # with the expected key id under another name: none is the expected key, so none counts.
    same_id = "\u2014 other.example/log " + SIGNATURE.split(" ")[2]
    assert opener(BODY + "\n" + WITNESS_SIG + ROTATED_SIG + same_id + SIGNATURE) == 1024
    assert opener(NOTE + SIGNATURE) == 1024  # a repeated line is one signature
    _rejects(opener, BODY + "\n" + WITNESS_SIG + ROTATED_SIG + same_id, "no valid signature")


@pytest.mark.parametrize("opener", OPENERS)
def test_the_text_and_every_signature_line_end_with_a_newline(opener: Opener) -> None:
    _rejects(opener, NOTE[:-1], "ending with a newline")
    _rejects(opener, NOTE + "\n", "ending with a newline")  # a blank line after them
    _rejects(opener, NOTE + WITNESS_SIG[:-1], "ending with a newline")
    _rejects(opener, NOTE.replace("\n", "\r\n"), "control character")


@pytest.mark.parametrize("opener", OPENERS)
@pytest.mark.parametrize("char", ["\x00", "\t", "\r", "\x1b", "\x0b"])
def test_no_control_characters(opener: Opener, char: str) -> None:
    _rejects(opener, _signed(_lines(time=f"time 2026-03-01T12:00:00.000000Z{char}")),
             "control character")


@pytest.mark.parametrize("opener", OPENERS)
@pytest.mark.parametrize("body", [
    BODY + "x-extra line\n",  # an extension line after the time
    BODY.replace("time ", "x-extra line\ntime "),  # one before it
    BODY.replace("time 2026-03-01T12:00:00.000000Z\n", ""),  # no time line
    BODY.replace("time 2026-03-01T12:00:00.000000Z", "time 2026-03-01 12:00:00Z"),
    BODY.replace("time 2026-03-01T12:00:00.000000Z", "time 2026-03-01T12:00:00.000000Z "),
    BODY.replace("time ", "Time "),
])
def test_no_extra_lines_and_one_canonical_time_line(opener: Opener, body: str) -> None:
    _rejects(opener, _signed(body), "extra lines")


@pytest.mark.parametrize("opener", OPENERS)
def test_at_most_100_signatures_and_at_least_16_accepted(opener: Opener) -> None:
    assert opener(BODY + "\n" + WITNESS_SIG * 15 + SIGNATURE) == 1024
    _rejects(opener, BODY + "\n" + WITNESS_SIG * 100 + SIGNATURE, "more than 100")


def test_the_log_parses_without_a_key_by_the_same_rules() -> None:
    assert cp.parse(NOTE).size == 1024
    with pytest.raises(FairCollectError, match="tree size"):
        cp.parse(_signed(_lines(size="01024")))
