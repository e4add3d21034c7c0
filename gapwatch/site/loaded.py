"""A loaded site and the error that refuses a bad one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from gapwatch.site.models import SiteFile
from gapwatch.site.problems import Language, Problem
from gapwatch.site.projection import LocalProjection

__all__ = ["Site", "SiteError"]


@dataclass(frozen=True)
class Site:
    """A loaded site: the validated spec, where it was read from, its local metric projection,
    and doubtful points found on load (warnings, which did not stop it).

    In `spec` every position is WGS84 (converted from `site.coordinates`), the zones and
    obstacles of GeoJSON sources follow the file's own, and maintenance windows are time-zone
    aware (naive times in the file are the site's local time).
    """

    spec: SiteFile
    path: Path
    projection: LocalProjection
    warnings: tuple[Problem, ...] = ()

    @property
    def id(self) -> str:
        return self.spec.site.id

    def resolve(self, relative: str) -> Path:
        """A path written in the site file, relative to the file's folder."""
        candidate = Path(relative)
        return candidate if candidate.is_absolute() else self.path.parent / candidate


class SiteError(Exception):
    """A site file that cannot be used; `problems` are `FILE:LINE: message` lines (English).

    `details` keeps each problem with its Chinese text too; `render("zh")` gives those lines.
    """

    def __init__(
        self,
        problems: Sequence[str],
        details: Sequence[Problem] = (),
        warnings: Sequence[Problem] = (),
    ) -> None:
        super().__init__("\n".join(problems))
        self.problems = list(problems)
        self.details = tuple(details)
        self.warnings = tuple(warnings)

    @classmethod
    def from_problems(
        cls, problems: Sequence[Problem], warnings: Sequence[Problem] = ()
    ) -> SiteError:
        """Build the error from located problems."""
        return cls([p.render("en") for p in problems], problems, warnings)

    def render(self, language: Language = "en") -> list[str]:
        """The problems as `FILE:LINE: message` lines in `language`."""
        if not self.details:
            return list(self.problems)
        return [p.render(language) for p in self.details]
