"""A request word inside a product category's name names that product ('smart watch')."""

from __future__ import annotations

from agent.understand.reader import understand
from tools.facets import FacetVocabulary

VOCAB = FacetVocabulary(categories={"smart watch": 16, "chairs": 88}, genres={"comedy": 30})


def test_a_cue_word_inside_a_product_name_reads_as_that_product() -> None:
    [segment] = understand("smart watch", VOCAB).segments
    assert segment.vertical == "shopping"
    assert segment.topic == "smart watch"


def test_the_same_word_outside_a_product_name_stays_a_cue() -> None:
    [segment] = understand("something funny to watch", VOCAB).segments
    assert segment.vertical == "video"
    assert "watch" not in segment.topic
