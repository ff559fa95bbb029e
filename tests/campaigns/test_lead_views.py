"""Lead pages: the import flow, search, export, edit, suppression list, workspace isolation."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from campaigns.leads import suppression_imports
from campaigns.leads.suppression import (
    SUPPRESSION_HEADER,
    suppression_add,
    suppression_erase_address,
)
from campaigns.models import Lead, LeadImport, LeadList, Suppression, SuppressionImport
from tests.factories import FIXTURE

pytestmark = pytest.mark.django_db


def upload(client, data: bytes, name="leads.csv", **fields):
    return client.post(
        reverse("lead_import_new"),
        {"file": SimpleUploadedFile(name, data, "text/csv"), "new_list": "Fixture", **fields},
    )


def import_fixture(client, django_capture_on_commit_callbacks):
    response = upload(client, FIXTURE.read_bytes())
    assert response.status_code == 302
    imp = LeadImport.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        mapping = {f"column_{i}": target for i, target in enumerate(imp.mapping)}
        assert client.post(response.url, mapping).status_code == 302
    return imp


def test_upload_map_and_watch_the_import(client, alice, django_capture_on_commit_callbacks):
    client.force_login(alice)
    response = upload(client, FIXTURE.read_bytes())
    page = client.get(response.url).content.decode()
    assert "68 rows into “Fixture”" in page
    assert 'name="column_2"' in page and '<option value="email" selected>' in page
    assert "Ingrid" in page  # the preview

    imp = LeadImport.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(response.url, {f"column_{i}": t for i, t in enumerate(imp.mapping)})
    progress = client.get(reverse("lead_import_progress", args=[imp.pk])).content.decode()
    assert 'data-status="done"' in progress and "hx-trigger" not in progress
    assert '<dd data-count="imported">64</dd>' in progress
    assert 'data-row="67"' in progress and "The row has 10 cells; the header has 8." in progress


def test_mapping_without_email_is_refused_with_the_reason(client, alice):
    client.force_login(alice)
    response = upload(client, FIXTURE.read_bytes())
    imp = LeadImport.objects.get()
    mapping = {f"column_{i}": t for i, t in enumerate(imp.mapping)} | {"column_2": ""}
    refused = client.post(response.url, mapping)
    assert refused.status_code == 400
    assert "Map exactly one column to Email (now 0)." in refused.content.decode()
    imp.refresh_from_db()
    assert imp.status == LeadImport.Status.MAPPING


def test_a_spreadsheet_is_refused_before_any_list_is_made(client, alice):
    client.force_login(alice)
    response = upload(client, b"PK\x03\x04rest-of-a-zip", name="leads.xlsx")
    assert response.status_code == 400
    assert "Excel workbook" in response.content.decode()
    assert not LeadList.objects.exists()


def test_search_filters_and_export_neutralises_formulas(
    client, alice, django_capture_on_commit_callbacks
):
    client.force_login(alice)
    import_fixture(client, django_capture_on_commit_callbacks)
    Lead.objects.filter(email_normalized="eve@inject.example").update(tags=",vip,")

    found = client.get(reverse("lead_list"), {"q": "Brightwave"}).content.decode()
    assert "c.mueller2@brightwave.example" in found and "i.garcia0@blue.example" not in found
    by_tag = client.get(reverse("lead_list"), {"tag": "VIP"}).content.decode()
    assert by_tag.count("data-lead=") == 1
    partial = client.get(reverse("lead_list"), {"q": "zzz"}, headers={"HX-Request": "true"})
    assert partial.content.decode().lstrip().startswith('<div id="lead-results">')

    export = b"".join(client.get(reverse("lead_export"), {"q": "inject"}).streaming_content)
    rows = list(csv.DictReader(io.StringIO(export.decode())))
    assert len(rows) == 1
    assert rows[0]["company"] == '\'=HYPERLINK("http://evil.example","click")'
    assert rows[0]["tags"] == "vip"


def test_editing_and_deleting_a_lead_keeps_its_suppression(client, alice, workspace_a):
    lead = Lead.objects.create(workspace=workspace_a, email="ana@x.example")
    suppression_add(workspace=workspace_a, entry="ana@x.example", reason="unsubscribed")
    client.force_login(alice)
    url = reverse("lead_detail", args=[lead.pk])
    response = client.post(
        url,
        {
            "email": "ana@x.example",
            "first_name": "Ana",
            "status": "active",
            "timezone": "Mars/Base",
        },
    )
    assert "Use a time zone name like Europe/Berlin." in response.content.decode()
    client.post(
        url,
        {"email": "ana@x.example", "first_name": "Ana", "status": "active", "tags_text": "A, b"},
    )
    lead.refresh_from_db()
    assert (lead.first_name, lead.tag_list) == ("Ana", ["a", "b"])

    client.post(reverse("lead_delete", args=[lead.pk]))
    assert not Lead.objects.exists()
    assert Suppression.objects.filter(value="ana@x.example").exists()


def upload_suppressions(client, capture, data: bytes, name="s.csv") -> str:
    """Post a suppression file; its import runs as the task (after the commit) and the page
    the upload leads to shows the outcome."""
    with capture(execute=True):
        response = client.post(
            reverse("suppression_list"), {"file": SimpleUploadedFile(name, data)}
        )
    return client.get(response["Location"]).content.decode()


def test_suppression_page_adds_imports_and_removes_only_manual_entries(
    client, alice, workspace_a, django_capture_on_commit_callbacks
):
    client.force_login(alice)
    url = reverse("suppression_list")
    client.post(url, {"entry": "@Rival.example", "note": "competitor"})
    complained, _created = suppression_add(
        workspace=workspace_a, entry="b@x.example", reason="complaint"
    )
    data = b"address\nx@y.example\nnot an address\n\nrival.example\n"
    report = upload_suppressions(client, django_capture_on_commit_callbacks, data)
    assert "1 added, 1 already there." in report
    assert "Row 3" in report and "neither an address nor a domain" in report

    manual = Suppression.objects.get(value="rival.example")
    assert manual.kind == "domain"
    client.post(reverse("suppression_delete", args=[manual.pk]))
    assert not Suppression.objects.filter(pk=manual.pk).exists()
    refused = client.post(reverse("suppression_delete", args=[complained.pk]), follow=True)
    assert "Only entries added by hand can be removed" in refused.content.decode()
    assert Suppression.objects.filter(pk=complained.pk).exists()


def exported_suppressions(client) -> list[dict[str, str]]:
    response = client.get(reverse("suppression_export"))
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_a_large_suppression_file_is_imported_by_a_task_and_exports_for_another_workspace(
    client, alice, charlie, workspace_a, workspace_b, django_capture_on_commit_callbacks
):
    client.force_login(alice)
    suppression_add(workspace=workspace_a, entry="b@x.example", reason="hard_bounce")
    suppression_add(workspace=workspace_a, entry="gone@x.example", reason="unsubscribed")
    suppression_erase_address(workspace=workspace_a, address="gone@x.example")
    lines = ["email"] + [f"person{i}@big.example" for i in range(20_000)]
    lines += ["B@X.example", "=cmd|' /C calc'!A0", "person7@big.example", "@rival.example"]
    data = "\n".join(lines).encode()
    with CaptureQueriesContext(connection) as queries:
        report = upload_suppressions(client, django_capture_on_commit_callbacks, data, "dnc.csv")
    assert "20001 added, 1 already there." in report
    assert "Row 20003" in report and "neither an address nor a domain" in report
    assert len(queries.captured_queries) < len(lines) / 50  # not a query or two per row
    assert Suppression.objects.for_workspace(workspace_a).count() == 20_003

    rows = exported_suppressions(client)
    assert list(rows[0]) == SUPPRESSION_HEADER
    assert [r["entry"] for r in rows[:2]] == ["b@x.example", "person0@big.example"]
    assert rows[0]["reason"] == "hard_bounce" and rows[1]["note"] == "imported"
    assert "gone@x.example" not in {r["entry"] for r in rows} and len(rows) == 20_002
    assert rows[-1] | {"entry": "rival.example", "kind": "domain"} == rows[-1]

    client.force_login(charlie)  # the file reads back in, into another workspace
    assert exported_suppressions(client) == []
    export = "\n".join(["entry,kind", *(f"{r['entry']},{r['kind']}" for r in rows)]).encode()
    upload_suppressions(client, django_capture_on_commit_callbacks, export)
    assert {r["entry"] for r in exported_suppressions(client)} == {r["entry"] for r in rows}


def test_a_suppression_file_too_long_or_mostly_wrong_says_so_and_adds_nothing(
    client, alice, monkeypatch, django_capture_on_commit_callbacks
):
    client.force_login(alice)
    monkeypatch.setattr(suppression_imports, "MAX_FILE_ROWS", 3)
    data = b"a@x.example\nb@x.example\nc@x.example\nd@x.example\n"
    page = upload_suppressions(client, django_capture_on_commit_callbacks, data)
    assert "The file has more than 3 rows; split it and import the parts." in page
    assert not Suppression.objects.exists()

    monkeypatch.setattr(suppression_imports, "MAX_FILE_ROWS", 5)  # exactly the limit is read
    monkeypatch.setattr(suppression_imports, "SHOWN_PROBLEMS", 2)
    data = b"a@x.example\nnope\nnada\nniente\nnichts\n"
    page = upload_suppressions(client, django_capture_on_commit_callbacks, data)
    assert "Row 2" in page and "Row 3" in page and "Row 4" not in page
    assert "…and 2 more rows that are not addresses or domains." in page
    assert list(Suppression.objects.values_list("value", flat=True)) == ["a@x.example"]


def test_another_workspace_sees_none_of_it(
    client, alice, charlie, workspace_a, django_capture_on_commit_callbacks
):
    client.force_login(alice)
    imp = import_fixture(client, django_capture_on_commit_callbacks)
    lead = Lead.objects.first()
    entry, _created = suppression_add(workspace=workspace_a, entry="@rival.example")

    client.force_login(charlie)
    assert "i.garcia0@blue.example" not in client.get(reverse("lead_list")).content.decode()
    export = b"".join(client.get(reverse("lead_export")).streaming_content).decode()
    assert export.count("\n") == 1  # the header only
    for name, args in [
        ("lead_detail", [lead.pk]),
        ("lead_import_detail", [imp.pk]),
        ("lead_import_progress", [imp.pk]),
    ]:
        assert client.get(reverse(name, args=args)).status_code == 404
    for name, args in [
        ("lead_delete", [lead.pk]),
        ("lead_import_undo", [imp.pk]),
        ("lead_import_continue", [imp.pk]),
        ("suppression_delete", [entry.pk]),
    ]:
        assert client.post(reverse(name, args=args)).status_code == 404
    assert "rival.example" not in client.get(reverse("suppression_list")).content.decode()
    assert Lead.objects.count() == 64


def test_a_suppression_file_is_not_read_in_the_request(
    client, alice, django_capture_on_commit_callbacks
):
    """The upload only queues the import: the task reads and applies it, and the page polls
    its progress until it is done."""
    client.force_login(alice)
    data = b"a@x.example\nb@x.example\n"
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.post(
            reverse("suppression_list"), {"file": SimpleUploadedFile("s.csv", data)}
        )
    imp = SuppressionImport.objects.get()
    assert imp.status == "queued" and not Suppression.objects.exists()
    page = client.get(response["Location"]).content.decode()
    assert 'data-import-status="queued"' in page and 'hx-trigger="every 1s"' in page
    for callback in queued:
        callback()  # the task, as the worker runs it
    progress = client.get(reverse("suppression_import_progress", args=[imp.pk]))
    assert "2 added, 0 already there." in progress.content.decode()
    assert "hx-trigger" not in progress.content.decode()  # done: the polling stops
    imp.refresh_from_db()
    assert imp.data == b"" and imp.status == "done"


def test_another_workspace_cannot_see_an_import(client, alice, charlie, workspace_a):
    imp = SuppressionImport.objects.create(workspace=workspace_a, filename="s.csv", data=b"x")
    client.force_login(charlie)
    assert client.get(reverse("suppression_import_progress", args=[imp.pk])).status_code == 404
    page = client.get(reverse("suppression_list") + f"?import={imp.pk}").content.decode()
    assert "data-import-status" not in page
