from .context import current_membership

# The main navigation: (section, URL name, label). A page's section is the first segment of its path.
MAIN_NAV = (
    ("chatbots", "chatbots", "Chatbots"),
    ("conversations", "conversations", "Conversations"),
    ("leads", "leads", "Leads"),
    ("usage", "usage", "Usage"),
    ("install", "install", "Install"),
    ("settings", "security", "Settings"),
)
NAV_SECTIONS = {section for section, _, _ in MAIN_NAV}


def current_account(request):
    membership = current_membership(request)
    section = request.path_info.split("/")[1]
    return {
        "current_membership": membership,
        "current_account": membership.account if membership else None,
        "main_nav": MAIN_NAV,
        "nav_section": section if section in NAV_SECTIONS else "",
    }
