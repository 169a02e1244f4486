"""Owners and admins are told by email 7 days and 1 day before a key expires, once each."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import Membership
from apikeys.models import ApiKey
from apikeys.tasks import send_expiry_reminders
from tests.conftest import make_member

DAY = timedelta(days=1)


@pytest.fixture
def managers(account, alice):
    make_member(account, "dana@example.com", Membership.Role.ADMIN)
    make_member(account, "bob@example.com", Membership.Role.MEMBER)


def expiring_key(account, in_, label="CRM sync"):
    return ApiKey.objects.create_key(account=account, label=label, expires_at=timezone.now() + in_)


def test_seven_days_ahead_the_owners_and_admins_are_told_once(account, managers, run_jobs):
    api_key, raw_key = expiring_key(account, 6 * DAY + timedelta(hours=20))
    assert send_expiry_reminders() == 1
    run_jobs()
    [email] = mail.outbox
    assert sorted(email.to) == ["alice@example.com", "dana@example.com"]
    assert email.subject == "Pivra API key “CRM sync” expires in 7 days"
    assert api_key.hint in email.body and "Roll" in email.body
    assert raw_key not in email.subject + email.body
    assert send_expiry_reminders() == 0
    assert len(mail.outbox) == 1


def test_one_day_ahead_they_are_told_again(account, managers, run_jobs):
    api_key, _ = expiring_key(account, 6 * DAY)
    send_expiry_reminders()
    now = timezone.now() + 5 * DAY + timedelta(hours=1)  # 23 hours before it expires
    assert send_expiry_reminders(now=now) == 1
    run_jobs()
    assert mail.outbox[-1].subject == "Pivra API key “CRM sync” expires in 1 day"
    assert send_expiry_reminders(now=now + timedelta(hours=1)) == 0
    assert len(mail.outbox) == 2


def test_a_key_due_for_both_at_once_gets_only_the_one_day_reminder(account, managers, run_jobs):
    expiring_key(account, timedelta(hours=12))
    assert send_expiry_reminders() == 1
    assert send_expiry_reminders(now=timezone.now() + timedelta(hours=1)) == 0
    run_jobs()
    [email] = mail.outbox
    assert email.subject.endswith("expires in 1 day")


def test_keys_that_will_not_expire_soon_or_are_gone_get_no_reminder(account, managers, alice, run_jobs):
    expiring_key(account, 30 * DAY, label="Later")
    ApiKey.objects.create_key(account=account, label="Forever")
    revoked, _ = expiring_key(account, 2 * DAY, label="Revoked")
    revoked.revoke(by=alice)
    rolled, _ = expiring_key(account, 2 * DAY, label="Rolled")
    rolled.roll(stops_in=timedelta(hours=1))  # its replacement keeps the 2-day lifetime
    expired, _ = expiring_key(account, timedelta(hours=1), label="Expired")
    ApiKey.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - DAY)
    assert send_expiry_reminders() == 1  # the rolled key's replacement, due in 2 days
    run_jobs()
    assert [email.subject for email in mail.outbox] == ["Pivra API key “Rolled” expires in 2 days"]


def test_the_reminders_run_as_a_periodic_job():
    import apikeys.tasks  # noqa: F401  (declares the task)
    from procrastinate.contrib.django import app

    assert "apikeys.send_expiry_reminders" in app.tasks
    assert ("apikeys.send_expiry_reminders", "") in app.periodic_registry.periodic_tasks


def test_the_job_sends_the_reminders_that_are_due(run_jobs, account, managers):
    from apikeys.tasks import send_key_expiry_reminders
    from jobs.queue import defer

    expiring_key(account, 3 * DAY)
    defer(send_key_expiry_reminders, timestamp=int(timezone.now().timestamp()))
    run_jobs()
    assert [email.subject for email in mail.outbox] == ["Pivra API key “CRM sync” expires in 3 days"]


def test_a_failed_send_is_retried_and_the_reminder_is_not_lost(account, managers, run_jobs):
    from unittest import mock

    from jobs.queue import uses_worker

    if not uses_worker():
        pytest.skip("retries need the PostgreSQL worker (on SQLite jobs run once, inline)")
    expiring_key(account, 3 * DAY)
    send_expiry_reminders()
    with mock.patch("apikeys.notices.send_mail", side_effect=ConnectionRefusedError("mail server down")):
        run_jobs()
    assert mail.outbox == []
    from procrastinate.contrib.django.models import ProcrastinateJob

    ProcrastinateJob.objects.filter(task_name="apikeys.email_expiry_reminder").update(scheduled_at=timezone.now())
    run_jobs()
    assert [email.subject for email in mail.outbox] == ["Pivra API key “CRM sync” expires in 3 days"]
