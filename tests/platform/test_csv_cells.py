"""Exported cells that a spreadsheet would run as formulas are defused, and come back as
themselves when imported."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from campaigns.leads.suppression import suppression_add
from campaigns.models import Suppression
from core.csv_export import restore_cell, safe_cell


@pytest.mark.parametrize(
    "cell",
    [
        "=1+1",
        " =1+1",
        "  +cmd|' /C calc'!A0",
        "\t=1",
        "\r=1",
        "\x00=1",
        "@SUM(A1)",
        "-2+3",
        "＝1+1",
    ],
)
def test_a_formula_is_defused_even_behind_spaces(cell):
    assert safe_cell(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["alice@x.example", "Acme, Inc.", "1+1", "", "'quoted"])
def test_plain_text_is_left_alone(cell):
    assert safe_cell(cell) == cell


@given(st.text())
def test_restoring_an_exported_cell_gives_back_what_was_exported(text):
    assert restore_cell(safe_cell(text)) == text


@pytest.mark.django_db
def test_a_suppression_export_imports_back_as_the_same_entries(
    client, alice, workspace_a, django_capture_on_commit_callbacks
):
    for entry in ("+tag@acme.example", "-dash@acme.example", "=eq@acme.example", "plain.example"):
        suppression_add(workspace=workspace_a, entry=entry)
    client.force_login(alice)
    exported = b"".join(client.get(reverse("suppression_export")).streaming_content)
    assert b"'+tag@acme.example" in exported  # defused on the way out
    before = sorted(Suppression.objects.values_list("kind", "value"))
    Suppression.objects.all().delete()
    upload = SimpleUploadedFile("suppressed.csv", exported)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("suppression_list"), {"file": upload})
    assert sorted(Suppression.objects.values_list("kind", "value")) == before
