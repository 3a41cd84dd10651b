"""Instagram: log in, open the Privacy Policy's "right to object" box (Settings and privacy > About > Privacy policy),
or the Privacy Center's AI at Meta page, and file the objection form on help.instagram.com."""

from __future__ import annotations

from automation.config import Account
from automation.steps import Branch, Case, Click, Goto, Step, role, text
from flows import meta_common as meta
from flows.base import Flow

HOME = "https://www.instagram.com"
PRIVACY_POLICY = "https://privacycenter.instagram.com/policy/"
PRIVACY_CENTER = "https://privacycenter.instagram.com/"
SIGNED_IN = r"^https://www\.instagram\.com/(?!accounts/login|accounts/onetap|challenge)"
POLICY_BOX_LINK = role("link", r"right to object")
AI_TOPIC_LINK = role("link", r"^\s*(generative )?ai at meta\s*$")
OBJECT_LINK = role("link", r"^\s*object\s*$")

SAVE_LOGIN_INFO = meta.Interstitial(
    purpose="save your login info",
    shows=text(r"save your login info"),
    answer=role("button", r"^\s*not now\s*$"),
)
NOTIFICATIONS = meta.Interstitial(
    purpose="turn on notifications",
    shows=text(r"turn on notifications"),
    answer=role("button", r"^\s*not now\s*$"),
)


def build(account: Account, objection: str) -> list[Step]:
    return [
        Goto(url=f"{HOME}/accounts/login/"),
        *meta.login(account, login_field=r"username|email|phone", signed_in=SIGNED_IN,
                    interstitials=[SAVE_LOGIN_INFO, NOTIFICATIONS]),
        Goto(url=PRIVACY_POLICY),
        Branch(
            purpose="the Privacy Policy's box on the right to object",
            timeout=15,
            cases=[
                Case(when=[POLICY_BOX_LINK], steps=[Click(target=POLICY_BOX_LINK)]),
                meta.checkpoint(account, then=[Goto(url=PRIVACY_POLICY), Click(target=POLICY_BOX_LINK)]),
            ],
            # The Privacy Center's page on AI at Meta links the same form from its word "object".
            otherwise=[Goto(url=PRIVACY_CENTER), Click(target=AI_TOPIC_LINK), Click(target=OBJECT_LINK)],
        ),
        *meta.objection_form(account, objection),
    ]


FLOW = Flow(
    platform="instagram",
    title="Instagram: object to the use of your information for AI at Meta",
    hosts=("www.instagram.com", "privacycenter.instagram.com", "help.instagram.com"),
    build=build,
)
