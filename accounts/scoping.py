from django.db import models


class AccountScopedQuerySet(models.QuerySet):
    """Every model holding customer data uses this: reads start from `for_account(account)`."""

    def for_account(self, account):
        return self.filter(account=account)
