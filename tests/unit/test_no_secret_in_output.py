"""Credentials never reach an output: with a password planted and the account unreachable, the live
conformance run fails without printing it, even with pytest's locals shown."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SECRET = "planted-secret-7f3a9c"


def test_a_failed_live_connection_prints_no_password(tmp_path) -> None:
    env = {**os.environ, "SNOWFLAKE_ACCOUNT": "snowsim-no-such-account.invalid", "SNOWFLAKE_USER": "nobody",
           "SNOWFLAKE_PASSWORD": SECRET, "SNOWFLAKE_CONNECTOR_LOGLEVEL": "DEBUG"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-n", "0", "-x", "-l", "--tb=long", "-p", "no:cacheprovider",
         "--log-level=DEBUG", "-o", "log_cli=true", "-m", "snowflake", "tests/conformance/test_warehouses.py"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    output = result.stdout + result.stderr
    assert "cannot connect to Snowflake account snowsim-no-such-account.invalid" in output, output[-3000:]
    assert SECRET not in output
