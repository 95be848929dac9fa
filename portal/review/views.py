"""The analyst's pages (统计分析员): 报送情况 board, one submission with its receipt, approve or return."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core.warehouse import WarehouseUnavailable
from portal.accounts.access import REVIEW_PERMISSION, audit
from portal.review import services
from portal.review.forms import ReturnForm
from portal.review.models import ReviewAction
from portal.submissions import duties as duty_lib
from portal.submissions.models import PortalSubmission
from portal.submissions.services import status as read_status
from sources.catalogue import load
from sources.forms.spec import form_spec, submitters
from sources.periods import Period, PeriodError

analyst_only = permission_required(REVIEW_PERMISSION, raise_exception=True)


def _periods(today) -> list[str]:  # type: ignore[no-untyped-def]
    month = Period.of("month", today.year, today.month)
    return [p.code for p in [month.previous(), month.previous().previous(), month.previous().previous().previous()]]


@login_required
@analyst_only
def board(request: HttpRequest) -> HttpResponse:
    today = settings.IPWH.today
    raw = request.GET.get("period") or _periods(today)[0]
    try:
        period = Period.parse(raw)
    except PeriodError as exc:
        messages.error(request, str(exc))
        return redirect("review:board")
    cat = load()
    status = read_status()
    queued = {r.sha256 for r in PortalSubmission.objects.filter(queued=True, period=period.code)}
    forms = [form_spec(cat, r["form_code"]) for r in cat.rows("forms")]
    forms = [f for f in forms if f.period_type == period.period_type]
    columns = []
    for f in forms:
        cells = []
        for d in submitters(cat, f):
            a = duty_lib.find_assignment(d["department_code"], f.code)
            if a is None:
                continue
            duty = duty_lib.duty(a, period, status, queued, today)
            cells.append((d, duty, _colour(duty, today)))
        columns.append((f, cells))
    return render(
        request,
        "review/board.html",
        {"period": period, "columns": columns, "status": status, "today": today, "periods": _periods(today)},
    )


def _colour(duty: duty_lib.Duty, today) -> str:  # type: ignore[no-untyped-def]
    if duty.status == "已锁定":
        return "locked"
    if duty.status == "已审核":
        return "approved"
    if duty.status == "已退回":
        return "returned"
    if duty.status == "已接收":
        late = duty.current is not None and duty.current.received_at[:10] > duty.due.isoformat()
        return "late" if late else ("warned" if duty.current and duty.current.warning_count else "ontime")
    if duty.status == "处理中":
        return "pending"
    return "missing" if duty.days_left < 0 else "open"


def _row(submission_id: str):  # type: ignore[no-untyped-def]
    row = next((r for r in read_status().rows if r.submission_id == submission_id), None)
    if row is None:
        raise Http404("没有这份报送")
    return row


@login_required
@analyst_only
def detail(request: HttpRequest, submission_id: str) -> HttpResponse:
    row = _row(submission_id)
    folder = settings.IPWH.receipts / (row.department_code or row.inbox_department or "_未识别")
    text_path = folder / f"{row.submission_id}.txt"
    receipt_text = text_path.read_text(encoding="utf-8") if text_path.is_file() else ""
    notes = PortalSubmission.objects.filter(sha256=row.file_sha256).exclude(note="")
    actions = ReviewAction.objects.filter(submission_id=submission_id)
    return render(
        request,
        "review/detail.html",
        {
            "row": row,
            "receipt_text": receipt_text,
            "has_xlsx": (folder / f"{row.submission_id}.xlsx").is_file(),
            "notes": notes,
            "actions": actions,
            "return_form": ReturnForm(),
        },
    )


def _act(request: HttpRequest, submission_id: str, action: str, reason: str) -> HttpResponse:
    row = _row(submission_id)
    if row.status not in ("accepted", "approved", "returned"):
        messages.error(request, f"当前状态为“{row.status_label}”：只有已接收的现行版本可审核或退回。")
        return redirect("review:detail", submission_id)
    try:
        services.record(submission_id, action, request.user.get_username(), reason or None)
    except WarehouseUnavailable:
        messages.error(request, "数据仓库正在构建，暂时无法记录审核结果，请一分钟后再试。")
        return redirect("review:detail", submission_id)
    ReviewAction.objects.create(
        submission_id=submission_id, action=action, reason=reason, username=request.user.get_username()
    )
    audit(request, "审核通过" if action == "approved" else "退回", submission_id, reason)
    messages.success(request, "已审核通过。" if action == "approved" else "已退回，单位将看到退回原因。")
    return redirect("review:detail", submission_id)


@login_required
@analyst_only
@require_POST
def approve(request: HttpRequest, submission_id: str) -> HttpResponse:
    return _act(request, submission_id, "approved", "")


@login_required
@analyst_only
@require_POST
def send_back(request: HttpRequest, submission_id: str) -> HttpResponse:
    form = ReturnForm(request.POST)
    if not form.is_valid():
        for e in form.errors.get("reason", []):
            messages.error(request, e)
        return redirect("review:detail", submission_id)
    return _act(request, submission_id, "returned", form.cleaned_data["reason"])


@login_required
@analyst_only
def receipt(request: HttpRequest, submission_id: str, fmt: str) -> HttpResponse:
    row = _row(submission_id)
    if fmt not in ("txt", "xlsx"):
        raise Http404("没有这种回执格式")
    path = (
        settings.IPWH.receipts / (row.department_code or row.inbox_department or "_未识别") / f"{submission_id}.{fmt}"
    )
    if not path.is_file():
        raise Http404("回执文件不存在")
    return FileResponse(path.open("rb"), as_attachment=True, filename=f"回执_{submission_id}.{fmt}")
