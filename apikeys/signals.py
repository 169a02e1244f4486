from django.db.models.signals import post_save
from django.dispatch import receiver

from accounts.models import Account

from . import cache
from .models import ApiKey


@receiver(post_save, sender=Account)
def forget_cached_keys_when_account_changes(sender, instance, **kwargs):
    # A cached key carries its account's plan; a plan change must be seen on the next request.
    if cache.enabled():
        cache.forget(ApiKey.objects.for_account(instance).active().values_list("key_hash", flat=True))
