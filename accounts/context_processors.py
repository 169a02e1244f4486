from .context import current_membership


def current_account(request):
    membership = current_membership(request)
    return {
        "current_membership": membership,
        "current_account": membership.account if membership else None,
    }
