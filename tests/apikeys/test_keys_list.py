"""Settings → Security's lists: revoked keys set apart, "Last used" in words with the exact time on
hover, pages of 50 at a constant number of queries, errors tied to their fields, and members who
see everything and change nothing."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Account, AuditEvent, Plan
from apikeys.models import ApiKey

from .pages import SECURITY, create, keys_table, revoke_url
from .test_roll import roll_url

NO_BREAK_SPACE = "\xa0"


def make_keys(account, count, prefix="Key", **fields):
    """`count` keys made a minute apart, the newest now, labelled "Key 000" (the oldest) onwards."""
    now = timezone.now()
    keys = [
        ApiKey(account=account, label=f"{prefix} {number:03}", last_four=f"{number:04}"[-4:],
               key_hash=f"hash-{account.pk}-{prefix}-{number}",
               created_at=now - timedelta(minutes=count - number), **fields)
        for number in range(count)
    ]
    return ApiKey.objects.bulk_create(keys)


def section(html, heading_id):
    """The HTML of the keys table labelled by `heading_id`, and what follows it up to the next heading."""
    return html.split(f'aria-labelledby="{heading_id}"', 1)[1].split("<h", 1)[0]


# Revoked keys, set apart


def test_revoked_keys_are_listed_under_their_own_heading_after_the_working_ones(alice_client, key_pair, account, alice):
    gone, _ = ApiKey.objects.create_key(account=account, label="Old export", created_by=alice)
    gone.revoke(by=alice)
    html = alice_client.get(SECURITY).content.decode()
    assert html.index("CRM sync") < html.index('<h3 id="revoked-keys-heading">Revoked keys</h3>') < html.index("Old export")
    assert "<td>Old export</td>" in section(html, "revoked-keys-heading")
    assert "<td>Old export</td>" not in section(html, "api-keys-heading")


def test_a_revoked_row_is_muted_says_revoked_and_has_no_buttons(alice_client, key_pair, alice):
    key_pair[0].revoke(by=alice)
    html = alice_client.get(SECURITY).content.decode()
    assert f'<tr data-key-id="{key_pair[0].pk}" class="revoked">' in html
    [row] = keys_table(html)
    assert row["Status"].startswith("Revoked")
    assert revoke_url(key_pair[0]) not in html and roll_url(key_pair[0]) not in html


def test_without_revoked_keys_there_is_no_revoked_section(alice_client, key_pair):
    assert "Revoked keys" not in alice_client.get(SECURITY).content.decode()


# Last used


@pytest.mark.parametrize(
    "ago, words",
    [(timedelta(minutes=3, seconds=10), "3 minutes ago"), (timedelta(hours=2, minutes=1), "2 hours ago"),
     (timedelta(seconds=20), "20 seconds ago")],
    ids=["minutes", "hours", "seconds"],
)
def test_last_used_reads_how_long_ago_with_the_exact_time_on_hover(alice_client, key_pair, ago, words):
    used_at = timezone.now() - ago
    ApiKey.objects.filter(pk=key_pair[0].pk).update(last_used_at=used_at)
    html = alice_client.get(SECURITY).content.decode()
    [row] = keys_table(html)
    assert row["Last used"] == words
    shown = words.replace(" ", NO_BREAK_SPACE, 1)  # naturaltime keeps the number beside its unit
    assert f'<time datetime="{used_at.isoformat()}" title="{used_at:%Y-%m-%d %H:%M} UTC">{shown}</time>' in html


def test_last_used_reads_never_for_an_unused_key(alice_client, key_pair):
    [row] = keys_table(alice_client.get(SECURITY))
    assert row["Last used"] == "Never"


# Pages of keys


def test_the_keys_table_shows_the_newest_50_and_links_to_older_keys(alice_client, account):
    make_keys(account, 51)
    response = alice_client.get(SECURITY)
    rows = keys_table(response)
    assert len(rows) == 50 and rows[0]["Label"] == "Key 050" and rows[-1]["Label"] == "Key 001"
    older = re.search(r'<a href="(/settings/security/\?older_than=[^"#]+)#api-keys-heading">Older keys</a>', response.content.decode())
    assert [row["Label"] for row in keys_table(alice_client.get(older.group(1)))] == ["Key 000"]


def test_the_last_page_has_no_older_keys_link(alice_client, account):
    make_keys(account, 50)
    assert "Older keys" not in alice_client.get(SECURITY).content.decode()


def test_revoked_keys_are_paged_on_their_own(alice_client, account):
    make_keys(account, 2)
    make_keys(account, 51, prefix="Gone", revoked_at=timezone.now())
    html = alice_client.get(SECURITY).content.decode()
    assert "Older keys<" not in html
    link = re.search(r'href="(/settings/security/\?revoked_older_than=[^"#]+)#revoked-keys-heading">Older revoked keys', html)
    rows = [row["Label"] for row in keys_table(alice_client.get(link.group(1)))]
    assert rows[:2] == ["Key 001", "Key 000"]  # the working keys start again from the newest
    assert rows[2:] == ["Gone 000"]  # the 51st revoked key


def test_paging_one_table_keeps_the_others_page(alice_client, account):
    make_keys(account, 51)
    make_keys(account, 51, prefix="Gone", revoked_at=timezone.now())
    html = alice_client.get(SECURITY).content.decode()
    older_keys = re.search(r'href="(/settings/security/\?older_than=[^"#]+)#api-keys-heading">Older keys', html).group(1)
    html = alice_client.get(older_keys).content.decode()
    link = re.search(r'href="(/settings/security/\?[^"#]+)#revoked-keys-heading">Older revoked keys', html).group(1)
    rows = [row["Label"] for row in keys_table(alice_client.get(link.replace("&amp;", "&")))]
    assert rows == ["Key 000", "Gone 000"]  # the working keys stay on their second page


@pytest.mark.parametrize("cursor", ["nonsense", "key_" + "A" * 20, "\x00"])
def test_an_unknown_or_malformed_cursor_shows_the_first_page(alice_client, key_pair, cursor):
    response = alice_client.get(SECURITY, {"older_than": cursor, "revoked_older_than": cursor})
    assert response.status_code == 200
    assert [row["Label"] for row in keys_table(response)] == ["CRM sync"]


def test_another_accounts_key_is_no_cursor(alice_client, key_pair, other_account):
    [theirs] = make_keys(other_account, 1)
    assert [row["Label"] for row in keys_table(alice_client.get(SECURITY, {"older_than": theirs.pk}))] == ["CRM sync"]


def queries_for(client, path=SECURITY):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


def test_the_page_runs_as_many_queries_with_many_keys_and_events_as_with_a_few(alice_client, account, alice, django_assert_max_num_queries):
    make_keys(account, 2, created_by=alice)
    ApiKey.objects.filter(label="Key 000").update(revoked_at=timezone.now(), revoked_by=alice)
    few = queries_for(alice_client)
    many = ApiKey.objects.bulk_create(
        ApiKey(account=account, label=f"More {n}", last_four="1234", key_hash=f"more-{n}", created_by=alice,
               revoked_at=timezone.now() if n % 2 else None)
        for n in range(240)
    )
    AuditEvent.objects.bulk_create(
        AuditEvent(account=account, action=AuditEvent.Action.API_KEY_CREATED, actor=alice, target_id=key.pk,
                   target_description=key.label)
        for key in many
    )
    with django_assert_max_num_queries(few):
        response = alice_client.get(SECURITY)
    assert len(keys_table(response)) == 100  # 50 working keys and 50 revoked ones
    with django_assert_max_num_queries(few + 1):  # the next page: one more, to find where it starts
        alice_client.get(SECURITY, {"older_than": many[-2].pk})


def test_the_recent_security_events_stay_bounded(alice_client, account, alice):
    AuditEvent.objects.bulk_create(
        AuditEvent(account=account, action=AuditEvent.Action.API_KEY_CREATED, actor=alice, target_id="key_x",
                   target_description=f"Event {n}")
        for n in range(45)
    )
    html = alice_client.get(SECURITY).content.decode()
    audit = html.split('class="audit"')[1].split("</table>")[0]
    assert audit.count("<tr>") == 1 + 20


# Errors tied to their fields


def test_a_label_error_is_tied_to_the_label_field(alice_client):
    html = create(alice_client, label="").content.decode()
    field = re.search(r'<input type="text" name="label"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in field and 'aria-describedby="id_label_error"' in field
    assert re.search(r'id="id_label_error"[^>]*>.*Enter a label', html, re.S)


def test_every_description_a_field_points_to_is_on_the_page(alice_client):
    html = create(alice_client, label="", allowed_ips="nonsense").content.decode()
    described = {id_ for ids in re.findall(r'aria-describedby="([^"]+)"', html) for id_ in ids.split()}
    assert described
    assert [id_ for id_ in described if f'id="{id_}"' not in html] == []


def test_the_confirm_and_roll_buttons_name_the_key(alice_client, key_pair):
    assert 'aria-label="Confirm revoking CRM sync">Confirm</button>' in alice_client.get(revoke_url(key_pair[0])).content.decode()
    assert 'aria-label="Roll key “CRM sync”">Roll key</button>' in alice_client.get(roll_url(key_pair[0])).content.decode()


# Members see everything and change nothing, on the server too


def test_a_member_sees_working_and_revoked_keys_and_the_events(bob_client, key_pair, account, alice):
    gone, _ = ApiKey.objects.create_key(account=account, label="Old export", created_by=alice)
    gone.revoke(by=alice)
    response = bob_client.get(SECURITY)
    assert [row["Label"] for row in keys_table(response)] == ["CRM sync", "Old export"]
    assert "API key revoked" in response.content.decode()


@pytest.mark.parametrize(
    "action",
    ["create", "revoke", "roll", "edit", "require_two_factor"],
)
def test_every_post_on_the_security_page_refuses_a_member_even_with_a_confirmed_password(bob_client, key_pair, account, action):
    from tests.conftest import confirmed

    confirmed(bob_client)
    api_key = key_pair[0]
    path, data = {
        "create": (SECURITY, {"label": "Bob's key", "form_token": "b" * 22}),
        "revoke": (revoke_url(api_key), {}),
        "roll": (roll_url(api_key), {"stops_in": "0", "form_token": "b" * 22}),
        "edit": (f"{SECURITY}keys/{api_key.pk}/edit/", {"access": "read_only"}),
        "require_two_factor": ("/accounts/two-factor/require/", {"require_two_factor": "on"}),
    }[action]
    before = (list(ApiKey.objects.values()), AuditEvent.objects.count())
    assert bob_client.post(path, data).status_code == 403
    assert (list(ApiKey.objects.values()), AuditEvent.objects.count()) == before
    assert not Account.objects.get(pk=account.pk).require_two_factor


# The Free plan: what Starter unlocks, and where to compare plans


def test_on_the_free_plan_the_page_names_what_starter_unlocks_and_links_to_the_plans(alice_client, account):
    account.plan = Plan.objects.get(code="free")
    account.save()
    html = alice_client.get(SECURITY).content.decode()
    assert "API keys need the Starter plan or above. This account is on the Free plan." in html
    assert "Starter unlocks API keys (120 API requests a minute), 3 chatbots, 2,000 message credits a month and 3 team members." in html
    assert '<a href="/settings/plans/">Compare plans and upgrade</a>' in html


def test_on_a_plan_with_keys_there_is_no_upgrade_notice(alice_client):
    assert "Compare plans and upgrade" not in alice_client.get(SECURITY).content.decode()
