"""Instagram: from the home page, log in (or find the saved session signed in), then the Privacy Policy's "right to
object" box, or the Privacy Center (its AI at Meta page, or "Other policies and articles" since late 2025), or the
generative AI article itself; then file the form on help.instagram.com."""

from __future__ import annotations

from automation.config import Account
from automation.steps import Branch, Case, Click, Goto, Step, button, link, text
from flows import meta_common as meta
from flows.base import Flow
from flows.regions import routing
from flows.wording import META, objection_text

HOME = "https://www.instagram.com"
PRIVACY_CENTER = "https://privacycenter.instagram.com"
SIGNED_IN = r"^https://www\.instagram\.com/(?!accounts/login|accounts/onetap|challenge)"

SAVE_LOGIN_INFO = meta.Interstitial(purpose="save your login info", shows=text("save_login_info"),
                                    answer=button("not_now"))
NOTIFICATIONS = meta.Interstitial(purpose="turn on notifications", shows=text("notifications_prompt"),
                                  answer=button("not_now"))


def build(account: Account, objection: str) -> list[Step]:
    return [
        Goto(url=f"{HOME}/"),
        *meta.login(account, login_url=f"{HOME}/accounts/login/", login_address=r"^https://www\.instagram\.com/accounts/login", signed_in_address=SIGNED_IN, interstitials=[SAVE_LOGIN_INFO, NOTIFICATIONS]),
        Goto(url=f"{PRIVACY_CENTER}/policy/"),
        Branch(
            purpose="the Privacy Policy's box on the right to object",
            timeout=15,
            cases=[
                Case(when=[link("policy_object_box")], steps=[Click(target=link("policy_object_box"))]),
                meta.checkpoint(account, then=[Goto(url=f"{PRIVACY_CENTER}/policy/"),
                                               Click(target=link("policy_object_box"))]),
            ],
            otherwise=[
                Goto(url=f"{PRIVACY_CENTER}/"),
                Branch(purpose="the Privacy Center: a way to the objection form", timeout=15, cases=[
                    Case(when=[link("ai_topic_link")], steps=[Click(target=link("ai_topic_link")),
                                                              Click(target=link("object_link"))]),
                    Case(when=[link("other_policies_link")], steps=meta.other_policies_to_form()),
                ], otherwise=[Goto(url=f"{PRIVACY_CENTER}/privacy/genai/"), *meta.article_to_form()]),
            ],
        ),
        *meta.objection_form(account, objection),
    ]


FLOW = Flow(
    id="instagram-ai-objection",
    platform="instagram",
    title="Instagram: object to the use of your information for AI at Meta",
    site="Meta",
    hosts=("www.instagram.com", "privacycenter.instagram.com", "help.instagram.com"),
    domains=meta.DOMAINS,
    mail_senders=meta.MAIL_SENDERS,
    covers_linked=True,
    wording=META,
    build=build,
    objection_text=objection_text,
    routing=routing,
)
