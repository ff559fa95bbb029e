"""The sending pipeline against a real SMTP server: launch, dispatch, send, follow-ups in the
thread, caps and windows, bounces and retries, crash recovery, unsubscribe. The clock is
driven with time-machine; Celery runs eagerly here (a real worker runs in the e2e test)."""

import datetime
from collections import Counter

import pytest
import time_machine
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from campaigns.leads.suppression import is_suppressed, suppression_add
from campaigns.lifecycle import messages_recover_interrupted
from campaigns.models import Enrollment, Event, OutboundMessage
from campaigns.sending.delivery import send_batch
from campaigns.sending.dispatch import claim_for_mailbox, due_mailboxes
from campaigns.sending.launch import campaign_launch, campaign_pause
from tests.campaigns.pipeline import START, UTC, build, parsed, run_until

pytestmark = pytest.mark.django_db


def test_a_campaign_goes_out_once_and_follows_up_in_the_thread(workspace_a, mailbox, smtp_server):
    with time_machine.travel(START, tick=False):
        campaign = build(workspace_a, mailbox)
        assert campaign_launch(campaign) == 4
    # Each lead's first due time is spread over the first hour of the window.
    assert run_until(START + datetime.timedelta(hours=1, minutes=1)) == 4
    assert run_until(START + datetime.timedelta(hours=2)) == 0  # nothing is due twice
    firsts = {r.rcpt_tos[0]: parsed(r) for r in smtp_server.received}
    assert sorted(firsts) == [f"lead{i}@x.example" for i in range(4)]
    first = firsts["lead0@x.example"]
    assert first["Subject"] in {"Idea for L0", "Question for L0"}
    assert first["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert first["List-Unsubscribe"].startswith("<http://localhost:8000/u/")
    # the mailto's subject is the one the inbox reads as a request (test_inbound)
    assert first["List-Unsubscribe"].endswith(f"<mailto:{mailbox.email}?subject=unsubscribe>")
    assert first["Message-ID"].endswith("@acme.example>")
    variants = set(OutboundMessage.objects.values_list("variant__label", flat=True))
    assert variants <= {"A", "B"}

    # A day later each lead gets the follow-up, as a reply in the same thread.
    smtp_server.received.clear()
    assert run_until(START + datetime.timedelta(days=1, hours=2)) == 4
    for received in smtp_server.received:
        follow_up = parsed(received)
        original = firsts[received.rcpt_tos[0]]
        assert follow_up["In-Reply-To"] == original["Message-ID"]
        assert follow_up["References"] == original["Message-ID"]
        assert follow_up["Subject"] == "Re: " + original["Subject"]
    assert set(Enrollment.objects.values_list("status", flat=True)) == {"completed"}
    assert run_until(START + datetime.timedelta(days=5)) == 0
    counts = OutboundMessage.objects.values_list("enrollment__lead__email", "step__position")
    assert len(counts) == len(set(counts)) == 8
    assert set(OutboundMessage.objects.values_list("state", flat=True)) == {"sent"}


def test_caps_and_the_window_hold(workspace_a, mailbox, smtp_server):
    mailbox.daily_cap = mailbox.hourly_cap = 3
    mailbox.save()
    with time_machine.travel(START, tick=False):
        campaign = build(workspace_a, mailbox, n=5, steps=1, window_end=datetime.time(12))
        campaign_launch(campaign)
    assert run_until(START + datetime.timedelta(hours=1, minutes=1)) == 3  # the mailbox's cap
    assert run_until(START + datetime.timedelta(hours=1, minutes=30)) == 0
    # After the window closes nothing goes out, even though two leads are due.
    assert run_until(START + datetime.timedelta(hours=5)) == 0
    # Its day is full: the mailbox is not even visited again before its midnight (issue 27).
    assert Enrollment.objects.filter(status="active", next_due_at__isnull=False).count() == 2
    assert due_mailboxes(START + datetime.timedelta(hours=5)) == []
    assert due_mailboxes(datetime.datetime(2026, 11, 25, 0, 0, tzinfo=UTC)) == [mailbox.pk]
    # Next morning, a fresh day's cap.
    assert run_until(datetime.datetime(2026, 11, 25, 11, 0, tzinfo=UTC)) == 2
    assert len(smtp_server.received) == 5


def test_campaign_daily_cap_limits_new_leads(workspace_a, mailbox, smtp_server):
    with time_machine.travel(START, tick=False):
        campaign = build(workspace_a, mailbox, n=5, steps=1, daily_cap=2)
        campaign_launch(campaign)
    assert run_until(START + datetime.timedelta(hours=2)) == 2


def test_hard_bounce_suppresses_and_temporary_failure_retries(workspace_a, mailbox, smtp_server):
    smtp_server.script.rcpt = {
        "lead0@x.example": "550 5.1.1 No such user",
        "lead1@x.example": "451 4.3.0 Try again later",
    }
    with time_machine.travel(START, tick=False):
        campaign = build(workspace_a, mailbox, n=3, steps=1)
        campaign_launch(campaign)
    run_until(START + datetime.timedelta(hours=1, minutes=1))
    bounced = OutboundMessage.objects.get(recipient="lead0@x.example")
    assert (bounced.state, bounced.smtp_code) == ("failed", 550)
    assert is_suppressed(workspace_a, "lead0@x.example")
    assert Enrollment.objects.get(lead__email="lead0@x.example").stop_reason == "bounced"
    retry = OutboundMessage.objects.get(recipient="lead1@x.example")
    assert (retry.state, retry.attempts) == ("queued", 1)

    smtp_server.script.rcpt = {}
    assert run_until(START + datetime.timedelta(hours=1, minutes=3)) == 0  # backoff not over
    assert run_until(START + datetime.timedelta(hours=1, minutes=7)) == 1
    retry.refresh_from_db()
    assert (retry.state, retry.attempts) == ("sent", 2)
    delivered = [r.rcpt_tos[0] for r in smtp_server.received]
    assert sorted(delivered) == ["lead1@x.example", "lead2@x.example"]


def test_a_hard_bounce_is_recorded_whole_or_not_at_all(
    workspace_a, mailbox, smtp_server, monkeypatch
):
    """Suppression, the lead's status and the failed message go together: a crash while
    recording leaves none of them (the message stays `sending`, recovery calls it unknown)."""
    from campaigns.models import Lead
    from campaigns.sending import delivery

    def crashed(*args, **kwargs):
        raise RuntimeError("worker lost its database")

    smtp_server.script.rcpt = {"lead0@x.example": "550 5.1.1 No such user"}
    with time_machine.travel(START, tick=False):
        campaign = build(workspace_a, mailbox, n=1, steps=1)
        campaign_launch(campaign)
    monkeypatch.setattr(delivery, "message_fail", crashed)
    run_until(START + datetime.timedelta(hours=1, minutes=1))  # the send task fails
    assert [r.rcpt_tos for r in smtp_server.received] == []  # refused at RCPT
    assert not is_suppressed(workspace_a, "lead0@x.example")
    assert Lead.objects.get(email="lead0@x.example").status != Lead.Status.BOUNCED
    assert OutboundMessage.objects.get().state == "sending"


def test_a_redelivered_send_task_sends_nothing_again(workspace_a, mailbox, smtp_server):
    with time_machine.travel(START, tick=False):
        campaign = build(workspace_a, mailbox, n=2, steps=1)
        campaign_launch(campaign)
    with time_machine.travel(START + datetime.timedelta(hours=4), tick=False):
        ids = claim_for_mailbox(mailbox.pk, START + datetime.timedelta(hours=4))
        send_batch(mailbox_id=mailbox.pk, message_ids=ids)
        send_batch(mailbox_id=mailbox.pk, message_ids=ids)  # Redis redelivered the task
    assert len(smtp_server.received) == 2


def test_suppression_is_checked_again_right_before_smtp(workspace_a, mailbox, smtp_server):
    with time_machine.travel(START, tick=False):
        campaign = build(workspace_a, mailbox, n=2, steps=1)
        campaign_launch(campaign)
    with time_machine.travel(START + datetime.timedelta(hours=2), tick=False):
        ids = claim_for_mailbox(mailbox.pk, START + datetime.timedelta(hours=2))
        suppression_add(workspace=workspace_a, entry="lead1@x.example", reason="unsubscribed")
        send_batch(mailbox_id=mailbox.pk, message_ids=ids)
    assert [r.rcpt_tos for r in smtp_server.received] == [["lead0@x.example"]]
    assert OutboundMessage.objects.get(recipient="lead1@x.example").state == "failed"


def _claimed_then_died(ids):
    """What a worker leaves behind when it dies after claiming, before SMTP answered."""
    OutboundMessage.objects.filter(pk__in=ids).update(
        state="sending", sending_at=timezone.now(), attempts=F("attempts") + 1
    )
    return ids


def test_an_interrupted_send_becomes_unknown_and_is_never_resent(workspace_a, mailbox, smtp_server):
    with time_machine.travel(START, tick=False):
        campaign = build(workspace_a, mailbox, n=1, steps=2)
        campaign_launch(campaign)
    with time_machine.travel(START + datetime.timedelta(hours=2), tick=False):
        ids = claim_for_mailbox(mailbox.pk, START + datetime.timedelta(hours=2))
        _claimed_then_died(ids)
    with time_machine.travel(START + datetime.timedelta(hours=3), tick=False):
        assert messages_recover_interrupted() == 1
    assert OutboundMessage.objects.get().state == "unknown"
    assert run_until(START + datetime.timedelta(days=3)) == 0
    assert smtp_server.received == []
    assert Enrollment.objects.get().stop_reason == "interrupted while sending"


def test_an_answer_arriving_after_recovery_wins_and_is_counted_once(
    workspace_a, mailbox, smtp_server
):
    """A worker stalled past the recovery cut-off: recovery says unknown, then the server's
    answer arrives. The message is sent, and counted as sent only (the autouse check
    compares every counter with a recount)."""
    from campaigns.reports.numbers import campaign_report
    from campaigns.sending.delivery import _SentBuffer
    from smtp_accounts.replies import Outcome
    from smtp_accounts.sender import SendResult

    with time_machine.travel(START, tick=False):
        campaign = build(workspace_a, mailbox, n=1, steps=1)
        campaign_launch(campaign)
    with time_machine.travel(START + datetime.timedelta(hours=2), tick=False):
        [pk] = _claimed_then_died(
            claim_for_mailbox(mailbox.pk, START + datetime.timedelta(hours=2))
        )
    with time_machine.travel(START + datetime.timedelta(hours=3), tick=False):
        assert messages_recover_interrupted() == 1
        assert campaign_report(campaign)["totals"]["unknown"] == 1
        message = OutboundMessage.objects.select_related("enrollment", "step").get(pk=pk)
        message.following = None
        late = _SentBuffer()
        late.add(message, SendResult(None, Outcome.SENT, 250, "2.0.0 queued", 900))
        late.flush()
        totals = campaign_report(campaign)["totals"]
    assert OutboundMessage.objects.get().state == "sent"
    assert (totals["sent"], totals["unknown"], totals["stopped"]) == (1, 0, 1)


def test_a_paused_campaign_claims_nothing(workspace_a, mailbox, smtp_server):
    with time_machine.travel(START, tick=False):
        campaign = build(workspace_a, mailbox, n=2, steps=1)
        campaign_launch(campaign)
        campaign_pause(campaign)
    assert run_until(START + datetime.timedelta(hours=2)) == 0
    campaign.refresh_from_db()
    with time_machine.travel(START + datetime.timedelta(hours=2), tick=False):
        campaign_launch(campaign)  # resume
    assert run_until(START + datetime.timedelta(hours=2, minutes=1)) == 2


def test_a_campaign_paused_after_dispatch_sends_nothing_and_resumes(
    workspace_a, mailbox, smtp_server
):
    with time_machine.travel(START, tick=False):
        campaign = build(workspace_a, mailbox, n=2, steps=1)
        campaign_launch(campaign)
    later = START + datetime.timedelta(hours=2)
    with time_machine.travel(later, tick=False):
        ids = claim_for_mailbox(mailbox.pk, later)
        campaign_pause(campaign)
        assert send_batch(mailbox_id=mailbox.pk, message_ids=ids) == {}
    assert smtp_server.received == []
    assert not OutboundMessage.objects.exists()  # back to their enrollments, due again
    campaign.refresh_from_db()
    with time_machine.travel(later, tick=False):
        campaign_launch(campaign)  # resume
    assert run_until(later + datetime.timedelta(minutes=1)) == 2
    assert len(smtp_server.received) == 2


def test_unsubscribe_by_page_and_one_click(client, workspace_a, mailbox, smtp_server):
    with time_machine.travel(START, tick=False):
        campaign = build(workspace_a, mailbox, n=2, steps=2)
        campaign_launch(campaign)
    run_until(START + datetime.timedelta(hours=1, minutes=1))
    links = {
        r.rcpt_tos[0]: parsed(r)["List-Unsubscribe"]
        .split(">")[0]
        .lstrip("<")
        .removeprefix("http://localhost:8000")
        for r in smtp_server.received
    }
    page = client.get(links["lead0@x.example"])
    assert page.status_code == 200 and 'data-unsubscribe="ask"' in page.content.decode()
    assert not is_suppressed(workspace_a, "lead0@x.example")  # a GET alone does nothing
    done = client.post(links["lead0@x.example"])
    assert 'data-unsubscribe="done"' in done.content.decode()
    one_click = client.post(links["lead1@x.example"], {"List-Unsubscribe": "One-Click"})
    assert one_click.content == b"Unsubscribed.\n"
    assert is_suppressed(workspace_a, "lead0@x.example") and is_suppressed(
        workspace_a, "lead1@x.example"
    )
    assert set(Enrollment.objects.values_list("stop_reason", flat=True)) == {"unsubscribed"}
    assert Event.objects.filter(kind="unsubscribe").count() == 2
    assert run_until(START + datetime.timedelta(days=2)) == 0  # no follow-ups

    tampered = links["lead0@x.example"][:-3] + "abc/"
    assert client.get(tampered).status_code == 404
    assert client.post(reverse("unsubscribe", args=["not-a-token"])).status_code == 404


def test_leads_in_another_running_campaign_wait_unless_overlap_is_allowed(workspace_a, mailbox):
    from campaigns.models import Enrollment, LeadMembership

    with time_machine.travel(START, tick=False):
        first = build(workspace_a, mailbox, n=2, steps=1)
        campaign_launch(first)
        second = build(workspace_a, mailbox, n=1, steps=1, prefix="new")
        for membership in LeadMembership.objects.filter(lead_list__in=first.lead_lists.all()):
            LeadMembership.objects.create(lead=membership.lead, lead_list=second.lead_lists.get())
        assert campaign_launch(second) == 1  # only the lead nobody else is mailing
        second.allow_overlap = True
        second.save()
        from campaigns.sending.launch import campaign_enroll

        assert campaign_enroll(second) == 2
    assert Enrollment.objects.filter(campaign=second).count() == 3


# The SMTP conversation runs in a helper process while the batch's next messages are
# rendered and the answers recorded (smtp_accounts/background.py). Its edges:


def _claimed_batch(workspace, mailbox, n):
    with time_machine.travel(START, tick=False):
        campaign_launch(build(workspace, mailbox, n=n, steps=1))
    return claim_for_mailbox(mailbox.pk, START + datetime.timedelta(hours=2), batch=n)


def test_a_mailbox_refusing_mid_batch_is_paused_and_the_rest_waits(
    workspace_a, mailbox, smtp_server
):
    ids = _claimed_batch(workspace_a, mailbox, 25)  # several chunks of CHUNK messages
    order = list(OutboundMessage.objects.filter(pk__in=ids).order_by("pk"))  # sending order
    refused = 13  # in the second chunk
    smtp_server.script.rcpt = {order[refused].recipient: "550 5.7.1 Daily sending quota exceeded"}
    with time_machine.travel(START + datetime.timedelta(hours=2), tick=False):
        counts = send_batch(mailbox_id=mailbox.pk, message_ids=ids)
    assert counts == {"sent": refused, "mailbox": 1}
    assert [r.rcpt_tos[0] for r in smtp_server.received] == [m.recipient for m in order[:refused]]
    states = [m.state for m in OutboundMessage.objects.filter(pk__in=ids).order_by("pk")]
    assert states == ["sent"] * refused + ["queued"] * (25 - refused)  # nothing left sending
    retry = START + datetime.timedelta(hours=2, minutes=30)
    waiting = OutboundMessage.objects.filter(state="queued")
    assert set(waiting.values_list("next_attempt_at", flat=True)) == {retry}
    mailbox.refresh_from_db()
    assert mailbox.status == "paused_error" and "quota" in mailbox.status_reason


def test_a_crash_while_recording_sends_nothing_twice(
    workspace_a, mailbox, smtp_server, monkeypatch
):
    from campaigns.sending import delivery

    def crash(self):
        raise RuntimeError("database went away")

    monkeypatch.setattr(delivery._SentBuffer, "SIZE", 5)
    monkeypatch.setattr(delivery._SentBuffer, "flush", crash)
    ids = _claimed_batch(workspace_a, mailbox, 30)
    later = time_machine.travel(START + datetime.timedelta(hours=2), tick=False)
    with later, pytest.raises(RuntimeError, match="went away"):
        send_batch(mailbox_id=mailbox.pk, message_ids=ids)
    delivered = [r.rcpt_tos[0] for r in smtp_server.received]
    assert len(delivered) >= 5  # the helper may have sent all it was given (an abort stops it,
    # tests/smtp_accounts/test_smtp_helper.py), but nothing was recorded and nothing goes twice
    # What was delivered is not recorded `sent`: it stays `sending`, recovery calls it unknown.
    # What the batch had not claimed yet is still queued.
    sending = set(OutboundMessage.objects.filter(state="sending").values_list("pk", flat=True))
    sent_to = OutboundMessage.objects.filter(pk__in=sending).values_list("recipient", flat=True)
    assert set(delivered) <= set(sent_to)
    assert OutboundMessage.objects.filter(state="queued").count() == 30 - len(sending)
    monkeypatch.undo()
    with time_machine.travel(START + datetime.timedelta(hours=3), tick=False):
        assert messages_recover_interrupted() == len(sending)
    assert run_until(START + datetime.timedelta(days=3)) == 30 - len(sending)
    received = [r.rcpt_tos[0] for r in smtp_server.received]
    assert len(received) == len(set(received)) == len(delivered) + 30 - len(sending)


def test_a_crash_strands_only_the_chunk_it_had_claimed(
    workspace_a, mailbox, smtp_server, monkeypatch
):
    """Chunks are claimed as their turn comes: a worker dying while it prepares the second
    leaves the first `sending` (recovery: unknown, never sent again) and the rest queued,
    which is sent later, once."""
    from campaigns.sending import delivery

    render = delivery.render_outbound
    rendered = []

    def dies_on_the_fifteenth(message, *, previous):
        rendered.append(message.pk)
        if len(rendered) == 15:
            raise MemoryError("the worker died")
        return render(message, previous=previous)

    monkeypatch.setattr(delivery, "render_outbound", dies_on_the_fifteenth)
    ids = _claimed_batch(workspace_a, mailbox, 30)
    later = time_machine.travel(START + datetime.timedelta(hours=2), tick=False)
    with later, pytest.raises(MemoryError):
        send_batch(mailbox_id=mailbox.pk, message_ids=ids)
    states = list(OutboundMessage.objects.filter(pk__in=ids).order_by("pk").values_list("state"))
    assert states == [("sending",)] * delivery.CHUNK + [("queued",)] * (30 - delivery.CHUNK)
    first_chunk = {r.rcpt_tos[0] for r in smtp_server.received}
    monkeypatch.undo()
    with time_machine.travel(START + datetime.timedelta(hours=3), tick=False):
        assert messages_recover_interrupted() == delivery.CHUNK
    assert run_until(START + datetime.timedelta(days=3)) == 30 - delivery.CHUNK
    received = [r.rcpt_tos[0] for r in smtp_server.received]
    assert len(received) == len(set(received)) == len(first_chunk) + 30 - delivery.CHUNK
    assert OutboundMessage.objects.filter(state="unknown").count() == delivery.CHUNK


def test_a_batch_stays_one_chunk_ahead_of_a_slow_server(
    workspace_a, mailbox, smtp_server, monkeypatch
):
    """The worker prepares faster than a slow server answers; it still claims no more than a
    chunk beyond the one being sent, so a crash strands at most two chunks."""
    from campaigns.sending import delivery

    smtp_server.script.data_delay = 0.02
    ahead = []  # at each claim: messages claimed so far that the server has not received
    claimed = []
    lock = delivery._lock_queued

    def watching(message_ids):
        ahead.append(len(claimed) - len(smtp_server.received))
        got = lock(message_ids)
        claimed.extend(got)
        return got

    monkeypatch.setattr(delivery, "_lock_queued", watching)
    ids = _claimed_batch(workspace_a, mailbox, 40)
    with time_machine.travel(START + datetime.timedelta(hours=2), tick=False):
        assert send_batch(mailbox_id=mailbox.pk, message_ids=ids) == {"sent": 40}
    assert len(ahead) == 4 and max(ahead) <= 2 * delivery.CHUNK, ahead


def test_a_batch_past_its_time_hands_the_rest_to_a_new_task(
    workspace_a, mailbox, smtp_server, monkeypatch
):
    from celery.signals import task_prerun

    from campaigns.sending import delivery

    tasks = []

    def started(sender=None, args=None, **_kwargs):
        tasks.append(len(args[1]))

    monkeypatch.setattr(delivery, "BUDGET", 0)  # every batch is over its time after one chunk
    task_prerun.connect(started, weak=False)
    try:
        with time_machine.travel(START, tick=False):
            campaign_launch(build(workspace_a, mailbox, n=25, steps=1))
        assert run_until(START + datetime.timedelta(hours=2)) == 25
    finally:
        task_prerun.disconnect(started)
    assert tasks == [25, 15, 5]  # one chunk each, the rest to the next task
    received = [r.rcpt_tos[0] for r in smtp_server.received]
    assert len(received) == len(set(received)) == 25
    assert set(OutboundMessage.objects.values_list("state", flat=True)) == {"sent"}


def test_the_smtp_helper_dying_mid_batch_reaches_the_worker(workspace_a, mailbox, smtp_server):
    """The helper process is killed right after the server took the third message, before it
    could answer: the batch raises, the two answered are recorded, the third (delivered, no
    answer) and the others claimed stay `sending` (unknown), and the next batch gets a new
    helper."""
    import os
    import signal

    from smtp_accounts.background import HelperFailed, helper

    victim = helper().process.pid

    class KillsTheHelperAtTheThird(list):
        def append(self, item):
            super().append(item)
            if len(self) == 3:
                os.kill(victim, signal.SIGKILL)

    smtp_server.received = KillsTheHelperAtTheThird()
    ids = _claimed_batch(workspace_a, mailbox, 12)
    later = time_machine.travel(START + datetime.timedelta(hours=2), tick=False)
    with later, pytest.raises(HelperFailed):
        send_batch(mailbox_id=mailbox.pk, message_ids=ids)
    assert len(smtp_server.received) == 3  # nothing after
    states = Counter(OutboundMessage.objects.filter(pk__in=ids).values_list("state", flat=True))
    assert states["sent"] == 2 and states["sending"] >= 1
    assert states["sent"] + states["sending"] + states["queued"] == 12
    with time_machine.travel(START + datetime.timedelta(hours=3), tick=False):
        assert messages_recover_interrupted() == states["sending"]
    assert run_until(START + datetime.timedelta(days=3)) == states["queued"]
    assert helper().process.pid != victim
    received = [r.rcpt_tos[0] for r in smtp_server.received]
    assert len(received) == len(set(received)) == 3 + states["queued"]


def test_server_replies_with_control_characters_are_recorded(workspace_a, mailbox, smtp_server):
    """The user's server is not ours to trust: a NUL in its reply (PostgreSQL refuses one in
    text) must not keep a batch's results from being recorded."""
    smtp_server.script.data_reply = "250 2.0.0 Ok: queued as \x00AB12"
    smtp_server.script.rcpt = {"lead1@x.example": "550 5.1.1 No such\x00 user"}
    with time_machine.travel(START, tick=False):
        campaign = build(workspace_a, mailbox, n=2, steps=1)
        campaign_launch(campaign)
    run_until(START + datetime.timedelta(hours=1, minutes=1))
    rows = OutboundMessage.objects.order_by("recipient").values_list("state", "smtp_response")
    assert list(rows) == [
        ("sent", "2.0.0 Ok: queued as \ufffdAB12"),
        ("failed", "5.1.1 No such\ufffd user"),
    ]
    assert is_suppressed(workspace_a, "lead1@x.example")
