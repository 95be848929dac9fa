"""Broken catalogue files give a clear, located message, never a traceback or a silent pass."""

from __future__ import annotations

from pathlib import Path

import pytest

from sources.catalogue import Catalogue, CatalogueError


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_missing_file_is_reported(seeds_copy: Path) -> None:
    (seeds_copy / "units.csv").unlink()
    problems = Catalogue(seeds_copy).problems()
    assert any("目录文件缺失" in p and "units.csv" in p for p in problems)


def test_ragged_row_is_reported_with_its_line(seeds_copy: Path) -> None:
    with (seeds_copy / "plans.csv").open("a", encoding="utf-8") as handle:
        handle.write("broken_plan,only,three\n")
    problems = Catalogue(seeds_copy).problems()
    assert any("plans.csv" in p and "列数" in p for p in problems)


def test_non_utf8_file_is_reported(seeds_copy: Path) -> None:
    path = seeds_copy / "regions.csv"
    path.write_bytes(path.read_text(encoding="utf-8").encode("gb18030"))
    assert any("UTF-8" in p for p in Catalogue(seeds_copy).problems())


def test_dangling_reference_is_reported(seeds_copy: Path) -> None:
    _edit(seeds_copy / "indicator_terms.csv", "valid_invention_patents,1", "no_such_element,1")
    assert any("no_such_element" in p for p in Catalogue(seeds_copy).problems())


def test_duplicate_key_is_reported(seeds_copy: Path) -> None:
    path = seeds_copy / "units.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([*lines, lines[1]]) + "\n", encoding="utf-8")
    assert any("重复" in p and "item" in p for p in Catalogue(seeds_copy).problems())


def test_target_citing_another_seed_is_reported(seeds_copy: Path) -> None:
    _edit(seeds_copy / "plan_targets.csv", "000_bba6a331b5d2d15d.txt,三(二)2", "002_48ad8efa68f5a009.txt,三(二)2")
    assert any("出处" in p for p in Catalogue(seeds_copy).problems())


def test_non_numeric_target_value_raises_clear_error(seeds_copy: Path) -> None:
    _edit(seeds_copy / "plan_targets.csv", ",>=,23000,", ",>=,约23000,")
    with pytest.raises(CatalogueError, match="不是数字"):
        _ = Catalogue(seeds_copy).targets


def test_unknown_table_name_is_refused(catalogue: Catalogue) -> None:
    with pytest.raises(CatalogueError, match="未知的目录表"):
        catalogue.rows("../etc/passwd")


def test_unknown_judgement_is_reported(seeds_copy: Path) -> None:
    _edit(seeds_copy / "plan_targets.csv", "均须高于0.12%,each_year", "均须高于0.12%,yearly")
    problems = Catalogue(seeds_copy).problems()
    assert any("licheng_strong.01" in p and "'yearly'" in p and "未知" in p and "each_year" in p for p in problems)


def test_judgement_on_a_kind_without_judgements_is_reported(seeds_copy: Path) -> None:
    _edit(seeds_copy / "plan_targets.csv", "三(二)2,,\n", "三(二)2,按年,each_year\n")  # gulou_demo.02, annual_min
    problems = Catalogue(seeds_copy).problems()
    assert any("gulou_demo.02" in p and "不适用于目标类型 annual_min" in p for p in problems)


def test_unknown_preferred_source_and_missing_citation_are_reported(seeds_copy: Path) -> None:
    path = seeds_copy / "data_elements.csv"
    _edit(
        path,
        'bulletin,"003_e11b5540b9df7916.txt, indicator note 4"',
        'cnipa,"003_e11b5540b9df7916.txt, indicator note 4"',
    )
    _edit(path, 'bulletin,"003_e11b5540b9df7916.txt, indicator note 5"', "bulletin,")
    problems = Catalogue(seeds_copy).problems()
    assert any("valid_trademarks" in p and "'cnipa'" in p and "未知" in p for p in problems)
    assert any("pledge_financing_amount" in p and "缺少出处" in p for p in problems)


def test_missing_judgement_column_is_reported(seeds_copy: Path) -> None:
    path = seeds_copy / "target_kinds.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(line.rsplit(",", 1)[0] for line in lines) + "\n", encoding="utf-8")
    assert any("target_kinds.csv 缺少列" in p and "judgements" in p for p in Catalogue(seeds_copy).problems())
