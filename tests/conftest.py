import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import Account, Membership, Plan, User
from apikeys.models import ApiKey
from chatbots.models import Chatbot

PASSWORD = "correct horse battery staple"


def make_account(name, plan="starter"):
    return Account.objects.create(name=name, plan=Plan.objects.get(code=plan))


def make_member(account, email, role):
    user = User.objects.create_user(email=email, password=PASSWORD)
    Membership.objects.create(user=user, account=account, role=role)
    return user


@pytest.fixture
def account(db):
    return make_account("Alice Co")


@pytest.fixture
def alice(account):
    """Owns `account`."""
    return make_member(account, "alice@example.com", Membership.Role.OWNER)


@pytest.fixture
def bob(account):
    """A member of `account`: sees keys, cannot manage them."""
    return make_member(account, "bob@example.com", Membership.Role.MEMBER)


@pytest.fixture
def other_account(db):
    return make_account("Charlie Ltd")


@pytest.fixture
def charlie(other_account):
    """Owns `other_account`: an outsider to `account`, who must get 404s."""
    return make_member(other_account, "charlie@example.com", Membership.Role.OWNER)


@pytest.fixture
def key_pair(account, alice):
    """(api_key, raw_key) for `account`."""
    return ApiKey.objects.create_key(account=account, label="CRM sync", created_by=alice)


@pytest.fixture
def raw_key(key_pair):
    return key_pair[1]


@pytest.fixture
def api_client(raw_key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    return client


@pytest.fixture
def other_api_client(other_account, charlie):
    _, raw = ApiKey.objects.create_key(account=other_account, label="Outsider", created_by=charlie)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


@pytest.fixture
def anonymous_api_client():
    return APIClient()


@pytest.fixture
def alice_client(alice):
    client = Client()
    client.force_login(alice)
    return client


@pytest.fixture
def chatbot(account):
    return Chatbot.objects.create(account=account, name="Support bot")


@pytest.fixture
def other_chatbot(other_account):
    return Chatbot.objects.create(account=other_account, name="Charlie's bot")
