"""Every portal route, tried by another department's submitter, by the wrong role and anonymously.

The routes come from the URL conf itself, so a new route is covered without touching this file.
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, get_resolver, reverse

from portal.conftest import FORM, GULOU, PERIOD, filled_form
from portal.submissions.models import PortalSubmission
from sources.intake.status import read_status

pytestmark = pytest.mark.django_db


def _routes(namespace: str) -> list[str]:
    resolver = get_resolver()
    for pattern in resolver.url_patterns:
        if getattr(pattern, "namespace", None) == namespace:
            return [f"{namespace}:{p.name}" for p in pattern.url_patterns if isinstance(p, URLPattern)]
    raise AssertionError(f"no {namespace} routes")


SUBMITTER_ROUTES = _routes("submissions")
ANALYST_ROUTES = _routes("review") + _routes("returns")


@pytest.fixture
def gulou_objects(client, gulou, ipwh):  # type: ignore[no-untyped-def]
    """Gulou has submitted once: a portal record, a recorded submission, receipts and an archived file."""
    client.force_login(gulou)
    client.post(
        reverse("submissions:upload", args=[GULOU, FORM, PERIOD]),
        {"file": SimpleUploadedFile("鼓楼.xlsx", filled_form())},
    )
    client.logout()
    (row,) = read_status(ipwh).rows
    return {"pk": PortalSubmission.objects.get().pk, "submission_id": row.submission_id}


def _url(name: str, objects: dict[str, object]) -> str:
    pattern = next(
        p for p in get_resolver().url_patterns if getattr(p, "namespace", None) == name.split(":")[0]
    ).url_patterns
    route = next(p for p in pattern if p.name == name.split(":")[1])
    values = {
        "department": GULOU,
        "form": FORM,
        "period": PERIOD,
        "fmt": "txt",
        "version": 1,
        "name": "r.xlsx",
        **objects,
    }
    kwargs = {k: values[k] for k in route.pattern.converters}
    return reverse(name, kwargs=kwargs)


@pytest.mark.parametrize("name", SUBMITTER_ROUTES)
def test_another_departments_submitter_gets_nothing_of_gulous(name, client, gulou_objects, taijiang):  # type: ignore[no-untyped-def]
    client.force_login(taijiang)
    url = _url(name, gulou_objects)
    if name == "submissions:my_forms":
        page = client.get(url).content.decode()
        assert GULOU not in page and "鼓楼区市场监督管理局" not in page
        return
    for method in (client.get, client.post):
        response = method(url)
        assert response.status_code in (403, 404, 405), f"{name} {method.__name__}: {response.status_code}"
        assert b"1200" not in response.content  # none of Gulou's figures


@pytest.mark.parametrize("name", SUBMITTER_ROUTES + ANALYST_ROUTES)
def test_anonymous_visitor_is_sent_to_login(name, gulou_objects):  # type: ignore[no-untyped-def]
    response = Client().get(_url(name, gulou_objects))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("name", ANALYST_ROUTES)
def test_submitter_cannot_use_the_analysts_pages(name, client, gulou_objects, gulou):  # type: ignore[no-untyped-def]
    client.force_login(gulou)
    for method in (client.get, client.post):
        assert method(_url(name, gulou_objects)).status_code in (403, 405)


@pytest.mark.parametrize("name", [n for n in SUBMITTER_ROUTES if n != "submissions:my_forms"])
def test_analyst_without_a_department_grant_cannot_submit(name, client, gulou_objects, analyst):  # type: ignore[no-untyped-def]
    client.force_login(analyst)
    assert client.post(_url(name, gulou_objects)).status_code in (403, 405)


def test_upload_without_csrf_token_is_refused_in_chinese(gulou, ipwh):  # type: ignore[no-untyped-def]
    client = Client(enforce_csrf_checks=True)
    client.force_login(gulou)
    response = client.post(
        reverse("submissions:upload", args=[GULOU, FORM, PERIOD]), {"file": SimpleUploadedFile("a.xlsx", b"x")}
    )
    assert response.status_code == 403 and "请求已过期" in response.content.decode()
    assert not PortalSubmission.objects.exists()


def test_text_a_user_typed_is_escaped_for_the_analyst(client, gulou, analyst, ipwh):  # type: ignore[no-untyped-def]
    from tests.form_files import CREATION_VALUES

    hostile = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'
    client.force_login(gulou)
    values = {**CREATION_VALUES, "pct_applications": 1500}  # a warning: needs a 说明
    client.post(
        reverse("submissions:upload", args=[GULOU, FORM, PERIOD]),
        {"file": SimpleUploadedFile(f"{hostile}.xlsx", filled_form(values))},
    )
    record = PortalSubmission.objects.get()
    client.post(reverse("submissions:explain", args=[record.pk]), {"note": hostile})
    own_page = client.get(reverse("submissions:submission", args=[record.pk])).content.decode()
    (row,) = read_status(ipwh).rows
    client.force_login(analyst)
    analyst_page = client.get(reverse("review:detail", args=[row.submission_id])).content.decode()
    for page in (own_page, analyst_page):
        assert "<script>alert(1)" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in analyst_page
