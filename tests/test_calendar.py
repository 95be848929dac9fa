"""Nothing depends on the machine's date: the pinned day, the clock intake reads, and dbt's as-of day.

The whole suite is also run with the machine's clock moved (`make test-clock`, libfaketime), which
is what catches a test that mixes the wall clock with a pinned day.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from pathlib import Path

from core.settings import REPO_ROOT, Settings, local_now
from orchestration.dbt import dbt_vars
from sources.demo.follow_up import FOLLOW_UP_ON, SAMPLE_DAY
from sources.intake.pipeline import Incoming, _received_at
from tests.form_files import dropped_at

PINNED = date(2026, 11, 21)


def _settings(tmp_path: Path, today: date | None) -> Settings:
    return Settings(home=tmp_path, warehouse=tmp_path / "w.duckdb", today_override=today)


def _dropped(path: Path, at: datetime) -> Incoming:
    path.write_bytes(b"x")
    return Incoming(dropped_at(path, at), None)


def test_a_file_dropped_after_the_pinned_day_is_received_on_that_day(tmp_path: Path) -> None:
    late = _dropped(tmp_path / "late.xlsx", datetime(2031, 5, 6, 7, 8, 9))
    received = _received_at(late, _settings(tmp_path, PINNED))
    assert received.date() == PINNED


def test_a_file_dropped_before_the_pinned_day_keeps_its_own_time(tmp_path: Path) -> None:
    early = _dropped(tmp_path / "early.xlsx", datetime(2026, 11, 3, 9, 30))
    assert _received_at(early, _settings(tmp_path, PINNED)) == datetime(2026, 11, 3, 9, 30)


def test_without_a_pinned_day_a_file_is_received_when_it_was_dropped_but_never_in_the_future(tmp_path: Path) -> None:
    settings = _settings(tmp_path, None)
    dropped = _dropped(tmp_path / "f.xlsx", datetime(2026, 11, 3, 9, 30))
    assert _received_at(dropped, settings) == datetime(2026, 11, 3, 9, 30)
    future = _dropped(tmp_path / "g.xlsx", datetime(local_now().year + 5, 1, 1))
    assert _received_at(future, settings) <= local_now()


def test_the_pinned_clock_keeps_the_time_of_day_on_the_pinned_day(tmp_path: Path) -> None:
    now = _settings(tmp_path, PINNED).now()
    assert now.date() == PINNED
    assert _settings(tmp_path, None).now().date() == local_now().date()


def test_dbt_is_always_told_the_day_it_judges_as_of(tmp_path: Path) -> None:
    # Unpinned too: DuckDB's current_date is the machine's zone (UTC), a day behind Shanghai until 08:00.
    for today in (PINNED, None):
        settings = _settings(tmp_path, today)
        flag, payload = dbt_vars(settings)
        assert flag == "--vars" and json.loads(payload) == {"as_of": settings.today.isoformat()}


def test_as_of_note_says_whether_the_day_is_pinned(tmp_path: Path) -> None:
    assert "IPWH_TODAY" in _settings(tmp_path, PINNED).as_of_note()
    assert str(PINNED) in _settings(tmp_path, PINNED).as_of_note()
    assert "（今天）" in _settings(tmp_path, None).as_of_note()


def test_make_run_tells_the_sample_as_of_its_own_day() -> None:
    makefile = (REPO_ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^SAMPLE_DAY := (\S+)$", makefile, re.M).group(1) == SAMPLE_DAY.isoformat()
    run = makefile.split("\nrun:", 1)[1].split("\n\n", 1)[0]
    lines = [line.strip() for line in run.splitlines()[1:]]
    commands = [line for line in lines if "$(BIN)/ipwh" in line and not line.startswith("@echo")]
    assert len(commands) >= 4 and all(c.startswith("IPWH_TODAY=$(SAMPLE_DAY) ") for c in commands)
    assert FOLLOW_UP_ON <= SAMPLE_DAY  # the follow-up has arrived by the sample's day
