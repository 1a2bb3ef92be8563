"""Run fakesnow's behaviour tests against the emulator: the yardstick for drop-in compatibility.

    python tools/fakesnow_suite/run.py PATH [pytest options]

PATH is a fakesnow checkout (a work tree, or a bare git directory such as the search tool's fetch gives).
Its `tests/` are copied to a temporary folder, their conftest replaced by ours (fixtures on `patch()`),
and pytest runs there. Needs pandas, sqlalchemy, snowflake-sqlalchemy and dirty-equals beside snowsim.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def copy_tests(checkout: Path, into: Path) -> Path:
    """fakesnow's tests/ as a package under `into`, from a work tree or a bare repository."""
    if (checkout / "tests").is_dir():
        shutil.copytree(checkout / "tests", into / "tests")
    else:
        archive = subprocess.run(["git", "-C", str(checkout), "archive", "HEAD", "tests"],
                                 check=True, capture_output=True).stdout
        subprocess.run(["tar", "x", "-C", str(into)], input=archive, check=True)
    shutil.copy(HERE / "conftest.py", into / "tests" / "conftest.py")
    return into / "tests"


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0 if argv else 2
    checkout = Path(argv[0])
    if not checkout.exists():
        print(f"error: {checkout}: no such fakesnow checkout", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="fakesnow-suite-") as folder:
        tests = copy_tests(checkout, Path(folder))
        command = [sys.executable, "-m", "pytest", str(tests), "-p", "no:cacheprovider", "-n", "0",
                   "-o", "addopts=", "-o", "filterwarnings=", "--rootdir", folder, *argv[1:]]
        return subprocess.run(command, cwd=folder).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
