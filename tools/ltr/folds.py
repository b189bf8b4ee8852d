"""Cross-validation by query: every query, with all its candidates, sits in one fold."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence


def query_folds(query_ids: Sequence[str], folds: int = 5, seed: int = 13) -> dict[str, int]:
    """`{query_id: fold}` with fold in `range(folds)`, balanced and stable for a seed.

    Queries are ordered by a seeded hash of their id and dealt round-robin, so fold
    sizes differ by at most one and the assignment does not depend on input order.
    """
    if folds < 2:
        raise ValueError(f"need at least 2 folds, got {folds}")
    unique = list(dict.fromkeys(query_ids))
    if len(unique) < folds:
        raise ValueError(f"{len(unique)} queries cannot fill {folds} folds")
    order = sorted(unique, key=lambda q: hashlib.sha256(f"{seed}:{q}".encode()).hexdigest())
    return {qid: n % folds for n, qid in enumerate(order)}
