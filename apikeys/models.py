import ipaddress
import math
from datetime import timedelta

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.ids import PublicIdField
from accounts.models import Account, AccountScopedQuerySet, AuditEvent

from . import crypto

# A busy integration must not turn every GET into a row update.
LAST_USED_RESOLUTION = timedelta(minutes=1)

# What a Restricted key may be given, resource by resource (the API's views name theirs).
RESOURCES = ["chatbots", "sources", "conversations", "leads", "usage", "chat"]


class RollRefused(Exception):
    """A key that cannot be rolled; the message says why, for the owner."""


class ApiKeyQuerySet(AccountScopedQuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)


class ApiKeyManager(models.Manager.from_queryset(ApiKeyQuerySet)):
    def create_key(self, *, account, label, created_by=None, ip_address=None, expires_at=None,
                   access="full", resource_levels=None, allowed_ips=(), requests_per_minute=None, form_token=None):
        """Create a key and its audit event; return (api_key, raw_key). The raw key is never stored.
        `form_token`: the one-time token of the page form that asked for it (see ApiKey.form_token)."""
        raw_key = crypto.generate_secret_key()
        with transaction.atomic():
            api_key = self.create(
                account=account,
                label=label,
                created_by=created_by,
                last_four=raw_key[-4:],
                key_hash=crypto.hash_key(raw_key),
                hash_algorithm=crypto.HASH_ALGORITHM,
                expires_at=expires_at,
                access=access,
                resource_levels=resource_levels or {},
                allowed_ips=list(allowed_ips),
                requests_per_minute=requests_per_minute,
                form_token=form_token or None,
            )
            api_key.record_event(AuditEvent.Action.API_KEY_CREATED, by=created_by, ip_address=ip_address)
        return api_key, raw_key


class ApiKey(models.Model):
    class Access(models.TextChoices):
        FULL = "full", "Full access"
        READ_ONLY = "read_only", "Read only"
        RESTRICTED = "restricted", "Restricted"

    class Level(models.TextChoices):
        NONE = "none", "None"
        READ = "read", "Read"
        WRITE = "write", "Write"

    id = PublicIdField(prefix="key")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="api_keys")
    label = models.CharField(max_length=100)
    last_four = models.CharField(max_length=4)
    key_hash = models.CharField(max_length=128, unique=True)
    hash_algorithm = models.CharField(max_length=20, default=crypto.HASH_ALGORITHM)
    # Keys belong to the account, not the person: they outlive their creator.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Empty: the key never expires.")
    access = models.CharField(max_length=10, choices=Access.choices, default=Access.FULL)
    # For a Restricted key: {resource: level} for the RESOURCES it may use; a missing one is None.
    resource_levels = models.JSONField(default=dict, blank=True)
    # Addresses and CIDR ranges the key may be used from (normalised by the form); empty: anywhere.
    allowed_ips = models.JSONField(default=list, blank=True)
    # The key's own limit, within the plan's limit for the whole account; empty: the plan's only.
    requests_per_minute = models.PositiveIntegerField(null=True, blank=True)
    # Rolled: the key that replaces this one, which keeps working until expires_at (or was revoked).
    rolled_at = models.DateTimeField(null=True, blank=True)
    # When the owners were told the key expires in 7 days, and in 1 day (each reminder once).
    reminded_7_days_at = models.DateTimeField(null=True, blank=True)
    reminded_1_day_at = models.DateTimeField(null=True, blank=True)
    replaced_by = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # The one-time token of the Settings → Security form (Create or Roll) that made the key, unique
    # in the account: the same form sent again (a reload without JavaScript, a double click) finds
    # its key instead of making a second one. In the database, not the session, so that two
    # concurrent sends on two workers still make one key. Empty for keys made elsewhere.
    form_token = models.CharField(max_length=64, null=True, blank=True, editable=False)

    objects = ApiKeyManager()

    class Meta:
        verbose_name = "API key"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["account", "-created_at"], name="apikey_account_newest")]
        constraints = [
            # A label names one key, except while a rolled key and its replacement both work.
            models.UniqueConstraint(
                fields=["account", "label"],
                condition=Q(revoked_at__isnull=True, rolled_at__isnull=True),
                name="apikey_unique_current_label",
            ),
            models.UniqueConstraint(fields=["account", "form_token"], name="apikey_unique_form_token"),
        ]

    def __str__(self):
        return f"{self.label} ({self.hint})"

    @property
    def hint(self):
        return f"{crypto.SECRET_KEY_PREFIX}…{self.last_four}"

    @property
    def description(self):
        return f"{self.label} ({self.hint})"

    @property
    def is_active(self):
        return self.revoked_at is None

    def is_expired(self, now=None):
        return self.expires_at is not None and self.expires_at <= (now or timezone.now())

    @property
    def days_until_expiry(self):
        """Whole days left, rounded up (a key expiring in 3 hours has 1), for the keys table."""
        return math.ceil((self.expires_at - timezone.now()) / timedelta(days=1))

    def allows_address(self, address):
        """Whether a request from `address` (accounts.context.client_ip) may use the key."""
        if not self.allowed_ips:
            return True
        try:
            client = ipaddress.ip_address(address or "")
        except ValueError:
            return False
        return any(client in ipaddress.ip_network(network) for network in self.allowed_ips)

    def allows(self, resource, *, write):
        """Whether the key may read (or write, with `write`) `resource`, one of RESOURCES. An
        endpoint that names no resource (webhook subscriptions, say) needs Full access."""
        if self.access == self.Access.FULL:
            return True
        if resource is None:
            return False
        if self.access == self.Access.READ_ONLY:
            return not write
        level = self.resource_levels.get(resource, self.Level.NONE)
        return level == self.Level.WRITE or (level == self.Level.READ and not write)

    def roll(self, *, stops_in, by=None, ip_address=None, form_token=None):
        """Replace the key by a new one with the same label and settings; this one stops working
        after `stops_in` (a timedelta; zero revokes it now). Returns (new_key, raw_key), or raises
        RollRefused if this key is revoked, expired or already being replaced."""
        now = timezone.now()
        with transaction.atomic():
            old = ApiKey.objects.select_for_update().get(pk=self.pk)
            if old.revoked_at:
                raise RollRefused("This key was revoked: create a new key instead.")
            if old.is_expired(now):
                raise RollRefused("This key has expired: create a new key instead.")
            if old.rolled_at:
                raise RollRefused(
                    f"This key is already being replaced by {old.replaced_by.hint if old.replaced_by else 'another key'}. "
                    "Roll the new key instead, or revoke this one now."
                )
            lifetime = old.expires_at - old.created_at if old.expires_at else None
            stops_at = now + stops_in
            # First step aside from the label, so that the new key can take it.
            ApiKey.objects.filter(pk=old.pk).update(
                rolled_at=now,
                expires_at=min(old.expires_at, stops_at) if old.expires_at else stops_at,
                **({"revoked_at": now, "revoked_by": by if by and by.is_authenticated else None} if not stops_in else {}),
            )
            new_key, raw_key = ApiKey.objects.create_key(
                account=old.account, label=old.label, created_by=by, ip_address=ip_address,
                expires_at=now + lifetime if lifetime else None, access=old.access,
                resource_levels=old.resource_levels, allowed_ips=old.allowed_ips,
                requests_per_minute=old.requests_per_minute, form_token=form_token,
            )
            ApiKey.objects.filter(pk=old.pk).update(replaced_by=new_key)
            self.refresh_from_db()
            AuditEvent.record(
                account=self.account, action=AuditEvent.Action.API_KEY_ROLLED, actor=by, target_id=self.pk,
                target_description=f"{self.description} → {new_key.hint}", ip_address=ip_address,
            )
        return new_key, raw_key

    def revoke(self, *, by=None, ip_address=None):
        """Revoke now. Returns False if it was already revoked. Every request authenticated after
        this returns reads the revoked row: nothing caches a verified key."""
        with transaction.atomic():
            revoked = ApiKey.objects.filter(pk=self.pk, revoked_at__isnull=True).update(
                revoked_at=timezone.now(), revoked_by=by if by and by.is_authenticated else None
            )
            if revoked:
                self.record_event(AuditEvent.Action.API_KEY_REVOKED, by=by, ip_address=ip_address)
        self.refresh_from_db(fields=["revoked_at", "revoked_by"])
        return bool(revoked)

    def change_settings(self, *, by=None, ip_address=None, **key_settings):
        """Change what the key may do, where from and how often (`access`, `resource_levels`,
        `allowed_ips`, `requests_per_minute`), with an audit event; the next request obeys."""
        for name, value in key_settings.items():
            setattr(self, name, value)
        with transaction.atomic():
            self.save(update_fields=list(key_settings))
            self.record_event(AuditEvent.Action.API_KEY_UPDATED, by=by, ip_address=ip_address)

    def record_event(self, action, *, by=None, ip_address=None):
        """An audit event about this key, naming it by label and hint (never the key)."""
        AuditEvent.record(
            account=self.account, action=action, actor=by, target_id=self.pk,
            target_description=self.description, ip_address=ip_address,
        )

    def record_use(self, now=None):
        """Set last_used_at at most once a minute, with one conditional UPDATE: of the workers
        that read the same stale value at once, only the first changes the row. Returns whether
        this call changed it."""
        now = now or timezone.now()
        if self.last_used_at and now - self.last_used_at < LAST_USED_RESOLUTION:
            return False
        written = ApiKey.objects.filter(pk=self.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_RESOLUTION)
        ).update(last_used_at=now)
        self.last_used_at = now
        return bool(written)
