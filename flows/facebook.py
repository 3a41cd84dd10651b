"""Facebook: log in, open the Privacy Centre, follow its 'object' link, file the objection form."""

from __future__ import annotations

from automation.config import Account
from automation.steps import Branch, Case, Click, Goto, Step, role
from flows import meta_common as meta
from flows.base import Flow

HOME = "https://www.facebook.com"
SIGNED_IN = r"^https://www\.facebook\.com/(?!login|two_step_verification|two_factor|checkpoint|recover)"
OBJECT_LINK = role("link", r"^\s*object\s*$")
POLICY_BOX_LINK = role("link", r"right to object")
TRUST_BROWSER = meta.Interstitial(
    purpose="trust this browser",
    shows=role("button", r"^\s*(save browser|trust this (device|browser)|always confirm)\s*$"),
    answer=role("button", r"^\s*(save browser|trust this (device|browser)|always confirm)\s*$"),
)


def build(account: Account, objection: str) -> list[Step]:
    return [
        Goto(url=f"{HOME}/login/"),
        *meta.login(account, login_field=r"email|phone", signed_in=SIGNED_IN, interstitials=[TRUST_BROWSER]),
        Goto(url=f"{HOME}/privacy/center/"),
        Branch(
            purpose="the Privacy Centre's section on generative AI",
            timeout=15,
            cases=[
                Case(when=[OBJECT_LINK], steps=[Click(target=OBJECT_LINK)]),
                meta.checkpoint(account, then=[Goto(url=f"{HOME}/privacy/center/"), Click(target=OBJECT_LINK)]),
            ],
            # The Privacy Policy's box "Learn more about your right to object" leads to the same form.
            otherwise=[Goto(url=f"{HOME}/privacy/policy/"), Click(target=POLICY_BOX_LINK)],
        ),
        *meta.objection_form(account, objection),
    ]


FLOW = Flow(
    platform="facebook",
    title="Facebook: object to the use of your information for AI at Meta",
    hosts=("www.facebook.com",),
    build=build,
)
