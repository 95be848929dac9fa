"""Configuration through the environment: defaults, overrides and malformed values."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.settings import REPO_ROOT, ConfigError, Settings


def test_embedded_default_lives_under_var() -> None:
    s = Settings.from_env({})
    assert s.home == REPO_ROOT / "var"
    assert s.warehouse == REPO_ROOT / "var" / "warehouse.duckdb"
    assert s.dagster_home == s.home / "dagster"


def test_home_moves_everything(tmp_path: Path) -> None:
    s = Settings.from_env({"IPWH_HOME": str(tmp_path)})
    assert s.warehouse == tmp_path / "warehouse.duckdb"
    assert s.inbox == tmp_path / "inbox"


def test_ensure_dirs_creates_tree_and_quiet_instance(tmp_path: Path) -> None:
    s = Settings.from_env({"IPWH_HOME": str(tmp_path / "var")})
    s.ensure_dirs()
    for folder in (s.inbox, s.archive, s.outbox, s.dagster_home):
        assert folder.is_dir()
    assert "enabled: false" in (s.dagster_home / "dagster.yaml").read_text()


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"IPWH_WAREHOUSE": "/tmp/warehouse.sqlite"}, ".duckdb"),
        ({"IPWH_HOME": " /tmp/x"}, "空白"),
        ({"IPWH_HOME": "/tmp/a\x00b"}, "空字节"),
        ({"IPWH_REGION": "福建省"}, "区划代码"),
    ],
)
def test_malformed_settings_are_refused(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings.from_env(env)


def test_home_that_is_a_file_is_refused(tmp_path: Path) -> None:
    file = tmp_path / "not_a_dir"
    file.write_text("x")
    with pytest.raises(ConfigError, match="不是文件夹"):
        Settings.from_env({"IPWH_HOME": str(file)})


def test_warehouse_that_is_a_folder_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "wh.duckdb"
    folder.mkdir()
    with pytest.raises(ConfigError, match="是文件夹"):
        Settings.from_env({"IPWH_WAREHOUSE": str(folder)})


def test_region_setting_makes_a_provincial_installation(tmp_path: Path) -> None:
    assert Settings.from_env({"IPWH_HOME": str(tmp_path)}).region_override is None
    province = Settings.from_env({"IPWH_HOME": str(tmp_path), "IPWH_REGION": " 350000 "})
    assert province.region_override == "350000" and province.keys == tmp_path.resolve() / "keys"
