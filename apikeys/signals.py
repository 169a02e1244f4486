from django.db.models.signals import post_delete
from django.dispatch import receiver

from accounts.models import Membership

from .models import ApiKey


@receiver(post_delete, sender=Membership)
def forget_creator_when_they_leave_the_account(sender, instance, **kwargs):
    # Keys belong to the account: they keep working, and the list says their creator is gone.
    ApiKey.objects.filter(account_id=instance.account_id, created_by_id=instance.user_id).update(created_by=None)
