"""The shipped purposes catalogue and its validation."""

from __future__ import annotations

import pytest

from faircollect.consent.catalogue import load_catalogue, parse_catalogue
from faircollect.errors import ConfigError, InputError

REQUIRED = {
    "contact_designated_contact", "use_contacts_for_credit_assessment",
    "share_with_collection_agency", "industry_data_sharing", "electronic_communications",
    "marketing",
}


def test_shipped_catalogue_has_required_purposes_with_their_attributes() -> None:
    cat = load_catalogue()
    assert set(cat.ids) >= REQUIRED
    designated = cat.purpose("contact_designated_contact")
    assert designated.needs_contact and designated.separate_consent
    assert cat.purpose("industry_data_sharing").sensitive
    assert all(p.legal_basis and p.data_categories and p.default_days > 0 for p in cat.purposes)


def test_unknown_purpose_is_input_error_naming_known_ones() -> None:
    with pytest.raises(InputError, match="unknown consent purpose 'spam'.*marketing"):
        load_catalogue().purpose("spam")


def test_broken_catalogue_names_the_field() -> None:
    text = load_catalogue().model_dump_json()
    import json

    data = json.loads(text)
    data["purposes"][0]["default_days"] = 0
    with pytest.raises(ConfigError, match=r"purposes\.0\.default_days"):
        parse_catalogue(json.dumps(data))
    data["purposes"][0]["default_days"] = 30
    data["purposes"].append(data["purposes"][0])
    with pytest.raises(ConfigError, match="listed twice"):
        parse_catalogue(json.dumps(data))
