"""The dbt project as its lineage draws it: layers flow one way, every model is documented, and the
docs open on a Chinese overview (dbt parse only: no warehouse needed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.settings import Settings

LAYERS = {"staging": 0, "intermediate": 1, "marts": 2}


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> dict:
    from orchestration.dbt import prepare_manifest

    home = tmp_path_factory.mktemp("layers") / "var"
    path = prepare_manifest(Settings(home=home, warehouse=home / "warehouse.duckdb"))
    return json.loads(Path(path).read_text(encoding="utf-8"))


def _models(manifest: dict) -> dict[str, dict]:
    return {k: n for k, n in manifest["nodes"].items() if n["resource_type"] == "model"}


def _layer(node: dict) -> str:
    return Path(node["original_file_path"]).parts[1]  # models/<layer>/…


def test_no_model_reads_a_layer_above_its_own(manifest: dict) -> None:
    models = _models(manifest)
    upward = [
        f"{node['name']} ({_layer(node)}) reads {models[parent]['name']} ({_layer(models[parent])})"
        for node in models.values()
        for parent in node["depends_on"]["nodes"]
        if parent in models and LAYERS[_layer(models[parent])] > LAYERS[_layer(node)]
    ]
    assert not upward, upward


def test_models_live_in_the_folder_their_prefix_names_and_each_has_yaml(manifest: dict) -> None:
    for node in _models(manifest).values():
        prefix = node["name"].split("_", 1)[0]
        expected = {"stg": "staging", "int": "intermediate", "fct": "marts", "dim": "marts"}[prefix]
        assert _layer(node) == expected, node["original_file_path"]
        assert node.get("patch_path") and node["description"].strip(), f"{node['name']} has no YAML description"


def test_the_docs_open_on_a_chinese_overview(manifest: dict) -> None:
    overview = manifest["docs"].get("doc.ip_warehouse.__overview__")
    assert overview is not None, "no {% docs __overview__ %} block: dbt shows its English welcome page"
    text = overview["block_contents"]
    assert "知识产权规划监测数据仓库" in text and "数据集市" in text and "ipwh shell" in text
