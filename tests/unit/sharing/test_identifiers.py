"""Identifier normalisation: the same person is spelled the same way by every lender."""

from __future__ import annotations

import pytest

from faircollect.errors import InputError
from faircollect.sharing.identifiers import (
    cn_check_digit,
    normalise_national_id,
    normalise_phone,
    parse_set_lines,
    unique,
)


@pytest.mark.parametrize("raw", ["+86 138 1234 5699", "13812345699", "(+86) 138-1234-5699",
                                 "0086 13812345699"])
def test_cn_phone_spellings_meet(raw: str) -> None:
    assert normalise_phone(raw, "CN").canonical == "phone:+8613812345699"


def test_foreign_phone_and_region() -> None:
    assert normalise_phone("020 7946 0958", "GB").canonical == "phone:+442079460958"
    assert normalise_phone("+1 202 555 0143", "CN").canonical.startswith("phone:+1202")


def test_bad_phone_names_no_value() -> None:
    with pytest.raises(InputError) as err:
        normalise_phone("12345", "CN")
    assert "12345" not in err.value.message


def test_cn_resident_id_check_digit() -> None:
    # GB 11643's published example: 11010519491231002X.
    assert cn_check_digit("11010519491231002") == "X"
    assert normalise_national_id("110105 19491231 002x", "cn").canonical == (
        "nid:CN:11010519491231002X")
    with pytest.raises(InputError, match="check digit"):
        normalise_national_id("110105194912310021", "CN")
    assert normalise_national_id("qq-123-456-c", "GB").canonical == "nid:GB:QQ123456C"


def test_set_file_lines_and_errors() -> None:
    lines = ["# a comment", "", "13812345699", "phone,+442079460958,GB",
             "nid,11010519491231002X,CN", "phone,+86 138 1234 5699"]
    ids = list(parse_set_lines(lines))
    assert [i.kind for i in ids] == ["phone", "phone", "nid", "phone"]
    assert unique(ids) == ["phone:+8613812345699", "phone:+442079460958",
                           "nid:CN:11010519491231002X"]
    assert "13812345699" not in repr(ids[0])
    with pytest.raises(InputError, match=r"set\.txt:2") as err:
        list(parse_set_lines(["13812345699", "nid,110105194912310021,CN"], file="set.txt"))
    assert "110105194912310021" not in err.value.message
