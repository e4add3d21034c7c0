"""Problems found in a site file, each tied to a file and line, in English and Chinese."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

from gapwatch.site.yaml_lines import LineIndex

__all__ = [
    "Language",
    "Locator",
    "Origin",
    "Problem",
    "Text",
    "key_path",
    "redact_credentials",
    "split_bilingual",
]

Language = Literal["en", "zh"]

# Validators inside the schema can only raise one string; they write "English ｜ 中文" and the
# loader splits it, so direct users of the schema still read both languages.
BILINGUAL_SEPARATOR = " ｜ "


@dataclass(frozen=True)
class Text:
    """One message in both languages."""

    en: str
    zh: str

    def __str__(self) -> str:
        return self.en


_CREDENTIALS = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)[^/\s'\"]*@")


def redact_credentials(text: str) -> str:
    """`rtsp://user:pass@host/...` → `rtsp://***@host/...` anywhere in `text`."""
    return _CREDENTIALS.sub(r"\g<scheme>***@", text)


def split_bilingual(message: str) -> Text:
    """Split an 'English ｜ 中文' validator message; a plain one is used for both."""
    en, sep, zh = message.partition(BILINGUAL_SEPARATOR)
    return Text(en, zh) if sep else Text(message, message)


def key_path(path: Sequence[str | int]) -> str:
    """`("cameras", 3, "hfov_deg")` → `cameras[3].hfov_deg`."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


@dataclass(frozen=True)
class Problem:
    """Something wrong (or, for a warning, doubtful) at one line of one file."""

    file: Path
    line: int
    text: Text
    warning: bool = False

    def __post_init__(self) -> None:
        # A stream URL typed where it does not belong must not echo its password.
        clean = Text(redact_credentials(self.text.en), redact_credentials(self.text.zh))
        object.__setattr__(self, "text", clean)

    def render(self, language: Language = "en") -> str:
        """`FILE:LINE: message` in the chosen language."""
        message = self.text.zh if language == "zh" else self.text.en
        return f"{self.file}:{self.line}: {message}"

    def sort_key(self) -> tuple[str, int]:
        return (str(self.file), self.line)


class Origin(Protocol):
    """Where the parts of one item were written."""

    def where(self, rest: tuple[str | int, ...]) -> tuple[Path, int, str]:
        """File, line and key path shown to the user for a path inside the item."""
        ...


@dataclass(frozen=True)
class Locator:
    """Maps a path in the merged site document to the file and line it came from."""

    file: Path
    lines: LineIndex
    overrides: dict[tuple[str, int], Origin] = field(default_factory=dict)

    def where(
        self, path: Sequence[str | int], *, prefer_key: bool = False
    ) -> tuple[Path, int, str]:
        """File, line and displayed key path of `path`."""
        parts = tuple(path)
        if len(parts) >= 2 and isinstance(parts[0], str) and isinstance(parts[1], int):
            origin = self.overrides.get((parts[0], parts[1]))
            if origin is not None:
                return origin.where(parts[2:])
        return self.file, self.lines.line_of(parts, prefer_key=prefer_key), key_path(parts)

    def problem(
        self,
        path: Sequence[str | int],
        en: str,
        zh: str,
        *,
        warning: bool = False,
        prefer_key: bool = False,
    ) -> Problem:
        """A problem at `path`, its message prefixed by the key path."""
        file, line, shown = self.where(path, prefer_key=prefer_key)
        prefix = f"{shown}: " if shown else ""
        return Problem(file, line, Text(prefix + en, prefix + zh), warning)
