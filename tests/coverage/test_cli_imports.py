"""`gapwatch coverage` starts fast: the CLI imports each command's heavy modules only inside it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "config" / "demo-weiyuan.yaml"

# Only the service, the probes and the audit's drawings need these.
HEAVY = {"fastapi", "sqlalchemy", "cv2", "av", "uvicorn", "celery", "matplotlib", "PIL", "httpx"}

SCRIPT = """
import json, sys
from typer.testing import CliRunner
from gapwatch.cli import app
bare = sorted({m.split(".")[0] for m in sys.modules})
clients = sorted({"gapwatch.platforms.sync", "http.client", "urllib.request"} & set(sys.modules))
result = CliRunner().invoke(app, ["coverage", sys.argv[1], "--format", "json"])
assert result.exit_code == 0, result.output
after = sorted({m.split(".")[0] for m in sys.modules})
print(json.dumps({"bare": bare, "clients": clients, "after": after}))
"""


@pytest.mark.slow
def test_coverage_command_imports_nothing_of_the_service() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(DEMO)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    modules = json.loads(done.stdout.strip().splitlines()[-1])
    # Importing the CLI loads no geometry or service library at all.
    assert not {"shapely", "numpy", "pyproj", "pydantic"} & set(modules["bare"])
    # The `import` verbs are registered without loading the platforms' HTTP clients.
    assert modules["clients"] == []
    assert not HEAVY & set(modules["after"]), HEAVY & set(modules["after"])
    assert "shapely" in modules["after"]
