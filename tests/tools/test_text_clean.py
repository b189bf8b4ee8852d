"""Control and format characters leave request text before any reader sees it."""

from __future__ import annotations

import pytest

from agent.models import SearchRequest
from agent.understand.reader import normalise
from tools.text_clean import strip_controls


@pytest.mark.parametrize(
    ("typed", "clean"),
    [
        ("pasta\x00 recipes", "pasta recipes"),
        ("pasta\x07\x7f\x85 recipes", "pasta  recipes"),
        ("\u202epasta\u202c recipes", "pasta recipes"),
        ("pasta \u2066recipes\u2069", "pasta recipes"),
        ("so\u200bup\u200d rec\ufeffipes", "soup recipes"),
        ("\x1b[31mred\x1b[0m chair", "red chair"),
        ("\x9b1;2Hred chair", "red chair"),
        ("\x1b]0;title\x07red chair", "red chair"),
        ("red\tchair\nunder $40", "red chair under $40"),
    ],
)
def test_controls_formats_and_escapes_are_removed(typed: str, clean: str) -> None:
    assert strip_controls(typed) == clean


def test_ordinary_text_is_kept_as_it_is() -> None:
    text = "Crème brûlée für 4 · café ☕ 👩‍🍳?"
    assert strip_controls(text) == text.replace("\u200d", "")


def test_normalise_strips_before_collapsing_spaces() -> None:
    assert normalise("  pasta\x00\u202e   recipes \x1b[1m ", 100) == ("pasta recipes", False)


def test_a_request_never_holds_control_characters() -> None:
    assert SearchRequest(text="lamp\x00\u200b\u202e under $40").text == "lamp under $40"
