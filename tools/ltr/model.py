"""A trained ranker on disk: LightGBM booster, feature list, calibrator and report.

A model directory holds `model.txt` (the booster), `features.json` (column names in
order: a model only scores rows built with the same list), `calibration.json` and
`report.json` (how it was trained and how well it did held out), and `terms.json`
(document frequencies of the training catalog's title stems, for the IDF-weighted
features). `RankerModel.load` refuses a directory that lacks any of the first four or
whose features differ from the code's; without `terms.json` the IDF columns stay missing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, Field

from tools.ltr.calibration import Calibrator
from tools.ltr.features import FEATURES, Candidate, TermStats, extract, prime

MODEL_FILE = "model.txt"
FEATURES_FILE = "features.json"
CALIBRATION_FILE = "calibration.json"
REPORT_FILE = "report.json"
TERMS_FILE = "terms.json"


class ModelUnavailable(RuntimeError):
    """No usable ranker model at a path; the message says why and how to make one."""


class TrainingReport(BaseModel):
    """How a model was trained and what held-out folds said of it."""

    dataset: str
    queries: int
    rows: int
    folds: int
    depth: int
    relevant_gain: int = Field(description="Smallest judged gain counted relevant.")
    params: dict[str, Any]
    rounds: int
    calibration: str
    ece: float = Field(description="Expected calibration error of held-out probabilities.")
    ece_raw: float = Field(description="ECE of a min-max scaled raw score, for comparison.")
    cv: dict[str, float] = Field(default_factory=dict, description="Held-out metrics.")
    gain: dict[str, float] = Field(default_factory=dict, description="Share of split gain.")
    train_seconds: float = 0.0
    spelling: bool = False


class Scored(BaseModel):
    """One re-ranked candidate: raw model score and calibrated probability of relevance."""

    id: str
    score: float
    probability: float


class RankerModel:
    """A booster with its calibrator; `rank` orders candidates for a query."""

    def __init__(
        self,
        booster: Any,
        calibrator: Calibrator,
        report: TrainingReport,
        features: Sequence[str] = FEATURES,
        stats: TermStats | None = None,
    ) -> None:
        self.booster = booster
        self.stats = stats
        self.calibrator = calibrator
        self.report = report
        self.features = list(features)

    def score(self, rows: np.ndarray) -> np.ndarray:
        """Raw scores (higher ranks first) of feature rows."""
        if len(rows) == 0:
            return np.zeros(0)
        return np.asarray(self.booster.predict(rows, num_threads=1), dtype=np.float64)

    def prime(self, candidates: Iterable[Candidate]) -> int:
        """Prepare the items' text ahead of their first query (see `features.prime`)."""
        return prime(candidates)

    def rank(self, query: str, candidates: Sequence[Candidate]) -> list[Scored]:
        """Candidates best first, each with its calibrated probability of relevance."""
        raw = self.score(extract(query, candidates, self.stats))
        probs = self.calibrator(raw)
        order = np.lexsort((np.arange(len(raw)), -raw))
        return [
            Scored.model_construct(
                id=candidates[n].id, score=float(raw[n]), probability=float(probs[n])
            )
            for n in order.tolist()
        ]

    def save(self, path: Path) -> Path:
        """Write the model's files under `path` (created); returns `path`."""
        path = Path(path).expanduser()
        path.mkdir(parents=True, exist_ok=True)
        self.booster.save_model(str(path / MODEL_FILE))
        (path / FEATURES_FILE).write_text(json.dumps(self.features), encoding="utf-8")
        (path / CALIBRATION_FILE).write_text(self.calibrator.model_dump_json(), encoding="utf-8")
        (path / REPORT_FILE).write_text(self.report.model_dump_json(indent=2), encoding="utf-8")
        if self.stats is not None:
            (path / TERMS_FILE).write_text(self.stats.model_dump_json(), encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: Path) -> RankerModel:
        """The model saved under `path`; `ModelUnavailable` when absent or stale."""
        import lightgbm as lgb

        path = Path(path).expanduser()
        missing = [
            name
            for name in (MODEL_FILE, FEATURES_FILE, CALIBRATION_FILE, REPORT_FILE)
            if not (path / name).is_file()
        ]
        if missing:
            raise ModelUnavailable(
                f"No ranker model at {path} (missing {', '.join(missing)}): "
                "train one with `tessera rank train --dataset DIR`."
            )
        features = json.loads((path / FEATURES_FILE).read_text(encoding="utf-8"))
        if list(features) != list(FEATURES):
            raise ModelUnavailable(
                f"The ranker model at {path} was trained on other features; retrain it."
            )
        booster = lgb.Booster(model_file=str(path / MODEL_FILE))
        calibrator = Calibrator.model_validate_json(
            (path / CALIBRATION_FILE).read_text(encoding="utf-8")
        )
        report = TrainingReport.model_validate_json(
            (path / REPORT_FILE).read_text(encoding="utf-8")
        )
        terms = path / TERMS_FILE
        stats = (
            TermStats.model_validate_json(terms.read_text(encoding="utf-8"))
            if terms.is_file()
            else None
        )
        return cls(booster, calibrator, report, features, stats)
