"""Every file upload, sent whatever bytes hypothesis makes up, answers below 500 and a refusal
says why: binary data, NULs, CR-only and stray CR line ends, unbalanced quotes, huge cells,
odd encodings, many columns."""

import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.django_db

CELL = st.one_of(
    st.text(max_size=20),
    st.sampled_from(['"', '""', "\r", "\n", "\r\n", "\x00", "=1+1", " =1", ";", "\t", ","]),
    st.integers(min_value=131_000, max_value=131_100).map(lambda n: "x" * n),  # the csv limit
    st.emails(),
)
ROW = st.lists(CELL, max_size=8).map(lambda cells: ",".join(cells))
HEADER = st.sampled_from(
    ["email,smtp_password", "email,first_name,company", "Email;Name", "value", "", "email"]
)
TEXT_FILE = st.tuples(HEADER, st.lists(ROW, max_size=6), st.sampled_from(["\n", "\r", "\r\n"])).map(
    lambda parts: parts[2].join([parts[0], *parts[1]])
)
UPLOAD = st.one_of(
    TEXT_FILE.map(lambda text: text.encode("utf-8")),
    TEXT_FILE.map(lambda text: text.encode("utf-16")),
    st.binary(max_size=2000),
    st.integers(min_value=1, max_value=3000).map(lambda n: (",".join(["c"] * n) + "\n").encode()),
)
FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def check(response):
    assert response.status_code < 500, response.status_code
    if response.status_code >= 400:
        assert response.content.strip()


@pytest.fixture
def browser(alice):
    client = Client(raise_request_exception=False)
    client.force_login(alice)
    return client


@FUZZ
@given(data=UPLOAD)
def test_the_mailbox_import_never_fails_on_a_file(browser, data):
    check(browser.post(reverse("mailbox_import"), {"file": SimpleUploadedFile("m.csv", data)}))


@FUZZ
@given(data=UPLOAD)
def test_the_lead_import_never_fails_on_a_file(browser, data):
    upload = SimpleUploadedFile("leads.csv", data)
    response = browser.post(
        reverse("lead_import_new"), {"file": upload, "new_list": f"List {uuid.uuid4()}"}
    )
    check(response)
    if response.status_code == 302:  # accepted: the mapping page must open too
        check(browser.get(response["Location"]))


@FUZZ
@given(data=UPLOAD)
def test_the_suppression_import_never_fails_on_a_file(
    browser, django_capture_on_commit_callbacks, data
):
    upload = SimpleUploadedFile("suppressed.csv", data)
    with django_capture_on_commit_callbacks(execute=True):  # the import task runs too
        response = browser.post(reverse("suppression_list"), {"file": upload})
    check(response)
    if response.status_code == 302:  # the page the upload leads to shows the outcome
        check(browser.get(response["Location"]))
