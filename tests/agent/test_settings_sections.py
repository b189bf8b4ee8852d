"""Settings stay one object read from the environment, whatever file declares a field."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from agent.settings import Settings


def test_section_fields_keep_their_environment_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TESSERA_LLM_PORT", "9123")
    monkeypatch.setenv("TESSERA_LLM_PLAN_KINDS", "Long, followup")
    monkeypatch.setenv("TESSERA_API_KEY", "k")
    monkeypatch.setenv("TESSERA_CHROMA_URL", "")
    settings = Settings()
    assert settings.llm_port == 9123 and settings.api_key == "k"
    assert settings.plan_kinds == {"long", "followup"} and settings.chroma_url is None
    with pytest.raises(ValidationError):
        settings.model_copy(update={}).__setattr__("llm_port", 1)
    with pytest.raises(ValidationError):
        Settings(llm_plan_kinds="bogus")


def test_the_settings_files_stay_short() -> None:
    root = Path(__file__).resolve().parents[2] / "agent"
    for name in ("settings.py", "settings_llm.py", "settings_serving.py"):
        assert len((root / name).read_text(encoding="utf-8").splitlines()) <= 200, name
