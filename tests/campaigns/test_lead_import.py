"""Lead CSV import: encodings, delimiters, broken rows, duplicates, suppression, resume, undo."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import QuerySet
from django.urls import reverse

from campaigns.leads import csv_reader
from campaigns.leads.imports import (
    LeadImportError,
    lead_import_create,
    lead_import_resume,
    lead_import_rollback,
    lead_import_run,
    lead_import_start,
    validate_mapping,
)
from campaigns.leads.suppression import suppression_add
from campaigns.models import Lead, LeadImport, LeadList, LeadMembership, Suppression
from tests.factories import FIXTURE
from tests.servers.dns import zone

pytestmark = pytest.mark.django_db

# A copy of ../shared/fixtures/leads-sample.csv (Windows-1252, ";", a few broken rows).


@pytest.fixture
def prospects(workspace_a):
    return LeadList.objects.create(workspace=workspace_a, name="Prospects")


def run_import(workspace, lead_list, data: bytes, *, mapping=None, check_mx=False):
    imp = lead_import_create(
        workspace=workspace, user=None, lead_list=lead_list, filename="leads.csv", data=data
    )
    lead_import_start(lead_import=imp, mapping=mapping or imp.mapping, check_mx=check_mx)
    lead_import_run(lead_import_id=imp.pk)  # what the queued task does
    imp.refresh_from_db()
    return imp


def csv_bytes(text: str, encoding="utf-8") -> bytes:
    return text.replace("\n", "\r\n").encode(encoding)


# --- the sample file from the brief ------------------------------------------------------------


def test_the_sample_file_imports_with_exact_row_errors(workspace_a, prospects):
    imp = run_import(workspace_a, prospects, FIXTURE.read_bytes())

    assert (imp.encoding, imp.delimiter) == ("cp1252", ";")
    assert imp.mapping == [
        "first_name",
        "last_name",
        "email",
        "company",
        "title",
        "website",
        "custom:city",
        "phone",
    ]
    assert imp.status == LeadImport.Status.DONE and imp.total_rows == 68
    assert (imp.imported, imp.updated, imp.duplicates, imp.invalid, imp.suppressed) == (
        64,
        0,
        0,
        3,
        0,
    )
    problems = {p["row"]: p["reason"] for p in imp.problems}
    assert set(problems) == {62, 63, 67}
    assert "“john.doe@” is not a valid email address" in problems[62]
    assert problems[63] == "No email address."
    assert problems[67] == "The row has 10 cells; the header has 8."
    leads = Lead.objects.for_workspace(workspace_a)
    assert leads.count() == 64 == prospects.leads.count()
    assert leads.get(email_normalized="q.semi@quoted.example").company == "Smith; Jones & Partners"
    assert (
        leads.get(email_normalized="bob.spaces@space.example").email == "bob.spaces@space.example"
    )
    garcia = leads.get(email_normalized="i.garcia0@blue.example")
    assert (garcia.first_name, garcia.last_name, garcia.custom) == (
        "Ingrid",
        "García",
        {"city": "Berlin"},
    )
    assert leads.get(email_normalized="a.mueller0@acme.example").first_name == "Anna"
    assert bytes(imp.data) == b""  # the raw file is not kept


# --- encodings, delimiters, structure ------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "encoding", "delimiter"),
    [
        ("\ufeffEmail,Name\nana@x.example,Ána\n".encode(), "utf-8-sig", ","),
        ("Email\tName\nana@x.example\tÁna\n".encode(), "utf-8-sig", "\t"),
        ("Email;Name\nana@x.example;Ána\n".encode("cp1252"), "cp1252", ";"),
        # 0x81 is undefined in Windows-1252: only Latin-1 reads it
        (b"Email,Name\nana@x.example,\xc1na\x81\n", "latin-1", ","),
        ("Email,Name\nana@x.example,Ána\n".encode("utf-16"), "utf-16", ","),
    ],
)
def test_encodings_and_delimiters_are_detected(data, encoding, delimiter):
    parsed = csv_reader.read(data)
    assert (parsed.encoding, parsed.delimiter) == (encoding, delimiter)
    assert parsed.header == ["Email", "Name"]
    assert next(csv_reader.rows(parsed.text, parsed.delimiter))[1][1].startswith("Ána")


def test_quoted_newlines_keep_spreadsheet_row_numbers(workspace_a, prospects):
    data = csv_bytes(
        'Email,Company,Notes\na@x.example,A,"line one\nline two"\n\nbad@,B,x\nc@x.example,C,'
    )
    imp = run_import(workspace_a, prospects, data)
    assert imp.imported == 2 and imp.invalid == 1
    assert imp.problems[0]["row"] == 4  # the header is row 1, the blank line row 3
    lead = Lead.objects.get(email_normalized="a@x.example")
    assert lead.custom == {"notes": "line one\r\nline two"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"PK\x03\x04\x14\x00\x06\x00", "Excel workbook"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00", "old Excel"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file"),
        (b"\n\n\n", "The file is empty."),
    ],
)
def test_files_that_are_not_csv_are_refused_with_a_reason(data, message):
    with pytest.raises(csv_reader.CsvFileError, match=message):
        csv_reader.read(data)


def test_a_file_wider_than_the_column_limit_is_refused_with_the_limit(client, alice):
    wide = ",".join(f"c{i}" for i in range(100_000)) + "\n" + ",".join(["x"] * 100_000) + "\n"
    client.force_login(alice)
    upload = SimpleUploadedFile("wide.csv", wide.encode())
    response = client.post(reverse("lead_import_new"), {"file": upload, "new_list": "Wide"})
    assert response.status_code == 400
    assert "The file has 100,000 columns; at most 300 can be imported." in (
        response.content.decode()
    )
    assert not LeadImport.objects.exists()


def test_a_cell_over_the_size_limit_is_refused_with_its_row_and_the_limit():
    data = ("email,notes\na@x.example,short\nb@x.example," + "n" * 140_000 + "\n").encode()
    with pytest.raises(csv_reader.CsvFileError, match=r"Row 3 has a cell longer than 131,072"):
        csv_reader.read(data)


def test_mapping_guesses_common_headers_and_keeps_custom_columns():
    header = [
        "E-Mail Address",
        "Vorname",
        "Surname",
        "Organisation",
        "Job Title",
        "Lead Source",
        "",
        "city",
        "City",
    ]
    assert csv_reader.guess_mapping(header) == [
        "email",
        "first_name",
        "last_name",
        "company",
        "title",
        "custom:lead_source",
        "",
        "custom:city",
        "custom:city_2",
    ]


def test_mapping_problems_name_the_columns():
    header = ["A", "B", "C"]
    assert validate_mapping(header, ["first_name", "company", "tags"]) == [
        "Map exactly one column to Email (now 0)."
    ]
    assert validate_mapping(header, ["email", "company", "company"]) == [
        "Columns B and C both map to company."
    ]
    assert (
        "not a usable custom field name"
        in validate_mapping(header, ["email", "custom:Bad Key", ""])[0]
    )


# --- duplicates, existing leads, suppression, MX ------------------------------------------------


def test_duplicates_in_the_file_are_reported_against_the_first_row(workspace_a, prospects):
    imp = run_import(workspace_a, prospects, csv_bytes("Email\nana@x.example\nAna@X.example\n"))
    assert (imp.imported, imp.duplicates) == (1, 1)
    assert imp.problems == [{"row": 3, "reason": "Same address as row 2."}]


def test_a_nul_character_skips_its_row_with_the_column_named(workspace_a, prospects):
    """PostgreSQL stores no NUL in text or JSON: the row is reported, the others imported."""
    body = "".join(f"lead{i}@x.example,Lead {i},Acme\n" for i in range(3000))  # past 64 KB
    data = csv_bytes("Email,First name,Company\n" + body + "nul@x.example,N\x00ul,Acme\n")
    data += csv_bytes("custom@x.example,Cus,Ac\x00me\nlast@x.example,Last,Acme\n")
    imp = run_import(workspace_a, prospects, data)
    assert imp.imported == 3001
    assert imp.problems == [
        {"row": 3002, "reason": "Column 2 holds a NUL character (binary data?)."},
        {"row": 3003, "reason": "Column 3 holds a NUL character (binary data?)."},
    ]


def test_existing_leads_get_blank_fields_filled_never_overwritten(workspace_a, prospects):
    lead = Lead.objects.create(workspace=workspace_a, email="ana@x.example", first_name="Ana")
    imp = run_import(
        workspace_a,
        prospects,
        csv_bytes("Email,First name,Company,Tags\nANA@x.example,Anna,Vela,vip;berlin\n"),
    )
    assert (imp.imported, imp.updated) == (0, 1)
    lead.refresh_from_db()
    assert (lead.first_name, lead.company, lead.tag_list) == ("Ana", "Vela", ["berlin", "vip"])
    assert list(prospects.leads.all()) == [lead]


def test_suppressed_addresses_and_domains_are_not_imported(workspace_a, workspace_b, prospects):
    suppression_add(workspace=workspace_a, entry="gone@x.example", reason="unsubscribed")
    suppression_add(workspace=workspace_a, entry="@blocked.example")
    suppression_add(workspace=workspace_b, entry="kept@x.example")  # another workspace's list
    data = csv_bytes("Email\nGone@x.example\nsomeone@blocked.example\nkept@x.example\n")
    imp = run_import(workspace_a, prospects, data)
    assert (imp.imported, imp.suppressed) == (1, 2)
    assert list(Lead.objects.values_list("email", flat=True)) == ["kept@x.example"]


def test_the_optional_mx_check_uses_the_dns(workspace_a, prospects, dns_server):
    dns_server.set_zones(
        zone("good.example", "@ MX 10 mx.good.example.\n"), zone("nomx.example", "")
    )
    data = csv_bytes("Email\na@good.example\nb@nomx.example\n")
    imp = run_import(workspace_a, prospects, data, check_mx=True)
    assert (imp.imported, imp.invalid) == (1, 1)
    assert imp.problems == [
        {"row": 3, "reason": "The domain of b@nomx.example receives no mail (no MX record)."}
    ]


# --- never half-applied: resume and rollback ------------------------------------------------------


def big_csv(n: int) -> bytes:
    return (
        "Email,First Name,Company\n"
        + "".join(f"lead{i}@example.com,Name{i},Company {i % 100}\n" for i in range(n))
    ).encode()


def test_a_crashed_import_resumes_where_it_stopped(workspace_a, prospects, monkeypatch):
    monkeypatch.setattr("campaigns.leads.imports.CHUNK", 100)
    imp = lead_import_create(
        workspace=workspace_a, user=None, lead_list=prospects, filename="x.csv", data=big_csv(350)
    )
    lead_import_start(lead_import=imp, mapping=imp.mapping, check_mx=False)
    real_bulk_create = QuerySet.bulk_create
    calls = {"n": 0}

    def database_goes_away(self, objs, *args, **kwargs):
        if self.model is Lead:
            calls["n"] += 1
            if calls["n"] == 3:
                raise ConnectionError("server closed the connection unexpectedly")
        return real_bulk_create(self, objs, *args, **kwargs)

    monkeypatch.setattr(QuerySet, "bulk_create", database_goes_away)
    lead_import_run(lead_import_id=imp.pk)
    imp.refresh_from_db()
    assert imp.status == LeadImport.Status.FAILED
    assert "server closed the connection" in imp.error
    assert imp.processed_rows == 200 and imp.imported == 200
    assert Lead.objects.count() == 200  # whole chunks only

    monkeypatch.setattr(QuerySet, "bulk_create", real_bulk_create)
    lead_import_resume(lead_import=imp)
    lead_import_run(lead_import_id=imp.pk)
    imp.refresh_from_db()
    assert imp.status == LeadImport.Status.DONE
    assert (imp.imported, imp.duplicates, imp.processed_rows) == (350, 0, 350)
    assert Lead.objects.count() == 350 == prospects.leads.count()


def test_rollback_removes_what_the_import_added_and_nothing_else(workspace_a, prospects):
    other = LeadList.objects.create(workspace=workspace_a, name="Other")
    before = Lead.objects.create(workspace=workspace_a, email="old@x.example", first_name="Old")
    LeadMembership.objects.create(lead=before, lead_list=other)
    shared = Lead.objects.create(workspace=workspace_a, email="shared@x.example")
    LeadMembership.objects.create(lead=shared, lead_list=other)
    data = csv_bytes(
        "Email,First name,Company,Tags\nold@x.example,X,Acme,t1\nnew@x.example,New,,\n"
        "shared@x.example,Sam,,\n"
    )
    imp = run_import(workspace_a, prospects, data)
    assert (imp.imported, imp.updated) == (1, 2)

    result = lead_import_rollback(lead_import=imp)

    assert result == {"leads_removed": 1, "leads_restored": 2}
    assert set(Lead.objects.values_list("email", flat=True)) == {
        "old@x.example",
        "shared@x.example",
    }
    before.refresh_from_db()
    assert (before.first_name, before.company, before.tags) == ("Old", "", "")
    assert not prospects.leads.exists() and other.leads.count() == 2
    imp.refresh_from_db()
    assert imp.status == LeadImport.Status.ROLLED_BACK
    with pytest.raises(LeadImportError, match="already rolled back"):
        lead_import_rollback(lead_import=imp)


def test_a_running_import_cannot_be_rolled_back_or_started_twice(workspace_a, prospects):
    imp = lead_import_create(
        workspace=workspace_a, user=None, lead_list=prospects, filename="x.csv", data=big_csv(3)
    )
    lead_import_start(lead_import=imp, mapping=imp.mapping, check_mx=False)
    with pytest.raises(LeadImportError, match="still running"):
        lead_import_rollback(lead_import=imp)
    with pytest.raises(LeadImportError, match="already started"):
        lead_import_start(lead_import=imp, mapping=imp.mapping, check_mx=False)


def test_one_hundred_thousand_rows(workspace_a, prospects):
    imp = run_import(workspace_a, prospects, big_csv(100_000))
    assert imp.status == LeadImport.Status.DONE
    assert (imp.imported, imp.invalid, imp.duplicates) == (100_000, 0, 0)
    assert Lead.objects.count() == 100_000 == LeadMembership.objects.count()


def test_an_erased_unsubscribe_still_suppresses(workspace_a, prospects):
    from campaigns.leads.suppression import is_suppressed, suppression_erase_address

    suppression_add(workspace=workspace_a, entry="Gone@X.example", reason="unsubscribed")
    assert suppression_erase_address(workspace=workspace_a, address="gone@x.example") == 1
    assert not Suppression.objects.filter(value__contains="gone").exists()
    assert is_suppressed(workspace_a, "GONE@x.example")
    imp = run_import(workspace_a, prospects, csv_bytes("Email\ngone@x.example\n"))
    assert (imp.imported, imp.suppressed) == (0, 1)


def test_suppressions_for_a_batch_load_only_what_concerns_it(workspace_a):
    from campaigns.leads.suppression import Suppressions

    suppression_add(workspace=workspace_a, entry="a@x.example")
    suppression_add(workspace=workspace_a, entry="@blocked.example")
    suppression_add(workspace=workspace_a, entry="unrelated@y.example")
    batch = Suppressions.for_addresses(
        workspace_a, ["A@x.example", "b@blocked.example", "c@x.example"]
    )
    assert "a@x.example" in batch and "B@Blocked.example" in batch and "c@x.example" not in batch
    assert len(batch.addresses) + len(batch.domains) == 2


def test_many_suppressions_at_once_keep_existing_and_skip_garbage(workspace_a, workspace_b):
    from campaigns.leads.suppression import Suppressions, suppressions_add

    suppression_add(workspace=workspace_a, entry="old@x.example", reason="unsubscribed")
    suppressions_add(
        workspace=workspace_a,
        entries=[
            "Old@X.example",
            "new@x.example",
            "NEW@x.example",
            "not an address",
            "@gone.example",
        ],
        reason="hard_bounce",
        note="bounced",
    )
    rows = dict(Suppression.objects.for_workspace(workspace_a).values_list("value", "reason"))
    assert rows == {  # the existing entry keeps its reason; the same address once
        "old@x.example": "unsubscribed",
        "new@x.example": "hard_bounce",
        "gone.example": "hard_bounce",
    }
    batch = Suppressions.for_addresses(workspace_a, ["new@x.example", "a@gone.example"])
    assert "new@x.example" in batch and "a@gone.example" in batch
    assert not Suppression.objects.for_workspace(workspace_b).exists()
