"""The submitter's pages (填报员): 我的报表, one duty, template, upload, online form, receipts.

Every route that names a department checks the user's explicit grant for it (404 otherwise); every
route that names a submission or receipt checks the grant for that submission's department.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from portal.accounts.access import SUBMIT_PERMISSION, audit, departments_of, require_department
from portal.submissions import duties as duty_lib
from portal.submissions import services
from portal.submissions.forms import NoteForm, OnlineForm, UploadForm
from portal.submissions.models import Draft, PortalSubmission
from sources.forms.csv_template import render_csv_form
from sources.forms.layout import TASK_LAYOUT
from sources.forms.xlsx_template import render_xlsx_form

submitter_only = permission_required(SUBMIT_PERMISSION, raise_exception=True)


def _today():  # type: ignore[no-untyped-def]
    return settings.IPWH.today


def _queued(departments: list[str]) -> dict[tuple[str, str, str], set[str]]:
    out: dict[tuple[str, str, str], set[str]] = {}
    for r in PortalSubmission.objects.filter(department_code__in=departments, queued=True):
        out.setdefault((r.department_code, r.form_code, r.period), set()).add(r.sha256)
    return out


def _resolve(request: HttpRequest, department: str, form: str, period: str):  # type: ignore[no-untyped-def]
    require_department(request.user, department)
    a = duty_lib.find_assignment(department, form)
    p = duty_lib.parse_period(a, period) if a else None
    if a is None or p is None:
        raise Http404("没有这张报表")
    return a, p


@login_required
@submitter_only
def my_forms(request: HttpRequest) -> HttpResponse:
    departments = departments_of(request.user)
    status = services.status()
    queued = _queued(departments)
    groups = []
    for code in departments:
        mine = {(f, p): s for (d, f, p), s in queued.items() if d == code}
        groups.append((code, duty_lib.duties(code, status, _today(), mine)))
    due_soon = [d for _, ds in groups for d in ds if d.status in ("未报", "已退回") and d.days_left <= 7]
    return render(
        request,
        "submissions/my_forms.html",
        {"groups": groups, "status": status, "today": _today(), "due_soon": due_soon},
    )


@login_required
@submitter_only
def duty_detail(request: HttpRequest, department: str, form: str, period: str) -> HttpResponse:
    a, p = _resolve(request, department, form, period)
    status = services.status()
    mine = _queued([department]).get((department, form, period), set())
    duty = duty_lib.duty(a, p, status, mine, _today())
    portal_rows = PortalSubmission.objects.filter(department_code=department, form_code=form, period=period)
    return render(
        request,
        "submissions/duty.html",
        {
            "duty": duty,
            "today": _today(),
            "status": status,
            "upload_form": UploadForm(),
            "portal_rows": portal_rows,
            "online_possible": a.form.layout_kind != TASK_LAYOUT,
        },
    )


@login_required
@submitter_only
def template(request: HttpRequest, department: str, form: str, period: str, fmt: str) -> HttpResponse:
    a, p = _resolve(request, department, form, period)
    name = f"{a.form.code}_{a.department_code}_{p.code}"
    if fmt == "xlsx":
        data = render_xlsx_form(a, p)
        kind = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    elif fmt == "csv" and a.form.layout_kind != TASK_LAYOUT:
        data = render_csv_form(a, p).encode("utf-8-sig")
        kind = "text/csv; charset=utf-8"
    else:
        raise Http404("没有这种模板格式")
    audit(request, "下载模板", f"{department}/{form}/{p.code}", fmt)
    response = HttpResponse(data, content_type=kind)
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


@login_required
@submitter_only
@require_POST
def upload(request: HttpRequest, department: str, form: str, period: str) -> HttpResponse:
    _resolve(request, department, form, period)
    request.FILES  # noqa: B018  parsing the body is what trips the size limit (LimitedUploadHandler)
    if getattr(request, "upload_too_large", False):
        limit = settings.PORTAL_MAX_UPLOAD_BYTES // (1024 * 1024)
        messages.error(request, f"文件超过 {limit} MB 上限，未接收。请上传系统生成的报表模板。")
        return redirect("submissions:duty", department, form, period)
    upload_form = UploadForm(request.POST, request.FILES)
    if not upload_form.is_valid():
        for errors in upload_form.errors.values():
            for e in errors:
                messages.error(request, e)
        return redirect("submissions:duty", department, form, period)
    upload_file = upload_form.cleaned_data["file"]
    data = upload_file.read()
    record, _preview = services.receive(data, upload_file.name or "", department, request.user, "upload", form, period)
    audit(
        request,
        "上传报表",
        f"{department}/{form}/{period}",
        f"{record.file_name} {record.sha256[:16]} {record.outcome}",
    )
    return redirect("submissions:submission", record.pk)


@login_required
@submitter_only
def online(request: HttpRequest, department: str, form: str, period: str) -> HttpResponse:
    a, p = _resolve(request, department, form, period)
    if a.form.layout_kind == TASK_LAYOUT:
        raise Http404("此表请下载模板填报")
    draft = Draft.objects.filter(department_code=department, form_code=form, period=p.code).first()
    problems: list[dict[str, object]] = []
    if request.method == "POST":
        online_form = OnlineForm(a, request.POST)
        if online_form.is_valid():
            values = online_form.values()
            if request.POST.get("action") == "save":
                Draft.objects.update_or_create(
                    department_code=department,
                    form_code=form,
                    period=p.code,
                    defaults={"values": _draft_values(online_form), "saved_by": request.user.get_username()},
                )
                audit(request, "保存草稿", f"{department}/{form}/{p.code}")
                messages.success(request, "草稿已保存（尚未报送）。")
                return redirect("submissions:online", department, form, p.code)
            signature = {k: online_form.cleaned_data[k] for k in ("filled_by", "phone") if online_form.cleaned_data[k]}
            data = render_xlsx_form(a, p, values={k: v for k, v in values.items() if v}, signature=signature)
            preview = services.queue.precheck(data, "网页填报.xlsx", department, settings.IPWH, services.status())
            note = online_form.cleaned_data["note"].strip()
            problems = services.problem_dicts(preview)
            for problem in preview.errors:
                field = problem.element_code if problem.element_code in online_form.fields else None
                online_form.add_error(field, f"{problem.message}（{problem.fix}）")
            if not preview.errors and preview.warnings and len(note) < 4:
                online_form.add_error("note", "有提示：请核对；数据属实时须填写情况说明（至少 4 个字）后再报送。")
            if online_form.is_valid() and preview.outcome != "rejected":
                record, _ = services.receive(
                    data, f"网页填报_{form}_{p.code}.xlsx", department, request.user, "online", form, p.code, note
                )
                Draft.objects.filter(department_code=department, form_code=form, period=p.code).delete()
                audit(request, "网页填报报送", f"{department}/{form}/{p.code}", record.outcome)
                return redirect("submissions:submission", record.pk)
    else:
        online_form = OnlineForm(a, initial=draft.values if draft else None)
    return render(
        request,
        "submissions/online.html",
        {"assignment": a, "period": p, "form": online_form, "draft": draft, "problems": problems},
    )


def _draft_values(form: OnlineForm) -> dict[str, str]:
    """What a draft keeps: the form's own fields as typed (no token, no button)."""
    return {name: str(form.cleaned_data.get(name, "")) for name in form.fields}


def _own_submission(request: HttpRequest, pk: int) -> PortalSubmission:
    record = get_object_or_404(PortalSubmission, pk=pk)
    require_department(request.user, record.department_code)
    return record


@login_required
@submitter_only
def submission(request: HttpRequest, pk: int) -> HttpResponse:
    record = _own_submission(request, pk)
    status = services.status()
    recorded = status.by_sha(record.sha256) if record.outcome != "duplicate" else None
    return render(
        request,
        "submissions/submission.html",
        {"record": record, "recorded": recorded, "status": status, "note_form": NoteForm()},
    )


@login_required
@submitter_only
@require_POST
def explain(request: HttpRequest, pk: int) -> HttpResponse:
    record = _own_submission(request, pk)
    note_form = NoteForm(request.POST)
    if record.queued or record.outcome != "accepted":
        messages.error(request, "这份报送不需要情况说明。")
        return redirect("submissions:submission", pk)
    if not note_form.is_valid():
        for e in note_form.errors.get("note", []):
            messages.error(request, e)
        return redirect("submissions:submission", pk)
    archived = next((settings.IPWH.archive / record.sha256[:2]).glob(f"{record.sha256}.*"), None)
    if archived is None:
        raise Http404("找不到已存档的文件")
    record.note = note_form.cleaned_data["note"]
    services.send(record, archived.read_bytes())
    audit(request, "填写情况说明并报送", f"{record.department_code}/{record.form_code}/{record.period}")
    return redirect("submissions:submission", pk)


def _own_row(request: HttpRequest, submission_id: str):  # type: ignore[no-untyped-def]
    row = next((r for r in services.status().rows if r.submission_id == submission_id), None)
    if row is None:
        raise Http404("没有这份回执")
    require_department(request.user, row.department_code or row.inbox_department or "")
    return row


@login_required
@submitter_only
def receipt(request: HttpRequest, submission_id: str, fmt: str) -> HttpResponse:
    row = _own_row(request, submission_id)
    if fmt not in ("txt", "xlsx"):
        raise Http404("没有这种回执格式")
    folder = settings.IPWH.receipts / (row.department_code or row.inbox_department or "_未识别")
    path = folder / f"{row.submission_id}.{fmt}"
    if not path.is_file():
        raise Http404("回执文件不存在")
    return FileResponse(path.open("rb"), as_attachment=True, filename=f"回执_{row.submission_id}.{fmt}")


@login_required
@submitter_only
def archived(request: HttpRequest, submission_id: str) -> HttpResponse:
    row = _own_row(request, submission_id)
    path = settings.IPWH.archive / row.archive_path
    if not path.is_file():
        raise Http404("存档文件不存在")
    return FileResponse(path.open("rb"), as_attachment=True, filename=f"{row.submission_id}{path.suffix}")
