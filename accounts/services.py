from django.db import transaction

from .models import Account, Membership, Plan, User


class AccountCreationError(Exception):
    pass


def create_account(*, name, owner_email, password, plan_code):
    """Create an account with its owner, all or nothing."""
    try:
        plan = Plan.objects.get(code=plan_code)
    except Plan.DoesNotExist:
        codes = ", ".join(Plan.objects.values_list("code", flat=True))
        raise AccountCreationError(f"Unknown plan '{plan_code}'. Choose one of: {codes}.")
    if User.objects.filter(email__iexact=owner_email).exists():
        raise AccountCreationError(f"A user with the email {owner_email} already exists.")
    with transaction.atomic():
        account = Account.objects.create(name=name, plan=plan)
        owner = User.objects.create_user(email=owner_email, password=password)
        Membership.objects.create(user=owner, account=account, role=Membership.Role.OWNER)
    return account, owner
