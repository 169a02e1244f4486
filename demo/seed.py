"""The demo account a newcomer logs in to: two chatbots with sources, conversations and leads."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import Account, User
from accounts.services import create_account
from chatbots.models import Chatbot, Conversation, Message
from leads.models import Lead
from sources.models import Source
from usage.limits import use_message_credit

DEMO_EMAIL = "demo@pivra.test"
DEMO_PASSWORD = "pivra-demo-2026"
DEMO_ACCOUNT = "Acme Outdoor (demo)"

CHATBOTS = [
    {
        "name": "Support bot",
        "welcome_message": "Hi! Ask me about orders, shipping and returns.",
        "sources": [
            ("text", "Shipping policy", "We ship to all EU countries. Standard shipping takes 3 to 5 business days and is free for orders over 50 euros. Express shipping takes 1 to 2 business days and costs 9 euros."),
            ("text", "Returns", "You can return any unused item within 30 days of delivery for a full refund. Start a return from your order page; we email you a prepaid label."),
            ("qa", "Do you ship to Switzerland?", "Yes. Orders to Switzerland take 5 to 7 business days and may incur import duties."),
            ("qa", "How do I track my order?", "Use the tracking link in your shipping confirmation email, or open the order page in your account."),
        ],
        "conversations": [
            [("user", "How long does shipping take?"), ("assistant", "Standard shipping takes 3 to 5 business days and is free for orders over 50 euros.")],
            [("user", "Can I return a tent I bought last week?"), ("assistant", "Yes: you can return any unused item within 30 days of delivery for a full refund.")],
        ],
        "leads": [("Maria Rossi", "maria.rossi@example.com", "+39 333 123 4567"), ("Jonas Berg", "jonas.berg@example.com", "")],
    },
    {
        "name": "Sales assistant",
        "welcome_message": "Hello! Looking for the right gear? I can help.",
        "sources": [
            ("text", "Tents", "The Summit 2 is a two-person, four-season tent weighing 2.1 kg. The Meadow 4 is a family tent for four people with two rooms."),
            ("qa", "Do you offer group discounts?", "Yes: clubs and schools get 15 percent off orders of ten items or more. Leave your details and our sales team will contact you."),
        ],
        "conversations": [
            [("user", "Which tent is best for winter?"), ("assistant", "The Summit 2 is a four-season tent, made for winter camping.")],
        ],
        "leads": [("Aisha Khan", "aisha.khan@example.com", "+44 20 7946 0000")],
    },
]


@transaction.atomic
def seed_demo():
    """Create the demo account once; return (account, created)."""
    existing = User.objects.filter(email=DEMO_EMAIL).first()
    if existing is not None:
        return Account.objects.get(memberships__user=existing), False
    account, _owner = create_account(
        name=DEMO_ACCOUNT, owner_email=DEMO_EMAIL, password=DEMO_PASSWORD, plan_code="starter"
    )
    now = timezone.now()
    for spec in CHATBOTS:
        chatbot = Chatbot.objects.create(account=account, name=spec["name"], welcome_message=spec["welcome_message"])
        for kind, title, content in spec["sources"]:
            Source.objects.create(
                account=account, chatbot=chatbot, type=kind, title=title, content=content, status=Source.Status.READY
            )
        for index, exchange in enumerate(spec["conversations"]):
            started = now - timedelta(days=index + 1)
            conversation = Conversation.objects.create(
                account=account, chatbot=chatbot, visitor_id=f"demo-visitor-{index}", started_at=started,
                last_message_at=started + timedelta(seconds=len(exchange)), message_count=len(exchange),
            )
            for offset, (role, content) in enumerate(exchange):
                message = Message.objects.create(
                    conversation=conversation, role=role, content=content, created_at=started + timedelta(seconds=offset)
                )
                if role == Message.Role.USER:  # as if the widget had answered it: it used a credit
                    use_message_credit(account=account, now=message.created_at)
        for index, (name, email, phone) in enumerate(spec["leads"]):
            Lead.objects.create(
                account=account, chatbot=chatbot, name=name, email=email, phone=phone,
                created_at=now - timedelta(hours=index + 1), updated_at=now - timedelta(hours=index + 1),
            )
    return account, True
