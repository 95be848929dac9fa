"""The province's upload endpoint, driven the way the city drives it (`ipwh returns send --to http://…`)
against a live server on loopback: the receipt comes back and is kept beside the package; wrong
credentials, an account not granted the city, and plain http to another host are refused."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from django.urls import reverse
from typer.testing import CliRunner

from orchestration.cli import app
from portal.conftest import PASSWORD, _account
from reports.delivery import DeliveryError, check_url, to_portal
from reports.signing import key_pair
from reports.upstream_keys import register
from tests.upstream_support import make_package, province

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def setup(tmp_path: Path, settings, roles):  # type: ignore[no-untyped-def]
    ours = province(tmp_path)
    settings.IPWH = ours
    key, public = key_pair(tmp_path / "city" / "keys")
    register(ours.keys, "350100", public)
    city = _account("fuzhou", departments=["350100.amr"])
    other = _account("gulou", departments=["350102.amr"])
    (tmp_path / "city" / "outbox").mkdir(parents=True)
    package = make_package(tmp_path / "city" / "outbox", key)
    return ours, package, city, other


def test_city_posts_its_package_and_keeps_the_provinces_receipt(live_server, setup) -> None:  # type: ignore[no-untyped-def]
    ours, package, _, _ = setup
    done = to_portal(package, live_server.url, "fuzhou", PASSWORD)
    assert done.receipt is not None and done.receipt["outcome"] == "accepted", done.receipt
    assert done.receipt["version"] == 1 and done.receipt["values"] == 3
    assert done.receipt_path is not None and "已接收，为第 1 版" in done.receipt_path.read_text(encoding="utf-8")
    assert done.receipt_path.name == "returns_2025_v1.上级回执.txt"
    with duckdb.connect(str(ours.warehouse), read_only=True) as con:
        assert con.execute("select count(*) from raw.submission_values").fetchone()[0] == 3
    again = to_portal(package, live_server.url + "/", "fuzhou", PASSWORD)
    assert again.receipt is not None and again.receipt["outcome"] == "duplicate"


def test_wrong_password_or_an_account_not_granted_the_city_is_refused(live_server, setup) -> None:  # type: ignore[no-untyped-def]
    _, package, _, _ = setup
    with pytest.raises(DeliveryError, match="HTTP 401"):
        to_portal(package, live_server.url, "fuzhou", "wrong-password-1")
    done = to_portal(package, live_server.url, "gulou", PASSWORD)  # a well-signed package, the wrong account
    assert done.receipt is not None and done.receipt["outcome"] == "rejected"
    assert "无权代表 350100.amr" in done.receipt["receipt"]


def test_upload_needs_post_and_credentials(client, setup) -> None:  # type: ignore[no-untyped-def]
    url = reverse("upstream:upload")
    assert client.get(url).status_code == 405
    answer = client.post(url, {})
    assert answer.status_code == 401 and answer["WWW-Authenticate"].startswith("Basic")


def test_cli_send_refuses_plain_http_except_to_this_machine(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DeliveryError, match="明文 http"):
        check_url("http://province.example.gov.cn/")
    assert check_url("http://127.0.0.1:8000").endswith("/upstream/upload/")
    assert (
        check_url("https://province.example.gov.cn/portal/")
        == "https://province.example.gov.cn/portal/upstream/upload/"
    )
    monkeypatch.setenv("IPWH_HOME", str(tmp_path / "var"))
    result = CliRunner().invoke(app, ["returns", "send", "--period", "2025", "--to", "http://example.org/"])
    assert result.exit_code != 0 and "Traceback" not in result.output


def _basic(user: str, password: str) -> dict[str, str]:
    import base64

    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def test_a_browser_session_is_not_a_credential(client, setup) -> None:  # type: ignore[no-untyped-def]
    # The endpoint is exempt from CSRF because it ignores sessions: a logged-in browser posting a
    # forged form gets 401, never an upload in the city's name.
    _, package, city, _ = setup
    client.force_login(city)
    with package.open("rb") as handle:
        answer = client.post(reverse("upstream:upload"), {"package": handle})
    assert answer.status_code == 401


def test_repeated_wrong_passwords_lock_the_account_out(client, setup) -> None:  # type: ignore[no-untyped-def]
    _, package, _, _ = setup
    url = reverse("upstream:upload")
    codes = [client.post(url, {}, **_basic("fuzhou", "wrong-password-1")).status_code for _ in range(5)]
    assert codes == [401, 401, 401, 401, 429]  # the fifth failure locks the account out (django-axes)
    with package.open("rb") as handle:
        locked = client.post(url, {"package": handle}, **_basic("fuzhou", PASSWORD))
    assert locked.status_code in (403, 429) and "锁定" in locked.content.decode()
