from django.db import models
from django.db.models import F
from django.db.models.functions import Upper
from django.utils import timezone

from accounts.ids import PublicIdField
from accounts.models import Account, AccountScopedQuerySet
from chatbots.models import Chatbot, Conversation


class Lead(models.Model):
    """Contact details a chatbot captured. Leads outlive their chatbot and conversation."""

    id = PublicIdField(prefix="lead")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="leads")
    chatbot = models.ForeignKey(Chatbot, on_delete=models.SET_NULL, null=True, blank=True, related_name="leads")
    conversation = models.ForeignKey(
        Conversation, on_delete=models.SET_NULL, null=True, blank=True, related_name="leads"
    )
    name = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=50, blank=True)
    custom_fields = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = AccountScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["account", "-created_at", "-id"], name="lead_account_newest"),
            models.Index(fields=["account", "-updated_at", "-id"], name="lead_account_updated"),
            # The API's ?email= filter matches case-insensitively (UPPER(email) = UPPER(%s)).
            models.Index(F("account"), Upper("email"), name="lead_account_email_ci"),
        ]

    def __str__(self):
        return self.email or self.name or self.id

    def save(self, *args, **kwargs):
        if not self._state.adding:
            self.updated_at = timezone.now()
        super().save(*args, **kwargs)
