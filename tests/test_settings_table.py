"""Every setting is documented in README's settings table (issue 14 added a dozen)."""

from __future__ import annotations

import re
from pathlib import Path

from api.settings import Settings

README = Path(__file__).resolve().parent.parent / "README.md"


def documented() -> set[str]:
    """The variables the table names. A row may shorten later names of a group to their
    distinct ending (`GRIDPOINTS_MAX_DEPTH` / `_MAX_ALIASES`): an ending is completed with the
    first name's leading words it does not repeat."""
    text = README.read_text(encoding="utf-8")
    table = text[text.index("## Settings") :]
    table = table[: table.index("\n\n", table.index("| variable |"))]
    names: set[str] = set()
    for row in table.splitlines():
        cell = row.split("|")[1] if row.startswith("|") else ""
        found = re.findall(r"`(_?[A-Z][A-Z0-9_]*)`", cell)
        if not found:
            continue
        first = found[0]
        names.add(first)
        words = first.split("_")
        for ending in found[1:]:
            if not ending.startswith("_"):
                names.add(ending)
                continue
            tail = ending[1:].split("_")
            for keep in range(len(words) - 1, 0, -1):
                candidate = "_".join(words[:keep] + tail)
                if keep == 1 or words[keep - 1] != tail[0]:
                    names.add(candidate)
    return names


def test_every_setting_is_in_the_readme_table() -> None:
    table = documented()
    missing = []
    for name, field in Settings.model_fields.items():
        variable = str(field.validation_alias or f"GRIDPOINTS_{name.upper()}")
        if variable not in table:
            missing.append(variable)
    assert missing == []
