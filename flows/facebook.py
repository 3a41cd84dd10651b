"""Facebook: from the home page, log in (or find the saved session signed in), then one of Meta's ways to the
objection form: the Privacy Centre's "object" link, its "Other policies and articles" (since late 2025), the Privacy
Policy's box, or the generative AI article itself; then file the form."""

from __future__ import annotations

from automation.config import Account
from automation.steps import Branch, Case, Click, Goto, Step, button, link
from flows import meta_common as meta
from flows.base import Flow
from flows.regions import routing
from flows.wording import META, objection_text

HOME = "https://www.facebook.com"
SIGNED_IN = r"^https://www\.facebook\.com/(?!login|two_step_verification|two_factor|checkpoint|recover)"
TRUST_BROWSER = meta.Interstitial(purpose="trust this browser", shows=button("trust_browser"),
                                  answer=button("trust_browser"))


def build(account: Account, objection: str) -> list[Step]:
    return [
        Goto(url=f"{HOME}/"),
        *meta.login(account, login_url=f"{HOME}/login/", login_address=r"^https://www\.facebook\.com/login", signed_in_address=SIGNED_IN, interstitials=[TRUST_BROWSER]),
        Goto(url=f"{HOME}/privacy/center/"),
        Branch(
            purpose="the Privacy Centre: a way to the objection form",
            timeout=15,
            cases=[
                meta.facebook_page(),
                Case(when=[link("object_link")], steps=[Click(target=link("object_link"))]),
                Case(when=[link("other_policies_link")], steps=meta.other_policies_to_form()),
                meta.checkpoint(account, then=[Goto(url=f"{HOME}/privacy/center/"), Click(target=link("object_link"))]),
            ],
            otherwise=[
                Goto(url=f"{HOME}/privacy/policy/"),
                Branch(purpose="the Privacy Policy's box on the right to object", timeout=15, cases=[
                    Case(when=[link("policy_object_box")], steps=[Click(target=link("policy_object_box"))]),
                ], otherwise=[Goto(url=f"{HOME}/privacy/genai/"), *meta.article_to_form()]),
            ],
        ),
        *meta.objection_form(account, objection),
    ]


FLOW = Flow(
    id="facebook-ai-objection",
    platform="facebook",
    title="Facebook: object to the use of your information for AI at Meta",
    site="Meta",
    hosts=("www.facebook.com",),
    domains=meta.DOMAINS,
    mail_senders=meta.MAIL_SENDERS,
    covers_linked=True,
    wording=META,
    build=build,
    objection_text=objection_text,
    routing=routing,
)
