"""The deliberate mistakes planted in the demo figures, and a description of each for the checks.

Exactly four kinds, each chosen so that a different part of the system has to notice it:
a) timeliness: one county's 2026Q3 form arrives after its due date, one sub-district's never arrives;
b) the quality gate: a county finance bureau reports its IP fund in 元 instead of 万元 (10⁴× its
   history, yet inside the catalogue's range and the form's rules, so intake accepts it);
c) versions: a county's monthly form comes twice, the first with a transposed-digit typo that intake
   accepts (an outlier only: the biggest such slip that breaks no rule), the second marked "更正";
d) intake rules: a county's monthly form first breaks grants_by_type_sum (rejected), then comes again
   corrected the next day.
None of them touches a city department's own submission, so the seed-anchored city figures stay clean.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from sources.catalogue import Catalogue
from sources.forms.spec import form_spec

if TYPE_CHECKING:
    from sources.demo.figures import DemoSubmission, _Truth

# Where each defect goes (parameters: form code, region code, element or rule code).
LATE = ("ip_protection_quarterly", "350123")  # 罗源县市场监督管理局, latest quarter
LATE_BY_DAYS = 12
MISSING = ("subdistrict_quarterly", "350102100000")  # 洪山镇, latest quarter
UNIT_SLIP = ("finance_annual", "350125", "ip_special_fund")  # 永泰县财政局, latest year
TYPO = ("ip_creation_monthly", "350105", "valid_invention_patents")  # 马尾区, the month before the latest
REJECTED = ("ip_creation_monthly", "350111", "grants_by_type_sum")  # 晋安区, latest month
CORRECTION_NOTE = "更正"
RESUBMISSION_NOTE = "退回后重报"


def plant(
    catalogue: Catalogue, truth: _Truth, clean: list[DemoSubmission]
) -> tuple[list[DemoSubmission], list[dict[str, object]]]:
    """The clean submissions with the four defects planted, sorted by arrival, and their descriptions."""
    subs = list(clean)
    planted: list[dict[str, object]] = []

    # a) late, and missing
    i = _latest(subs, *LATE)
    late = subs[i]
    due = late.period.due(form_spec(catalogue, late.form_code).due_days)
    subs[i] = replace(late, received_on=due + timedelta(days=LATE_BY_DAYS))
    planted.append(
        _describe(
            "late",
            late,
            None,
            due,
            subs[i].received_on,
            what=f"{late.period.label}报表于 {subs[i].received_on.isoformat()} 才报送，晚于截止日 {due.isoformat()}",
            check=f"及时性检查：标记为逾期报送（迟报 {(subs[i].received_on - due).days} 天）",
        )
    )
    j = _latest(subs, *MISSING)
    missing = subs.pop(j)
    due = missing.period.due(form_spec(catalogue, missing.form_code).due_days)
    planted.append(
        _describe(
            "missing",
            missing,
            None,
            due,
            None,
            what=f"{missing.period.label}报表未报送",
            check="完整性检查：应报未报，截止日后列入催报名单",
        )
    )

    # b) a figure in 元 instead of 万元
    form, region, element = UNIT_SLIP
    i = _latest(subs, form, region)
    sub = subs[i]
    right = sub.values[element]
    assert isinstance(right, Decimal)
    wrong = (right * 10_000).quantize(right)
    subs[i] = replace(sub, values={**sub.values, element: wrong})
    _assert_rules_hold(catalogue, subs[i])
    due = sub.period.due(form_spec(catalogue, form).due_days)
    planted.append(
        _describe(
            "unit_mistake",
            sub,
            element,
            due,
            sub.received_on,
            wrong=wrong,
            right=right,
            what=f"专项资金按“元”填报（{wrong}），应为 {right} 万元，是历年数值的 10⁴ 倍",
            check="质量关卡：与历史值相比的离群检查（数量级跳变），入库时不报错（仍在目录允许范围内且满足表内规则）",
        )
    )

    # c) a typo accepted by intake, corrected two days later
    form, region, element = TYPO
    i = _latest(subs, form, region, back=1)
    sub = subs[i]
    right = sub.values[element]
    assert isinstance(right, Decimal)
    wrong = next(
        w
        for w in (*_transpositions(int(right)), int(right) * 10 + int(right) % 10)
        if _rules_hold(catalogue, replace(sub, values={**sub.values, element: Decimal(w)}))
    )  # the biggest slip that still passes every rule; failing that, a doubled last keystroke
    wrong = Decimal(wrong)
    due = sub.period.due(form_spec(catalogue, form).due_days)
    second = _weekday_on_or_before(due)
    first = _weekday_on_or_before(second - timedelta(days=2))
    typo = replace(sub, values={**sub.values, element: wrong}, received_on=first)
    _assert_rules_hold(catalogue, typo)
    subs[i] = replace(sub, received_on=second, version_note=CORRECTION_NOTE)
    subs.append(typo)
    planted.append(
        _describe(
            "corrected_resubmission",
            sub,
            element,
            due,
            first,
            wrong=wrong,
            right=right,
            resubmitted_on=second,
            what=f"首次报送把 {right} 错录为 {wrong}（相邻数字颠倒），{second.isoformat()} 以“{CORRECTION_NOTE}”重报",
            check="版本管理：第 1 版入库（仅为离群值），第 2 版取代第 1 版；质量关卡应对第 1 版的跳变报警",
        )
    )

    # d) a file intake rejects for breaking a form rule, sent again the next day
    form, region, rule_code = REJECTED
    rule = next(r for r in form_spec(catalogue, form).rules if r.code == rule_code)
    i = _latest(subs, form, region)
    sub = subs[i]
    total = rule.right[0]
    right = sub.values[total]
    assert isinstance(right, Decimal)
    wrong = Decimal(_transposed_any(int(right)))
    due = sub.period.due(form_spec(catalogue, form).due_days)
    first = min(sub.received_on, due - timedelta(days=1))
    bad = replace(sub, values={**sub.values, total: wrong}, received_on=first)
    subs[i] = replace(sub, received_on=first + timedelta(days=1), version_note=RESUBMISSION_NOTE)
    subs.append(bad)
    parts = "+".join(rule.left)
    planted.append(
        _describe(
            "rejected_file",
            sub,
            total,
            due,
            first,
            wrong=wrong,
            right=right,
            resubmitted_on=first + timedelta(days=1),
            rule=rule_code,
            what=f"首次报送 {total} = {wrong}，不等于 {parts} = {right}，违反表内规则 {rule_code}",
            check=f"入库校验：整份退回（错误：rule:{rule_code}）；次日重报后接收",
        )
    )

    subs.sort(key=lambda s: (s.received_on, s.form_code, s.department_code, s.period.start))
    return subs, planted


def _latest(subs: list[DemoSubmission], form: str, region: str, back: int = 0) -> int:
    """Index of the form's latest (or `back` periods earlier) submission from `region`'s department."""
    found = sorted((s.period.start, i) for i, s in enumerate(subs) if s.form_code == form and s.region_code == region)
    if len(found) <= back:
        raise LookupError(f"no {form} submissions from {region} to plant a defect in")
    return found[-1 - back][1]


def _transpositions(n: int) -> list[int]:
    """Every swap of two different neighbouring digits, the biggest change first."""
    digits = list(str(n))
    out = set()
    for k in range(len(digits) - 1):
        if digits[k] != digits[k + 1] and not (k == 0 and digits[k + 1] == "0"):
            swapped = digits.copy()
            swapped[k], swapped[k + 1] = swapped[k + 1], swapped[k]
            out.add(int("".join(swapped)))
    return sorted(out, key=lambda v: (-abs(v - n), v))


def _transposed_any(n: int) -> int:
    """Swap the last two different neighbouring digits (so the total no longer matches its parts)."""
    digits = list(str(n))
    for k in range(len(digits) - 2, -1, -1):
        if digits[k] != digits[k + 1]:
            digits[k], digits[k + 1] = digits[k + 1], digits[k]
            return int("".join(digits))
    return n + 10


def _weekday_on_or_before(day: date) -> date:
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def _rules_hold(catalogue: Catalogue, sub: DemoSubmission) -> bool:
    """Whether every error-severity rule of the form holds (what intake checks)."""
    for rule in form_spec(catalogue, sub.form_code).rules:
        if rule.severity != "error":
            continue
        values = [sub.values.get(t) for t in (*rule.left, *rule.right)]
        if any(not isinstance(v, Decimal) for v in values):
            continue
        left = sum((sub.values[t] for t in rule.left), Decimal(0))  # type: ignore[misc]
        right = sum((sub.values[t] for t in rule.right), Decimal(0))  # type: ignore[misc]
        if not {"=": left == right, "<=": left <= right, ">=": left >= right}[rule.comparator]:
            return False
    return True


def _assert_rules_hold(catalogue: Catalogue, sub: DemoSubmission) -> None:
    """Defects b) and c) must pass intake: every error rule of the form still holds."""
    if not _rules_hold(catalogue, sub):
        raise AssertionError(f"planted defect breaks a rule of {sub.form_code} for {sub.region_code}")


def _describe(
    kind: str,
    sub: DemoSubmission,
    element: str | None,
    due: date | None,
    received: date | None,
    *,
    what: str,
    check: str,
    wrong: Decimal | None = None,
    right: Decimal | None = None,
    resubmitted_on: date | None = None,
    rule: str | None = None,
) -> dict[str, object]:
    return {
        "kind": kind,
        "form_code": sub.form_code,
        "department_code": sub.department_code,
        "region_code": sub.region_code,
        "period": sub.period.code,
        "element_code": element,
        "rule_code": rule,
        "due_on": due,
        "received_on": received,
        "resubmitted_on": resubmitted_on,
        "wrong_value": wrong,
        "right_value": right,
        "what": what,
        "check": check,
    }
