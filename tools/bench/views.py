"""The comparison views: Pivra's LeadViewSet, unchanged, behind other authentication.

- TokenLeadViewSet: DRF's built-in TokenAuthentication (plaintext token, one indexed query that
  also loads the user). The account the user acts for is resolved once per process, not per
  request, so the comparison times only the credential check.
- UnauthenticatedLeadViewSet: no credential check at all; the account comes from a header.
Neither has Pivra's plan permission or rate limit, so Pivra's endpoint is compared with all of
its per-request work included.
"""

from django.contrib.auth.models import AnonymousUser
from rest_framework.authentication import BaseAuthentication, TokenAuthentication
from rest_framework.permissions import IsAuthenticated

from accounts.models import Account, Membership
from leads.api import LeadViewSet

_accounts_by_user = {}
_accounts_by_id = {}


class _Principal:
    def __init__(self, account):
        self.account = account


class TokenWithAccount(TokenAuthentication):
    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if user.pk not in _accounts_by_user:
            _accounts_by_user[user.pk] = Membership.objects.select_related("account__plan").get(user=user).account
        token.account = _accounts_by_user[user.pk]
        return user, token


class NoCredentials(BaseAuthentication):
    def authenticate(self, request):
        account_id = request.META["HTTP_X_BENCH_ACCOUNT"]
        if account_id not in _accounts_by_id:
            _accounts_by_id[account_id] = Account.objects.select_related("plan").get(pk=account_id)
        return AnonymousUser(), _Principal(_accounts_by_id[account_id])


class TokenLeadViewSet(LeadViewSet):
    authentication_classes = [TokenWithAccount]
    permission_classes = [IsAuthenticated]
    throttle_classes = []


class UnauthenticatedLeadViewSet(LeadViewSet):
    authentication_classes = [NoCredentials]
    permission_classes = []
    throttle_classes = []
