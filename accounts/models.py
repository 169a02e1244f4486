from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils import timezone

from .ids import PublicIdField


class AccountScopedQuerySet(models.QuerySet):
    """Every model holding customer data uses this: reads start from `for_account(account)`."""

    def for_account(self, account):
        return self.filter(account=account)


class Plan(models.Model):
    """A subscription plan and its limits. The four plans are created by a data migration."""

    code = models.SlugField(primary_key=True, max_length=20)
    name = models.CharField(max_length=50)
    position = models.PositiveSmallIntegerField(default=0, help_text="Order in listings.")
    monthly_message_credits = models.PositiveIntegerField()
    max_chatbots = models.PositiveIntegerField()
    max_knowledge_characters = models.PositiveBigIntegerField()
    max_members = models.PositiveIntegerField()
    api_requests_per_minute = models.PositiveIntegerField(default=0)
    api_keys_allowed = models.BooleanField(default=False)

    class Meta:
        ordering = ["position"]

    def __str__(self):
        return self.name


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields["is_staff"] = True
        extra_fields["is_superuser"] = True
        return self._create_user(email, password, **extra_fields)

    def get_by_natural_key(self, email):
        return self.get(email__iexact=email)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in with an email address and a password."""

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=150, blank=True)
    is_staff = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"

    def __str__(self):
        return self.email

    # Emails are compared case-insensitively at login; storing them in lower case keeps the
    # unique constraint meaningful, so no two users can claim one address (admin forms included).
    def clean(self):
        super().clean()
        self.email = self.email.lower()

    def save(self, *args, **kwargs):
        self.email = self.email.lower()
        super().save(*args, **kwargs)

    def get_full_name(self):
        return self.full_name or self.email

    def get_short_name(self):
        return self.full_name or self.email


class Account(models.Model):
    """The tenant: a company. Every piece of customer data belongs to exactly one account."""

    id = PublicIdField(prefix="acct")
    name = models.CharField(max_length=150)
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="accounts")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    # Owners can require every member to use two-factor authentication (accounts.two_factor).
    require_two_factor = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return self.name

    def manager_emails(self):
        """Where security notices go: the account's active owners and admins."""
        managers = self.memberships.filter(
            role__in=[Membership.Role.OWNER, Membership.Role.ADMIN], user__is_active=True
        ).select_related("user")
        return [membership.user.email for membership in managers]


class Membership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", "Owner"
        ADMIN = "admin", "Admin"
        MEMBER = "member", "Member"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "account"], name="one_membership_per_account")
        ]
        ordering = ["created_at"]

    def __str__(self):
        return f"{self.user} ({self.get_role_display()}) in {self.account}"

    @property
    def can_manage_keys(self):
        return self.role in (self.Role.OWNER, self.Role.ADMIN)


class AuditEvent(models.Model):
    """Who did what to which security-relevant object, when, and from where.

    The actor's email and the target's label are copied, so the trail stays readable after the
    user or the object is deleted.
    """

    class Action(models.TextChoices):
        API_KEY_CREATED = "api_key.created", "API key created"
        API_KEY_REVOKED = "api_key.revoked", "API key revoked"
        API_KEY_UPDATED = "api_key.updated", "API key settings changed"
        API_KEY_ROLLED = "api_key.rolled", "API key rolled"
        API_KEY_EXPOSED = "api_key.exposed", "API key found in public and revoked"
        EMBED_KEY_REGENERATED = "embed_key.regenerated", "Embed key regenerated"

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="audit_events")
    actor = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    actor_email = models.EmailField(blank=True)
    action = models.CharField(max_length=40, choices=Action.choices)
    target_id = models.CharField(max_length=32, blank=True)
    target_description = models.CharField(max_length=200, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = AccountScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["account", "-created_at"], name="audit_account_newest")]

    def __str__(self):
        return f"{self.get_action_display()}: {self.target_description}"

    @classmethod
    def record(cls, *, account, action, actor=None, target_id="", target_description="", ip_address=None):
        return cls.objects.create(
            account=account,
            action=action,
            actor=actor if actor and actor.is_authenticated else None,
            actor_email=getattr(actor, "email", "") or "",
            target_id=target_id,
            target_description=target_description[:200],
            ip_address=ip_address,
        )
