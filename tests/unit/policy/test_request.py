from __future__ import annotations

import pytest
from policy_requests import build

from faircollect.errors import InputError
from faircollect.policy import parse_request


def test_valid_request_normalises_instants_to_utc() -> None:
    r = parse_request(build(at="2026-05-11T14:00:00+08:00"))
    assert r.at.utcoffset() is not None and r.at.utcoffset().total_seconds() == 0
    assert r.at.hour == 6


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"at": "2026-05-11T06:00:00"}, "at"),
        ({"borrower__timezone": "Mars/Olympus"}, "borrower.timezone"),
        ({"attempt__channel": "fax"}, "attempt.channel"),
        ({"attempt__audience": "neighbour"}, "attempt.audience"),
        ({"borrower__agreed_windows": [{"start": "7:00", "end": "08:00"}]},
         "borrower.agreed_windows[0].start"),
        ({"history": [{"at": "2026-05-10T00:00:00", "channel": "call", "audience": "borrower",
                       "contact_id": None, "outcome": "connected"}]}, "history[0].at"),
        ({"history": [{"at": "2026-05-10T00:00:00Z", "channel": "call", "audience": "borrower",
                       "contact_id": None, "outcome": "hung_up"}]}, "history[0].outcome"),
        ({"consents": [{"purpose": "x", "contact_id": "c-1",
                        "granted_at": "2026-01-01"}]}, "consents[0].granted_at"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_bad_field_is_an_error_naming_it(change: dict[str, object], field: str) -> None:
    with pytest.raises(InputError) as exc:
        parse_request(build(**change))
    assert exc.value.fields["field"] == field
    assert field in exc.value.message


def test_contact_id_required_for_contact_persons() -> None:
    with pytest.raises(InputError, match="contact_id is required"):
        parse_request(build(attempt__audience="designated_contact", attempt__contact_id=None))


def test_not_an_object() -> None:
    with pytest.raises(InputError, match="JSON object"):
        parse_request([1, 2])


def test_unknown_flag_is_accepted_for_the_pack_to_deny() -> None:
    r = parse_request(build(borrower__flags=["moon_phase"]))
    assert r.borrower.flags == ("moon_phase",)
