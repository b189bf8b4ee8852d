"""Learning to rank: features of (query, item) pairs, a LightGBM lambdarank model trained
on graded judgments with cross-validation by query, and calibrated relevance."""

from tools.ltr.calibration import Calibrator, expected_calibration_error
from tools.ltr.features import FEATURES, Candidate, TermStats, extract
from tools.ltr.folds import query_folds
from tools.ltr.model import ModelUnavailable, RankerModel, Scored, TrainingReport

__all__ = [
    "FEATURES",
    "Calibrator",
    "Candidate",
    "ModelUnavailable",
    "RankerModel",
    "Scored",
    "TermStats",
    "TrainingReport",
    "expected_calibration_error",
    "extract",
    "query_folds",
]
