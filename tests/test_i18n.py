"""Every error code has a message in both languages, and language negotiation is right."""

from __future__ import annotations

import pytest

from services.errors import ErrorCode
from services.i18n import MESSAGES, Language, message, negotiate


@pytest.mark.parametrize("code", list(ErrorCode))
def test_every_code_has_both_languages(code: ErrorCode) -> None:
    assert set(MESSAGES[code]) == {Language.ZH_CN, Language.EN}
    assert all(text.strip() for text in MESSAGES[code].values())


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, Language.ZH_CN),
        ("", Language.ZH_CN),
        ("en", Language.EN),
        ("en-GB,en;q=0.8", Language.EN),
        ("zh-CN,zh;q=0.9,en;q=0.8", Language.ZH_CN),
        ("fr-FR, en;q=0.5", Language.EN),
        ("de, fr", Language.ZH_CN),
        ("zh-TW;q=0.1, en;q=0.9", Language.EN),
        ("en;q=0", Language.ZH_CN),
        ("en;q=garbage", Language.ZH_CN),
    ],
)
def test_accept_language(header: str | None, expected: Language) -> None:
    assert negotiate(header) is expected


def test_message_fills_parameters_and_survives_missing_ones() -> None:
    assert message(ErrorCode.TOO_LONG, Language.EN, {"max": 5}) == "Too long: at most 5 characters."
    assert message(ErrorCode.TOO_LONG, Language.EN, {}) == "Too long: at most {max} characters."
