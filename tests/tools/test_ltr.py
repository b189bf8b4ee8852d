"""The learned ranker: features, folds, calibration, training and the saved model."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from agent.deps import open_index
from agent.settings import Settings
from tests.fakes import synthetic_training_set as synthetic
from tools.index import CatalogIndex
from tools.ltr import (
    FEATURES,
    Candidate,
    ModelUnavailable,
    RankerModel,
    TermStats,
    extract,
    query_folds,
)
from tools.ltr.calibration import expected_calibration_error, fit_isotonic, fit_platt
from tools.ltr.training import build_set, cross_validate, train

COL = {name: n for n, name in enumerate(FEATURES)}


@pytest.fixture
def tiny_index(tiny_home: Path) -> Iterator[CatalogIndex]:
    index: CatalogIndex = open_index(Settings(home=tiny_home))
    yield index
    index.close()


def test_candidates_pool_both_retrievers_with_their_evidence(tiny_index: CatalogIndex) -> None:
    pool = {c.id: c for c in tiny_index.candidates("shopping", "black office chair", depth=3)}
    assert {"p1", "p2", "p3", "p4"} & set(pool)
    chair = pool["p1"]
    assert chair.lexical_rank is not None and chair.field_scores is not None
    assert chair.field_scores[0] > 0
    assert chair.colors == ["black"] and chair.brand == "Hon"
    assert all(c.dense_score is not None for c in pool.values())
    assert (
        any(c.lexical_rank is None or c.dense_rank is None for c in pool.values()) or len(pool) <= 3
    )


def test_features_of_a_fixed_catalog(tiny_index: CatalogIndex) -> None:
    pool = tiny_index.candidates("shopping", "black office chair", depth=10)
    rows = extract("black office chair", pool)
    by_id = {c.id: rows[n] for n, c in enumerate(pool)}
    assert rows.shape == (len(pool), len(FEATURES))
    assert by_id["p1"][COL["colour_in_query"]] == 1.0
    assert by_id["p2"][COL["colour_in_query"]] == 0.0
    assert by_id["p1"][COL["title_coverage"]] == pytest.approx(2 / 3)
    assert by_id["p1"][COL["last_term_in_title"]] == 1.0
    if "p5" in by_id:
        assert by_id["p5"][COL["title_coverage"]] == 0.0


def test_phrase_number_and_missing_values() -> None:
    query = "2 in. x 4 in. angle bracket"
    rows = extract(
        query,
        [
            Candidate(id="a", title="Steel Angle Bracket 2 in. x 4 in.", lexical_rank=1,
                      lexical_score=8.0, dense_rank=2, dense_score=0.7),
            Candidate(id="b", title="Angle Brackets 3 in.", dense_rank=1, dense_score=0.8),
        ],
    )  # fmt: skip
    a, b = rows
    assert a[COL["numbers_matched"]] == 1.0 and b[COL["numbers_matched"]] == 0.0
    assert b[COL["numbers_missing"]] == 2.0
    assert a[COL["all_terms_in_title"]] == 1.0
    assert b[COL["title_coverage"]] < a[COL["title_coverage"]]
    assert math.isnan(b[COL["lex_score"]]) and math.isnan(a[COL["rating"]])
    assert a[COL["dense_rel"]] == pytest.approx(-0.1) and b[COL["dense_rel"]] == 0.0
    assert extract("anything", []).shape == (0, len(FEATURES))


def test_query_folds_put_each_query_in_exactly_one_fold() -> None:
    ids = [f"q{n}" for n in range(103)]
    folds = query_folds(ids + ids[:10], folds=5, seed=3)
    assert set(folds) == set(ids)
    sizes = np.bincount(list(folds.values()), minlength=5)
    assert sizes.max() - sizes.min() <= 1
    assert query_folds(list(reversed(ids)), folds=5, seed=3) == query_folds(ids, 5, 3)
    assert query_folds(ids, 5, seed=4) != folds
    with pytest.raises(ValueError):
        query_folds(ids[:3], folds=5)


def test_cross_validation_scores_every_query_held_out() -> None:
    data = synthetic()
    cv = cross_validate(data, folds=5, rounds=20)
    assert set(cv.folds) == set(data.query_ids)
    assert len(set(cv.folds.values())) == 5
    corr = np.corrcoef(cv.scores, data.rows[:, COL["title_coverage"]])[0, 1]
    assert corr > 0.8
    assert max(cv.gain, key=lambda k: cv.gain[k]) == "title_coverage"


def test_train_save_load_round_trip(tmp_path: Path) -> None:
    data = synthetic()
    model, _ = train(data, dataset="synthetic", depth=12, rounds=20)
    saved = model.save(tmp_path / "ranker")
    loaded = RankerModel.load(saved)
    assert np.allclose(loaded.score(data.rows[:50]), model.score(data.rows[:50]))
    assert loaded.report.dataset == "synthetic" and loaded.report.queries == 60
    assert 0.0 <= loaded.report.ece <= 1.0
    cands = [
        Candidate(id="good", title="angle bracket steel"),
        Candidate(id="bad", title="garden hose"),
    ]
    ranked = loaded.rank("angle bracket", cands)
    assert [r.id for r in ranked] == [r.id for r in model.rank("angle bracket", cands)]
    assert ranked[0].id == "good"
    assert all(0.0 <= r.probability <= 1.0 for r in ranked)


def test_load_refuses_a_missing_or_stale_model(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailable, match="rank train"):
        RankerModel.load(tmp_path / "nothing")
    model, _ = train(synthetic(), dataset="synthetic", depth=12, rounds=5)
    saved = model.save(tmp_path / "ranker")
    (saved / "features.json").write_text('["other"]', encoding="utf-8")
    with pytest.raises(ModelUnavailable, match="other features"):
        RankerModel.load(saved)


def test_build_set_labels_unjudged_candidates_zero() -> None:
    pools = {"angle bracket": [Candidate(id="a", title="Angle Bracket"),
                               Candidate(id="b", title="Hose")]}  # fmt: skip
    data = build_set([("q1", "angle bracket")], lambda t: pools[t], {"q1": {"a": 3}})
    assert data.labels.tolist() == [3, 0] and data.sizes == [2]
    assert data.stats is None and np.isnan(data.rows[:, COL["title_idf_coverage"]]).all()
    stats = TermStats.from_titles(["Angle Bracket", "Hose", "Garden Hose"])
    weighted = build_set([("q1", "angle bracket")], lambda t: pools[t], {}, stats=stats)
    assert weighted.stats is stats
    assert weighted.rows[:, COL["title_idf_coverage"]].tolist() == [1.0, 0.0]


def test_calibration_maps_scores_to_reliable_probabilities() -> None:
    rng = np.random.default_rng(1)
    scores = rng.normal(size=5000)
    truth = 1 / (1 + np.exp(-2 * scores))
    labels = (rng.uniform(size=5000) < truth).astype(float)
    for calibrator in (fit_isotonic(scores, labels), fit_platt(scores, labels)):
        probs = calibrator(scores)
        assert np.all(np.diff(probs[np.argsort(scores)]) >= -1e-12)
        assert expected_calibration_error(probs, labels) < 0.05
    assert expected_calibration_error(np.full(5000, 0.99), labels) > 0.3


def test_units_brand_head_compounds_and_pool_relative_features() -> None:
    query = "ryobi 18v cordless drill"
    rows = extract(
        query,
        [
            Candidate(id="a", title="Ryobi 18-Volt ONE+ Cordless Drill", lexical_rank=1,
                      lexical_score=9.0, dense_rank=2, dense_score=0.6),
            Candidate(id="b", title="DEWALT 20-Volt Cordless Drill", lexical_rank=2,
                      lexical_score=6.0, dense_rank=1, dense_score=0.7),
            Candidate(id="c", title="BEHR DeckOver 1-gal. Coating", dense_score=0.2),
        ],
    )  # fmt: skip
    a, b, c = rows
    assert a[COL["units_matched"]] == 1.0 and b[COL["units_matched"]] == 0.0
    assert a[COL["units_conflict"]] == 0.0 and b[COL["units_conflict"]] == 1.0
    assert c[COL["units_conflict"]] == 0.0
    assert a[COL["title_head_in_query"]] == 1.0 and b[COL["title_head_in_query"]] == 0.0
    assert a[COL["coverage_rel"]] == 0.0 and c[COL["coverage_rel"]] < b[COL["coverage_rel"]] < 0
    assert a[COL["jaccard_rank"]] == 1.0 and c[COL["jaccard_rank"]] == 3.0
    assert [r[COL["cosine_rank"]] for r in rows] == [2.0, 1.0, 3.0]
    assert all(r[COL["lex_top"]] == 9.0 for r in rows)
    assert rows[0][COL["pool_all_terms"]] == pytest.approx(0.0)
    deck = extract("deck over coating", [Candidate(id="c", title="BEHR DeckOver Coating")])[0]
    assert deck[COL["compound_match"]] == 1.0
    assert (
        extract("deck coating", [Candidate(id="c", title="BEHR DeckOver")])[0][
            COL["compound_match"]
        ]
        == 0.0
    )


def test_priming_reads_every_item_in_batches_and_leaves_nothing_to_build(
    tiny_index: CatalogIndex,
) -> None:
    from tools.ltr import features

    every = list(tiny_index.ranker_candidates("shopping", batch=2))
    assert len(every) == tiny_index.count("shopping") == len({c.id for c in every})
    pool = tiny_index.candidates("shopping", "black office chair", depth=10)
    features._profile.cache_clear()
    cold = extract("black office chair", pool)
    features._profile.cache_clear()
    assert features.prime(iter(every)) == len(every)
    misses = features._profile.cache_info().misses
    primed = extract("black office chair", pool)
    assert features._profile.cache_info().misses == misses, "a primed item is never rebuilt"
    np.testing.assert_array_equal(cold, primed)


def test_a_serving_process_primes_the_ranker_in_the_background(tiny_index: CatalogIndex) -> None:
    import threading

    from agent.deps import start_priming

    seen: list[str] = []
    done = threading.Event()

    class Recorder:
        def rank(self, query: str, candidates: list[Candidate]) -> list[Candidate]:
            return candidates

        def prime(self, candidates: Iterator[Candidate]) -> int:
            seen.extend(c.id for c in candidates)
            done.set()
            return len(seen)

    halt = start_priming(tiny_index, Recorder())
    assert done.wait(timeout=60)
    halt()
    assert sorted(seen) == sorted(c.id for c in tiny_index.ranker_candidates("shopping"))


def test_idf_weighted_coverage_counts_rare_terms_more() -> None:
    stats = TermStats.from_titles(
        ["Steel Angle Bracket", "Steel Shelf Bracket", "Steel Hose Reel", "Steel Door Hinge"]
    )
    assert stats.docs == 4 and stats.df["steel"] == 4 and stats.df["bracket"] == 2
    assert stats.idf("hinge") > stats.idf("bracket") > stats.idf("steel")
    assert stats.idf("never") > stats.idf("hinge")
    pool = [
        Candidate(id="rare", title="Door Hinge"),
        Candidate(id="common", title="Steel Hose Reel"),
        Candidate(id="brackets", title="Shelf Brackets"),
    ]
    rare, common, brackets = extract("steel door hinge", pool, stats)
    assert rare[COL["title_coverage"]] == pytest.approx(2 / 3)
    assert common[COL["title_coverage"]] == pytest.approx(1 / 3)
    assert rare[COL["title_idf_coverage"]] > common[COL["title_idf_coverage"]] > 0
    assert rare[COL["idf_coverage_rel"]] == 0.0 and common[COL["idf_coverage_rel"]] < 0
    assert common[COL["idf_missing"]] == pytest.approx(stats.idf("door") + stats.idf("hinge"))
    assert brackets[COL["title_idf_coverage"]] == 0.0
    shelf = extract("shelf bracket", pool, stats)[2]
    assert shelf[COL["title_idf_coverage"]] == pytest.approx(1.0)
    unweighted = extract("steel door hinge", pool)
    assert np.isnan(unweighted[:, COL["title_idf_coverage"]]).all()
    assert np.isnan(unweighted[:, COL["idf_missing"]]).all()


def test_saved_model_keeps_its_term_stats(tmp_path: Path) -> None:
    data = synthetic()
    data.stats = TermStats.from_titles(["angle bracket steel", "garden hose"])
    model, _ = train(data, dataset="synthetic", depth=12, rounds=5)
    assert model.stats == data.stats
    loaded = RankerModel.load(model.save(tmp_path / "ranker"))
    assert loaded.stats == data.stats
    (tmp_path / "ranker" / "terms.json").unlink()
    assert RankerModel.load(tmp_path / "ranker").stats is None
