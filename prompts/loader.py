"""Load prompt files by name and fill their named placeholders.

A prompt lives in `prompts/<name>.md`. Placeholders are written `{{ name }}`
so JSON examples inside a prompt keep their braces. An optional leading HTML
comment documents the placeholders for people and is never sent to a model.
Rendering is strict: a placeholder without a value, or a value no placeholder
uses, is a `PromptError`, so a renamed variable cannot silently vanish.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

PROMPTS_DIR = Path(__file__).resolve().parent
_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_HEADER = re.compile(r"\A\s*<!--.*?-->\s*", re.DOTALL)
_NAME = re.compile(r"[a-z0-9_]+")


class PromptError(ValueError):
    """A prompt file is missing or was rendered with the wrong variables."""


@cache
def load_prompt(name: str) -> str:
    """The text of `prompts/<name>.md`, without its documentation header."""
    if not _NAME.fullmatch(name):
        raise PromptError(f"invalid prompt name {name!r}: use lower-case letters, digits and _")
    path = PROMPTS_DIR / f"{name}.md"
    if not path.is_file():
        raise PromptError(f"no prompt named {name!r} (expected the file {path})")
    return _HEADER.sub("", path.read_text(encoding="utf-8"), count=1)


def placeholders(name: str) -> set[str]:
    """The placeholder names the prompt `name` expects."""
    return set(_PLACEHOLDER.findall(load_prompt(name)))


def render(name: str, **variables: object) -> str:
    """The prompt `name` with every `{{ placeholder }}` replaced by `str(value)`."""
    template = load_prompt(name)
    expected = set(_PLACEHOLDER.findall(template))
    missing = sorted(expected - variables.keys())
    unused = sorted(variables.keys() - expected)
    if missing:
        raise PromptError(f"prompt {name!r} needs values for: {', '.join(missing)}")
    if unused:
        raise PromptError(f"prompt {name!r} has no placeholder for: {', '.join(unused)}")
    return _PLACEHOLDER.sub(lambda m: str(variables[m.group(1)]), template)
