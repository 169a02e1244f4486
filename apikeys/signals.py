from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from accounts.models import Account, Membership, Plan

from . import cache
from .models import ApiKey


@receiver(post_save, sender=Account)
def forget_cached_keys_when_account_changes(sender, instance, **kwargs):
    # A cached key carries its account's plan; a plan change must be seen on the next request.
    if cache.enabled():
        cache.forget(ApiKey.objects.for_account(instance).active().values_list("key_hash", flat=True))


@receiver(post_save, sender=Plan)
def forget_cached_keys_when_a_plan_changes(sender, instance, **kwargs):
    # Staff may take API access (or change the rate) away from a whole plan.
    if cache.enabled():
        cache.forget(ApiKey.objects.filter(account__plan=instance).active().values_list("key_hash", flat=True))


@receiver(post_delete, sender=ApiKey)
def refuse_deleted_keys_at_once(sender, instance, **kwargs):
    # Deleting a key (or its account) must stop it on every worker, as revoking does.
    cache.forget_revoked(instance.key_hash)


@receiver(post_delete, sender=Membership)
def forget_creator_when_they_leave_the_account(sender, instance, **kwargs):
    # Keys belong to the account: they keep working, and the list says their creator is gone.
    ApiKey.objects.filter(account_id=instance.account_id, created_by_id=instance.user_id).update(created_by=None)
