"""`ipwh check` and `ipwh explain`: mistakes a user can make get one clear Chinese line and exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from orchestration.cli import app

runner = CliRunner()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["explain", "no_such_check", "--period", "2026Q3", "--reason", "x"], "没有名为"),
        (["explain", "unit_slip", "--period", "2025", "--reason", "x"], "错误级检查，不能以说明放行"),
        (["explain", "forms_on_time", "--period", "2026Q3", "--reason", "   "], "说明不能为空"),
        (["explain", "forms_on_time", "--period", "2026-13", "--reason", "x"], "无法识别"),
        (["explain", "forms_on_time", "--period", "2026Q3", "--reason", "x"], "尚不存在"),
        (["check", "--period", "2026Q5"], "无法识别"),
        (["check", "--period", "2026-10"], "尚不存在"),
    ],
)
def test_usage_errors_exit_2_with_a_clear_message(ipwh_home: Path, args: list[str], message: str):
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_cli_does_not_import_great_expectations_at_start():
    import subprocess
    import sys

    code = "import sys, orchestration.cli, orchestration.quality_checks; print('great_expectations' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
