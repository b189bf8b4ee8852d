"""How well the reader tells broad intents from requests for a thing: `exploratory` kind.

`python -m evals.kinds_check [FILE]` reads labelled requests (one JSON object a line:
`{"query": ..., "exploratory": true|false}`, labelled by reading each request: a plan,
occasion or activity to open into aspects, or not), reads each with the rule reader
and the router as `plan` does, and prints precision, recall and the misread requests.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from agent.deps import open_index
from agent.planning.kinds import request_kind
from agent.planning.router import Router
from agent.settings import Settings
from agent.understand.reader import understand

DEFAULT = Path(__file__).resolve().parent / "data" / "exploratory_kinds.jsonl"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", type=Path, default=DEFAULT)
    args = parser.parse_args(argv)
    settings = Settings()
    index = open_index(settings)
    try:
        router = Router.load(index.embedder)
        if router is None:
            raise SystemExit("no router weights: run scripts/train_router.py")
        vocab = index.facets()
        cases = [json.loads(line) for line in args.file.read_text().splitlines() if line.strip()]
        tp = fp = fn = 0
        for case in cases:
            read = understand(case["query"], vocab, max_chars=settings.max_query_chars)
            said = request_kind(read, router.route(read.text), follow_up=False) == "exploratory"
            tp += said and case["exploratory"]
            fp += said and not case["exploratory"]
            fn += case["exploratory"] and not said
            if said != case["exploratory"]:
                print(f"misread: {case['query']!r} (labelled {case['exploratory']})")
    finally:
        index.close()
    precision = tp / max(tp + fp, 1)
    recall = tp / max(tp + fn, 1)
    print(f"{len(cases)} requests: precision {precision:.3f}, recall {recall:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
