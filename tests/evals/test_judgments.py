"""The shipped relevance judgments are well formed and as hard as they claim."""

from __future__ import annotations

from evals.judgments import JUDGMENTS_DIR, content_words, read_judgments, shares_word


def test_shares_word_reads_content_words_only() -> None:
    assert content_words("how to make pancakes") == {"pancak"}
    assert shares_word("how to make pancakes", "Light Fluffy Pancakes")
    assert not shares_word("something cozy for a rainy sunday", "Mushroom Soup")
    assert not shares_word("scary movie for halloween", "The Movie")


def test_the_judgments_are_many_meaning_based_and_consistent() -> None:
    pairs = [
        j for name in ("ideas", "video") for j in read_judgments(JUDGMENTS_DIR / f"{name}.jsonl")
    ]
    assert len(pairs) >= 600
    assert len({(j.query, j.item_id) for j in pairs}) == len(pairs)
    assert all(j.shares_word == shares_word(j.query, j.title) for j in pairs)
    positives = [j for j in pairs if j.label > 0]
    assert sum(not j.shares_word for j in positives) >= len(positives) / 2
    for vertical in ("ideas", "video"):
        hard = [j for j in pairs if j.vertical == vertical and j.label == 0 and j.shares_word]
        assert len(hard) >= 10, vertical
