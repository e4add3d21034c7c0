"""The audit map draws its Chinese labels with a real CJK font, or refuses, naming what to
install; never a map of boxes."""

from __future__ import annotations

from pathlib import Path

import pytest
from matplotlib import font_manager
from matplotlib.ft2font import FT2Font
from typer.testing import CliRunner

from gapwatch.cli import app
from gapwatch.coverage import mapplot

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "config" / "examples" / "riverside-plaza.yaml"
CJK_NAMES = ("CJK", "SC", "Hei", "Han")


def _draws_chinese(family: str) -> bool:
    path = font_manager.findfont(
        font_manager.FontProperties(family=family), fallback_to_default=False
    )
    return all(FT2Font(path).get_char_index(ord(ch)) != 0 for ch in "渭河源区域覆盖率")


def _forget_cjk_fonts(monkeypatch: pytest.MonkeyPatch) -> None:
    """matplotlib's font list as on a machine whose cache predates the CJK fonts."""
    kept = [f for f in font_manager.fontManager.ttflist if not any(n in f.name for n in CJK_NAMES)]
    monkeypatch.setattr(font_manager.fontManager, "ttflist", kept)


def _fontconfig_has_cjk() -> bool:
    return bool(mapplot._fontconfig_cjk_files())


@pytest.mark.skipif(not _fontconfig_has_cjk(), reason="no CJK font installed (fonts-noto-cjk)")
def test_audit_map_uses_a_font_that_draws_chinese(tmp_path: Path) -> None:
    family = mapplot.require_cjk_font()
    assert _draws_chinese(family)
    result = CliRunner().invoke(app, ["audit", str(EXAMPLE), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "map.png").stat().st_size > 10_000


@pytest.mark.skipif(not _fontconfig_has_cjk(), reason="no CJK font installed (fonts-noto-cjk)")
def test_a_font_installed_after_matplotlib_cached_its_list_is_found(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _forget_cjk_fonts(monkeypatch)
    family = mapplot.cjk_font_family()
    assert family is not None and _draws_chinese(family)


def test_a_named_font_file_is_used_and_a_bad_one_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = mapplot._fontconfig_cjk_files()
    if files:
        monkeypatch.setenv(mapplot.CJK_FONT_ENV, files[0])
        family = mapplot.cjk_font_family()
        assert family is not None and _draws_chinese(family)
    not_a_font = tmp_path / "font.otf"
    not_a_font.write_bytes(b"not a font")
    monkeypatch.setenv(mapplot.CJK_FONT_ENV, str(not_a_font))
    with pytest.raises(mapplot.MissingFontError, match="GAPWATCH_CJK_FONT"):
        mapplot.require_cjk_font()


def test_without_any_chinese_font_the_audit_refuses_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(mapplot.CJK_FONT_ENV, raising=False)
    _forget_cjk_fonts(monkeypatch)
    monkeypatch.setattr(mapplot, "_fontconfig_cjk_files", lambda: [])
    out = tmp_path / "audit"
    result = CliRunner().invoke(app, ["audit", str(EXAMPLE), "--out", str(out)])
    assert result.exit_code == 2
    assert "fonts-noto-cjk" in result.output and "中文字体" in result.output
    assert not out.exists()
