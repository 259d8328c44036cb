"""The code passes the project's lint rules (ruff, configured in pyproject.toml): the same check as
`make lint`, run with the suite so CI keeps it."""

import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import require

ROOT = Path(__file__).resolve().parent.parent


def test_ruff_finds_nothing():
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    require(ruff is not None, "ruff is not installed (it comes with the dev extras: pip install -e '.[dev]')")
    result = subprocess.run([ruff, "check", "--no-cache", "."], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
