"""Seed a benchmark database fast: `python -m tools.bench.seed big|small` prints what it made as JSON.

big:   one account with 1,000,000 leads, 100 other accounts with 100-5,000 leads each, all
       interleaved in time as real traffic would be; plus two Security-page accounts (5 keys
       and 500 keys with 500 audit events) and some conversations and sources for the
       query-count checks.
small: one account with 1,000 leads (the baseline of the scale comparison).

Leads go in with one COPY, oldest first (the heap order real traffic produces), with the table's
secondary indexes dropped during the load and rebuilt after it, as pg_restore does; foreign keys
are correct by construction, so their triggers are skipped for the load.
"""

import base64
import json
import os
import random
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tools.bench.settings")
# Loading a million rows and building their indexes outlasts the app's statement timeout.
os.environ["DATABASE_STATEMENT_TIMEOUT_MS"] = "0"
django.setup()

from django.db import connection, transaction  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

from accounts.models import Account, Membership, Plan, User  # noqa: E402
from apikeys.models import ApiKey  # noqa: E402
from chatbots.models import Chatbot, Conversation  # noqa: E402
from sources.models import Source  # noqa: E402

BIG_LEADS = int(os.environ.get("BENCH_BIG_LEADS", 1_000_000))
SMALL_LEADS = 1_000
OTHER_ACCOUNTS = 100
YEAR = 365 * 24 * 3600
LEAD_COLUMNS = "id, account_id, chatbot_id, conversation_id, name, email, phone, custom_fields, created_at, updated_at"
NOW = datetime.now(timezone.utc).replace(microsecond=0)
rng = random.Random(7)
timings = {}


def bench_plan():
    # Real plans allow at most 3,000 requests a minute: a load test would measure 429s. This plan
    # keeps the rate-limit bookkeeping on every request but never refuses.
    plan, _ = Plan.objects.get_or_create(
        code="bench",
        defaults=dict(
            name="Bench", position=99, monthly_message_credits=10**9, max_chatbots=1000,
            max_knowledge_characters=10**12, max_members=1000, api_requests_per_minute=10**9,
            api_keys_allowed=True,
        ),
    )
    return plan


def make_account(name, plan, owner_email, chatbots=1):
    account = Account.objects.create(name=name, plan=plan, created_at=NOW - timedelta(days=400))
    owner = User.objects.create_user(email=owner_email, password="bench-password")
    Membership.objects.create(user=owner, account=account, role=Membership.Role.OWNER)
    bots = [Chatbot(account=account, name=f"{name} bot {n}") for n in range(chatbots)]
    Chatbot.objects.bulk_create(bots)
    return account, owner, [bot.pk for bot in bots]


def credentials(account, owner):
    api_key, raw_key = ApiKey.objects.create_key(account=account, label="CRM sync", created_by=owner)
    token = Token.objects.create(user=owner)
    return {"account": account.pk, "key": raw_key, "key_id": api_key.pk, "token": token.key, "owner": owner.pk}


def public_ids(prefix, count):
    """`prefix_` + 20 base62-looking characters, from os.urandom in one call (secrets.choice per
    character would take most of the seeding time)."""
    blob = base64.b64encode(os.urandom(15 * count)).translate(bytes.maketrans(b"+/", b"Zz")).decode()
    return [f"{prefix}_{blob[i:i + 20]}" for i in range(0, 20 * count, 20)]


def lead_times(count):
    """`count` distinct, increasing timestamps spread over the past year (seconds before now)."""
    gap = YEAR / count
    return [YEAR - (i + rng.random()) * gap for i in range(count)]


def _run_in_own_connection(sql):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SET maintenance_work_mem = '256MB'")
            cursor.execute(sql)
    finally:
        connection.close()


def copy_leads(accounts):
    """accounts: [(account_id, chatbot_ids, count)]. Returns rows written."""
    rows = []
    for account_id, bot_ids, count in accounts:
        for n, ago in enumerate(lead_times(count)):
            rows.append((ago, account_id, bot_ids[n % len(bot_ids)], n))
    rows.sort(key=lambda row: -row[0])  # oldest first, as they arrived
    ids = public_ids("lead", len(rows))
    now_ts = NOW.timestamp()
    iso = datetime.fromtimestamp
    custom = ['{}', '{"company": "Acme %d", "utm_source": "google"}', '{"plan_interest": "growth"}']

    def lines():
        buffer = []
        for lead_id, (ago, account_id, bot_id, n) in zip(ids, rows, strict=True):
            created = iso(now_ts - ago, timezone.utc).isoformat()
            # One lead in twenty was edited later.
            updated = created if n % 20 else iso(now_ts - ago * 0.5, timezone.utc).isoformat()
            fields = custom[n % 3].replace("%d", str(n))
            buffer.append(
                f"{lead_id}\t{account_id}\t{bot_id}\t\\N\tVisitor {n}\tvisitor{n}@example{n % 97}.com\t"
                f"+1 555 {n % 10_000_000:07d}\t{fields}\t{created}\t{updated}\n"
            )
            if len(buffer) == 20_000:
                yield "".join(buffer).encode()
                buffer = []
        if buffer:
            yield "".join(buffer).encode()

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'leads_lead'::regclass AND contype = 'p'"
        )
        primary_key = cursor.fetchone()
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
            "AND tablename = 'leads_lead' AND indexname NOT IN "
            "(SELECT conname FROM pg_constraint WHERE conrelid = 'leads_lead'::regclass)"
        )
        indexes = [definition for _, definition in cursor.fetchall()]
        cursor.execute(f'ALTER TABLE leads_lead DROP CONSTRAINT "{primary_key[0]}"')
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'leads_lead'"
        )
        for (name,) in cursor.fetchall():
            cursor.execute(f'DROP INDEX "{name}"')
        cursor.execute("SET session_replication_role = replica")
        started = time.perf_counter()
        with cursor.cursor.copy(f"COPY leads_lead ({LEAD_COLUMNS}) FROM STDIN") as copy:
            for chunk in lines():
                copy.write(chunk)
        cursor.execute("SET session_replication_role = DEFAULT")
        timings["copy"] = time.perf_counter() - started
    started = time.perf_counter()
    rebuild = [f'ALTER TABLE leads_lead ADD CONSTRAINT "{primary_key[0]}" {primary_key[1]}', *indexes]
    with ThreadPoolExecutor(max_workers=2) as pool:  # one index build per core
        list(pool.map(_run_in_own_connection, rebuild))
    timings["indexes"] = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) leads_lead")
    return len(rows)


def seed_big():
    plan = bench_plan()
    big, owner, bots = make_account("Bench Big", plan, "owner@big.example", chatbots=3)
    result = {"big": credentials(big, owner)}
    tenants = [(big.pk, bots, BIG_LEADS)]
    for n in range(OTHER_ACCOUNTS):
        account, _, tenant_bots = make_account(f"Tenant {n}", plan, f"owner@tenant{n}.example")
        tenants.append((account.pk, tenant_bots, rng.randint(100, 5_000)))
    started = time.perf_counter()
    result["leads"] = copy_leads(tenants)
    result["copy_seconds"] = round(time.perf_counter() - started, 1)
    result["big"]["leads"] = BIG_LEADS

    # For the list query counts of the other endpoints.
    Conversation.objects.bulk_create(
        Conversation(account=big, chatbot_id=bots[n % 3], visitor_id=f"v{n}", message_count=n % 9,
                     started_at=NOW - timedelta(minutes=n))
        for n in range(300)
    )
    Source.objects.bulk_create(
        Source(account=big, chatbot_id=bots[n % 3], type="text", title=f"Doc {n}", content="Words. " * 200,
               character_count=1400, status="ready")
        for n in range(150)
    )

    # Settings -> Security with 5 keys and with 500 keys (each creation writes an audit event).
    for size in (5, 500):
        account, owner, _ = make_account(f"Security {size}", plan, f"owner@security{size}.example")
        admin = User.objects.create_user(email=f"admin@security{size}.example", password="bench-password")
        Membership.objects.create(user=admin, account=account, role=Membership.Role.ADMIN)
        with transaction.atomic():
            for n in range(size):
                ApiKey.objects.create_key(account=account, label=f"Integration {n}", created_by=(owner, admin)[n % 2])
        # A tenth of them revoked, so the page renders both kinds of row.
        ApiKey.objects.for_account(account).filter(label__endswith="0").update(revoked_at=NOW, revoked_by=owner)
        result[f"security{size}"] = {"account": account.pk, "user": owner.pk}
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
    return result


def seed_small():
    plan = bench_plan()
    small, owner, bots = make_account("Bench Small", plan, "owner@small.example", chatbots=3)
    result = {"small": credentials(small, owner)}
    result["leads"] = copy_leads([(small.pk, bots, SMALL_LEADS)])
    result["small"]["leads"] = SMALL_LEADS
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
    return result


if __name__ == "__main__":
    started = time.perf_counter()
    result = {"big": seed_big, "small": seed_small}[sys.argv[1]]()
    result["seconds"] = round(time.perf_counter() - started, 1)
    result["timings"] = {k: round(v, 1) for k, v in timings.items()}
    json.dump(result, sys.stdout)
