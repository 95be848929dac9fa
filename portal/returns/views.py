"""The analyst's gate and returns page for one period: what blocks it, explain a warning, build, submit."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core.warehouse import WarehouseUnavailable
from expectations.explain import ExplanationRefused
from portal.accounts.access import REVIEW_PERMISSION, audit
from portal.returns import services
from portal.returns.forms import ExplanationForm
from reports.build import GateClosed, ReturnsError
from reports.registry import SubmitError
from sources.periods import Period, PeriodError

analyst_only = permission_required(REVIEW_PERMISSION, raise_exception=True)


def _period(raw: str) -> Period:
    try:
        return Period.parse(raw)
    except PeriodError:
        raise Http404("没有这个报告期") from None


@login_required
@analyst_only
def period_page(request: HttpRequest, period: str) -> HttpResponse:
    p = _period(period)
    decision, busy = None, ""
    try:
        decision = services.gate(p)
    except WarehouseUnavailable as exc:
        busy = str(exc)
    forms = {
        i.check_name: ExplanationForm(initial={"check_name": i.check_name}, period=p.code)
        for i in (decision.blockers if decision else ())
        if i.severity == "warning"
    }
    return render(
        request,
        "returns/period.html",
        {"period": p, "decision": decision, "busy": busy, "forms": forms, "versions": services.versions(p)},
    )


@login_required
@analyst_only
@require_POST
def explain(request: HttpRequest, period: str) -> HttpResponse:
    p = _period(period)
    form = ExplanationForm(request.POST, period=p.code)
    if not form.is_valid():
        for e in form.non_field_errors() + form.errors.get("reason", []):
            messages.error(request, e)
        return redirect("returns:period", p.code)
    try:
        services.explain(form.cleaned_data["check_name"], p, form.cleaned_data["reason"], request.user.get_username())
    except (ExplanationRefused, WarehouseUnavailable) as exc:
        messages.error(request, str(exc))
        return redirect("returns:period", p.code)
    audit(request, "说明警告", f"{form.cleaned_data['check_name']} {p.code}", form.cleaned_data["reason"])
    messages.success(request, "说明已记录；下次运行质量检查（ipwh run）后关卡据此放行，说明将写入报表附注。")
    return redirect("returns:period", p.code)


@login_required
@analyst_only
@require_POST
def build(request: HttpRequest, period: str) -> HttpResponse:
    p = _period(period)
    try:
        outcome = services.build(p)
    except (GateClosed, ReturnsError, SubmitError, WarehouseUnavailable) as exc:
        messages.error(request, str(exc))
        return redirect("returns:period", p.code)
    audit(request, "生成上报报表", p.code, f"v{outcome.version}")
    if outcome.unchanged_from is not None:
        messages.info(request, f"与已报送的第 {outcome.unchanged_from} 版相同，未生成新版本。")
    else:
        messages.success(request, f"已生成第 {outcome.version} 版，共 {len(outcome.built)} 张报表。")
    for code, message in outcome.failed.items():
        messages.error(request, f"{code} 未能生成：{message}")
    return redirect("returns:period", p.code)


@login_required
@analyst_only
@require_POST
def submit(request: HttpRequest, period: str) -> HttpResponse:
    p = _period(period)
    try:
        done = services.send_upward(p, request.user.get_username(), request.POST.get("note", "").strip() or None)
    except (SubmitError, WarehouseUnavailable) as exc:
        messages.error(request, str(exc))
        return redirect("returns:period", p.code)
    audit(request, "报送上报报表", p.code, done.submission_no)
    messages.success(
        request, f"已报送 {done.submission_no}（第 {done.version} 版）；所依据的 {done.locked} 份部门报送已锁定。"
    )
    return redirect("returns:period", p.code)


@login_required
@analyst_only
def download(request: HttpRequest, period: str, version: int, name: str) -> HttpResponse:
    path = services.return_file(_period(period), version, name)
    if path is None:
        raise Http404("没有这个文件")
    return FileResponse(path.open("rb"), as_attachment=True, filename=name)
