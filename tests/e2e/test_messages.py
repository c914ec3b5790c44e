"""The web app's two message files have the same keys (no browser needed)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

I18N = Path(__file__).resolve().parents[2] / "web" / "src" / "i18n"


def keys(messages: dict[str, Any], prefix: str = "") -> set[str]:
    found: set[str] = set()
    for key, value in messages.items():
        if isinstance(value, dict):
            found |= keys(value, f"{prefix}{key}.")
        else:
            assert isinstance(value, str) and value.strip(), f"{prefix}{key} is empty"
            found.add(f"{prefix}{key}")
    return found


def test_zh_cn_and_en_have_the_same_keys() -> None:
    zh = keys(json.loads((I18N / "zh-CN.json").read_text(encoding="utf-8")))
    en = keys(json.loads((I18N / "en.json").read_text(encoding="utf-8")))
    assert zh - en == set(), "missing in en"
    assert en - zh == set(), "missing in zh-CN"
    assert len(zh) > 400


def test_placeholders_match() -> None:
    """A message that takes {n} in one language takes it in the other."""
    zh = json.loads((I18N / "zh-CN.json").read_text(encoding="utf-8"))
    en = json.loads((I18N / "en.json").read_text(encoding="utf-8"))

    def walk(a: dict[str, Any], b: dict[str, Any], path: str) -> None:
        for key, value in a.items():
            if isinstance(value, dict):
                walk(value, b[key], f"{path}{key}.")
            else:
                names = set(re.findall(r"\{(\w+)\}", value))
                assert names == set(re.findall(r"\{(\w+)\}", b[key])), f"{path}{key}"

    walk(zh, en, "")
