"""The first hour of a new user, in Chromium, against the development mail catcher (SMTP + IMAP):
sign up, verify, connect a mailbox, import a CSV with bad rows, write a two-step campaign with
`{a|b}`, `<a|b>` and a merge field typed into the editor, review, launch, receive the mail with
both parts agreeing, make the lead answer from the mail viewer, see the answer labelled in the
inbox, and see that lead's follow-up stopped while the other lead's goes out. Screens in light
and dark (POSTIGO_SCREENSHOTS) and at 420 px, where no page may scroll sideways."""

import datetime
import email
import re
from email import policy
from pathlib import Path

import pytest
import time_machine
from playwright.sync_api import expect

from campaigns.models import Campaign, Enrollment, OutboundMessage
from campaigns.sending.dispatch import dispatch_tick
from postigo.mailcatcher import IMAP_PASSWORD, IMAP_USERNAME, MailCatcher
from tests.e2e.accounts import sign_up_and_verify
from tests.e2e.browser import shoot
from tests.factories import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LEADS_CSV = (
    "email,first_name,company\n"
    "ana@rio.example,Ana,Rio Mobility\n"
    "not an address,Bad,Nowhere Ltd\n"
    "lars@fjallkod.example,Lars,Fjällkod\n"
    "ana@rio.example,Ana,Rio Mobility\n"
).encode()
MAILBOX = "sam@acme.localhost"  # a .localhost address: the catcher delivers its mail over IMAP
SPOKEN = r"(Hi|Hello) (Ana|Lars), I have a (quick|short) question about (Rio Mobility|Fjällkod)\."


@pytest.fixture
def catcher(settings, tmp_path):
    """`make run`'s mail catcher, on ports of its own, with the dev mail viewer switched on."""
    settings.DEBUG = True  # the viewer and its demo replies exist only in development
    settings.ROOT_URLCONF = "tests.platform.dev_mail_urls"
    settings.MAILBOX_ALLOW_PRIVATE_NETWORKS = settings.MAILBOX_ALLOW_PLAINTEXT = True
    settings.MAIL_CATCHER_DIR = tmp_path / "mail"
    settings.MAIL_CATCHER_PORT, settings.MAIL_CATCHER_IMAP_PORT = free_port(), free_port()
    catcher = MailCatcher(
        mail_dir=settings.MAIL_CATCHER_DIR,
        smtp_port=settings.MAIL_CATCHER_PORT,
        imap_dir=tmp_path / "imap",
        imap_port=settings.MAIL_CATCHER_IMAP_PORT,
    )
    catcher.start()
    yield catcher
    catcher.stop()


def caught_for(folder: Path, address: str) -> list[email.message.EmailMessage]:
    found = []
    for path in sorted(folder.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        if message["X-Mailcatcher-To"] == address:
            found.append(message)
    return found


def beat_until_sent(first: datetime.datetime, n: int) -> None:
    """Beat's dispatcher every 15 s from `first` until `n` messages went out (the mailbox keeps
    2-3 minutes between sends)."""
    for seconds in range(0, 15 * 60, 15):
        with time_machine.travel(first + datetime.timedelta(seconds=seconds)):
            dispatch_tick()
        if OutboundMessage.objects.filter(state="sent").count() >= n:
            return
    raise AssertionError(f"fewer than {n} messages sent")


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def connect_the_mailbox(page, base, catcher):
    page.goto(base + "/mailboxes/")
    page.click("text=Connect your first mailbox")
    expect(page.locator("#id_provider")).to_have_value("custom")  # a server of its own
    page.fill("#id_from_name", "Sam at Acme")
    page.fill("#id_email", MAILBOX)
    page.fill("#id_smtp_host", "127.0.0.1")
    page.fill("#id_smtp_port", str(catcher.smtp.port))
    page.select_option("#id_smtp_security", "none")
    page.fill("#id_smtp_username", "sam")
    page.fill("#id_smtp_password", "any password")  # the catcher takes any SMTP login
    page.fill("#id_imap_host", "127.0.0.1")
    page.fill("#id_imap_port", str(catcher.store.port))
    page.select_option("#id_imap_security", "none")
    page.fill("#id_imap_username", IMAP_USERNAME)
    page.fill("#id_imap_password", IMAP_PASSWORD)
    page.click("form.card button[type=submit]")
    page.wait_for_url(re.compile(r"/mailboxes/\d+/$"))
    expect(page.locator("#test-result")).to_have_attribute("data-test-ok", "yes")
    shoot(page, "first-hour-mailbox")


def import_leads_with_bad_rows(page, base):
    page.goto(base + "/leads/import/")
    page.set_input_files(
        "#id_file", files=[{"name": "leads.csv", "mimeType": "text/csv", "buffer": LEADS_CSV}]
    )
    page.fill("#id_new_list", "First leads")
    page.click("text=Upload and preview")
    page.click("text=Import leads")
    expect(page.locator("#import-progress")).to_have_attribute("data-status", "done")
    expect(page.locator("[data-count=imported]")).to_have_text("2")
    expect(page.locator("[data-count=invalid]")).to_have_text("1")
    expect(page.locator("[data-count=duplicates]")).to_have_text("1")
    expect(page.locator("[data-problems] [data-row='3']")).to_contain_text("not an address")
    shoot(page, "first-hour-import")


def write_the_campaign(page, base) -> Campaign:
    page.goto(base + "/campaigns/")
    page.fill("#id_name", "First outreach")
    page.click("text=Create and continue")
    page.check("text=First leads (2)")
    expect(page.locator("#save-state [data-saved]")).to_have_attribute("data-saved", "yes")
    page.click("text=Next: sequence")

    first = page.locator("[data-variant=A]")
    with page.expect_response(lambda r: "question" in (r.request.post_data or "")):
        first.locator("input[name=subject]").fill("A {quick|short} question, {{first_name}}")
    first.locator("[data-editor]").click()
    with page.expect_response(lambda r: "company%7D%7D." in (r.request.post_data or "")):
        page.keyboard.type("{Hi|Hello} {{first_name}}, I have a <quick|short> question about ")
        page.keyboard.type("{{company}}.")
    expect(first.locator(".variant-status")).to_have_attribute("data-state", "saved")

    page.click("text=Add a follow-up")
    follow_up = page.locator("[data-step='2'] [data-variant=A]")
    follow_up.locator("[data-editor]").click()
    with page.expect_response(lambda r: "bumping" in (r.request.post_data or "")):
        page.keyboard.type("Just bumping this, {{first_name|there}}.")
    expect(follow_up.locator(".variant-status")).to_have_attribute("data-state", "saved")
    shoot(page, "first-hour-sequence")

    campaign = Campaign.objects.get()
    page.goto(base + f"/campaigns/{campaign.pk}/schedule/")
    for day in page.locator("input[name=send_days]").all():
        day.check()
    page.fill("#id_window_start", "00:00")
    page.fill("#id_window_end", "23:59")
    expect(page.locator("#save-state [data-saved]")).to_have_attribute("data-saved", "yes")
    page.click("text=Next: mailboxes")
    page.check(f"text={MAILBOX} — Active")
    expect(page.locator("#save-state [data-saved]")).to_have_attribute("data-saved", "yes")
    page.click("text=Next: review")
    return campaign


def review_says_what_will_happen(page):
    """Ready, nothing to fix, nothing to warn about (the mailbox reads its replies over IMAP),
    and the forecast: the window is open, so the first email goes right away."""
    expect(page.locator("[data-problems]")).to_have_attribute("data-problems", "0")
    expect(page.get_by_text("Ready to launch")).to_be_visible()
    expect(page.locator("[data-warnings]")).to_have_attribute("data-warnings", "0")
    expect(page.locator("[data-forecast-first]")).to_contain_text("Right away")
    expect(page.locator("[data-forecast-last]")).not_to_contain_text("Not within a year")
    expect(page.locator("[data-launch]")).to_contain_text("Launch to 2 leads")
    expect(page.locator(".summary")).to_contain_text("00:00–23:59 UTC")
    expect(page.locator(".summary")).to_contain_text(MAILBOX)
    shoot(page, "first-hour-review")


def test_the_first_hour_of_a_new_user(live_server, page, catcher, settings):
    page.set_default_timeout(45_000)  # a long journey on a shared machine
    base = live_server.url
    sign_up_and_verify(page, base, name="Sam Founder", email="sam@example.com")
    connect_the_mailbox(page, base, catcher)
    import_leads_with_bad_rows(page, base)
    campaign = write_the_campaign(page, base)
    review_says_what_will_happen(page)

    page.click("[data-launch]")
    page.click("[data-confirm-yes]")  # the launch confirmation
    expect(page.locator("[data-campaign-status]")).to_have_attribute(
        "data-campaign-status", "running"
    )
    launched = datetime.datetime.now(datetime.UTC)
    beat_until_sent(launched + datetime.timedelta(hours=1, seconds=15), 2)  # spread: an hour

    # Both parts of what Ana received say the same words, spun, with her fields filled in.
    [to_ana] = caught_for(settings.MAIL_CATCHER_DIR, "ana@rio.example")
    text = to_ana.get_body(("plain",)).get_content()
    html = to_ana.get_body(("html",)).get_content()
    said = re.search(SPOKEN, text)
    assert said and said.group(2) == "Ana" and said.group(4) == "Rio Mobility", text
    assert said.group(0) in html
    assert "&lt;" not in html and "quick|short" not in html and "{{" not in text
    assert re.match(r"A (quick|short) question, Ana$", to_ana["Subject"])

    # Ana answers (the mail viewer's demo reply), the IMAP sync reads it, the inbox labels it.
    page.goto(base + "/dev/mail/")
    page.click(f"text={to_ana['Subject']} >> nth=0")
    expect(page.locator("[data-demo-reply]")).to_contain_text("ana@rio.example")
    caught_page = page.url.removeprefix(base)
    shoot(page, "first-hour-dev-mail")
    page.click("[data-reply-kind=interested]")
    expect(page.locator(".messages, [role=status], .toast").first).to_contain_text("Interested")
    page.goto(base + "/inbox/")
    row = page.locator("tr[data-reply='ana@rio.example']")
    expect(row).to_contain_text("Interested")
    expect(page.locator("tr.inbox-row")).to_have_count(1)
    expect(page.locator("[data-unread-count]")).to_be_visible()  # the bell: a notification
    shoot(page, "first-hour-inbox")
    page.goto(base + "/notifications/")
    notice = "ana@rio.example is interested (First outreach)"
    expect(page.locator(".notif-list")).to_contain_text(notice)

    # Her follow-up is stopped; Lars, who did not answer, gets his.
    page.goto(base + f"/campaigns/{campaign.pk}/people/")
    expect(page.locator("tr[data-person='ana@rio.example']")).to_contain_text("Stopped")
    expect(page.locator("tr[data-person='lars@fjallkod.example']")).to_contain_text(
        "In the sequence"
    )
    shoot(page, "first-hour-people")
    follow_up_due = Enrollment.objects.get(lead__email="lars@fjallkod.example").next_due_at
    beat_until_sent(follow_up_due + datetime.timedelta(seconds=15), 3)
    assert len(caught_for(settings.MAIL_CATCHER_DIR, "ana@rio.example")) == 1
    to_lars = caught_for(settings.MAIL_CATCHER_DIR, "lars@fjallkod.example")
    assert len(to_lars) == 2 and to_lars[1]["In-Reply-To"] == to_lars[0]["Message-ID"]
    assert "Just bumping this, Lars." in to_lars[1].get_body(("plain",)).get_content()

    # On a phone: every page of the journey fits the screen.
    page.set_viewport_size({"width": 420, "height": 860})
    for name, path in [
        ("home", "/"),
        ("mailboxes", "/mailboxes/"),
        ("leads", "/leads/"),
        ("sequence", f"/campaigns/{campaign.pk}/sequence/"),
        ("review", f"/campaigns/{campaign.pk}/review/"),
        ("report", f"/campaigns/{campaign.pk}/report/"),
        ("people", f"/campaigns/{campaign.pk}/people/"),
        ("inbox", "/inbox/"),
        ("notifications", "/notifications/"),
        ("dev-mail", "/dev/mail/"),
        ("dev-mail-detail", caught_page),
    ]:
        page.goto(base + path)
        assert no_sideways_scroll(page), f"{path} scrolls sideways at 420 px"
        shoot(page, f"first-hour-phone-{name}")
