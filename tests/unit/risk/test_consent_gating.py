"""Consent-aware features: per-borrower gating, address-book refusal, the model card."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from faircollect.errors import ConfigError, InputError
from faircollect.risk.catalogue import gate, load_features
from faircollect.risk.reasons import reasons
from faircollect.risk.training import prepare, train

CONTACT = "use_contacts_for_credit_assessment"


def _frame() -> pl.DataFrame:
    return pl.DataFrame({
        "borrower_id": ["b1", "b2", "b3", "b4"],
        "dpd": [0, 12, 40, 3],
        "contact_persons_given": [2, 0, 3, 1],
        "contact_person_relation": ["parent", "friend", "spouse", "sibling"],
    })


def _consents() -> pl.DataFrame:
    return pl.DataFrame({"borrower_id": ["b1", "b2", "b4", "b4"],
                         "purpose": [CONTACT, "marketing", "electronic_communications", CONTACT]})


def test_gating_drops_exactly_the_unconsented_features_per_borrower() -> None:
    cat = load_features()
    feats = ["dpd", "contact_persons_given", "contact_person_relation"]
    g = gate(_frame(), cat, feats, _consents())
    rows = {r["borrower_id"]: r for r in g.data.iter_rows(named=True)}
    # b1 and b4 consented to the contact purpose: everything kept
    assert rows["b1"]["contact_persons_given"] == 2 and rows["b1"]["contact_person_relation"] == "parent"
    assert rows["b4"]["contact_persons_given"] == 1 and rows["b4"]["contact_person_relation"] == "sibling"
    # b2 consented to something else, b3 to nothing: both contact features gone, dpd kept
    for b in ("b2", "b3"):
        assert rows[b]["contact_persons_given"] is None and rows[b]["contact_person_relation"] is None
    assert [rows[b]["dpd"] for b in ("b1", "b2", "b3", "b4")] == [0, 12, 40, 3]
    assert g.dropped == {"contact_persons_given": 2, "contact_person_relation": 2}
    # no consents at all: nobody keeps them
    none = gate(_frame(), cat, feats, None)
    assert none.data["contact_persons_given"].null_count() == 4
    # features needing no consent pass untouched and need no borrower id
    plain = gate(_frame().drop("borrower_id"), cat, ["dpd"], None)
    assert plain.dropped == {} and plain.data.equals(_frame().drop("borrower_id"))


def test_consent_features_need_a_borrower_id() -> None:
    with pytest.raises(InputError, match="borrower_id"):
        gate(_frame().drop("borrower_id"), load_features(), ["contact_persons_given"], None)


@pytest.mark.parametrize("feature", ["address_book_size", "address_book_overdue_contacts"])
def test_address_book_features_are_refused_outright(feature: str) -> None:
    data = _frame().with_columns(pl.lit(5).alias(feature))
    everyone = pl.DataFrame({"borrower_id": ["b1", "b2", "b3", "b4"], "purpose": [CONTACT] * 4})
    with pytest.raises(InputError, match="harvested address book"):
        gate(data, load_features(), ["dpd", feature], everyone)


def test_undeclared_features_are_refused() -> None:
    data = _frame().with_columns(pl.lit(1).alias("shoe_size"))
    with pytest.raises(InputError, match="not in the feature catalogue"):
        gate(data, load_features(), ["shoe_size"], None)


def test_catalogue_requires_the_contact_purpose_for_contact_features(tmp_path: Path) -> None:
    bad = tmp_path / "features.yaml"
    bad.write_text("version: t\nfeatures:\n  - {name: c, source: contact_persons, purpose: marketing,"
                   " data_categories: [relation]}\n", "utf-8")
    with pytest.raises(ConfigError, match="use_contacts_for_credit_assessment"):
        load_features(bad)


def test_unconsented_borrower_scores_neutral_whatever_the_value() -> None:
    rng = np.random.default_rng(2)
    n = 3000
    given = rng.integers(0, 4, n)
    dpd = rng.integers(0, 60, n)
    y = (rng.random(n) < 1 / (1 + np.exp(-(-1 + 0.05 * dpd - 0.8 * given)))).astype(np.int64)
    data = pl.DataFrame({"borrower_id": [f"b{i}" for i in range(n)], "dpd": dpd,
                         "contact_persons_given": given, "bad": y})
    consents = pl.DataFrame({"borrower_id": [f"b{i}" for i in range(0, n, 2)],
                             "purpose": [CONTACT] * len(range(0, n, 2))})
    prep = prepare(data, "bad", "1", consents=consents)
    assert prep.dropped_for_consent == {"contact_persons_given": n // 2}
    trained = train(prep, "behaviour", folds=3)
    assert trained.model_card["consent"]["dropped_per_feature"] == {"contact_persons_given": n // 2}
    used = {c["feature"]: c["purpose"] for c in trained.model_card["characteristics"]}
    assert used["contact_persons_given"] == CONTACT
    card = trained.card
    # two unconsented borrowers (odd ids) with opposite contact values score the same
    probe = pl.DataFrame({"borrower_id": ["b1", "b3"], "dpd": [30, 30],
                          "contact_persons_given": [0, 3]})
    gated = gate(probe, load_features(), card.features, consents).data
    s = card.score(gated)
    assert s[0] == pytest.approx(s[1])
    assert all(r.feature != "contact_persons_given" for r in reasons(card, gated)[0])
    # the same two with consent score differently
    allowed = pl.DataFrame({"borrower_id": ["b1", "b3"], "purpose": [CONTACT, CONTACT]})
    s2 = card.score(gate(probe, load_features(), card.features, allowed).data)
    assert s2[0] != pytest.approx(s2[1])



def test_prohibited_bases_are_left_out_and_refused_by_name(german: pl.DataFrame) -> None:
    prep = prepare(german, "creditability", "bad")
    assert "personal_status_and_sex" not in prep.features
    assert "foreign_worker" not in prep.features
    assert "age_in_years" in prep.features  # protected, measured, but a lawful characteristic
    assert set(prep.excluded) == {"personal_status_and_sex", "foreign_worker"}
    with pytest.raises(InputError, match="prohibited basis"):
        prepare(german, "creditability", "bad", features=["duration_in_month", "foreign_worker"])
