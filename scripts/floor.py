"""The floor: the least a script must do to file the mock's 2024 Facebook objection for each account, and no more.

`.venv/bin/python scripts/floor.py --mirror URL --accounts FILE [--concurrency N] [--chromium PATH]`, where FILE is a
JSON list of {"login", "password", "email", "country", "maildir", "objection"}. The benchmark runs it beside the CLI,
over the same accounts of the same mock, at the same concurrency, and compares their wall times.

What it does, per account, and why that is the honest floor:
- a fresh browser context per account (as the CLI: no cookie crosses accounts), all in ONE browser driven by
  Playwright's async API, N accounts at once (the lightest way Playwright offers to run several);
- the same browser binary the CLI starts (the headless shell beside the Chromium it is given), with the CLI's launch
  switches;
- the mock is reached through the same mirror routing as the CLI (`automation.browser.forward` and its redirect
  documents): that routing stands for the network, which a script against the real site would have for free, so
  both pay it alike;
- the real clicks, in the order the mock's pages need them: open the home page, decline optional cookies, type login
  and password, Log in, wait for the signed-in page, open the Privacy Centre, click "object", choose the country,
  type the email and the objection, Send, read the emailed 6-digit code from the account's Maildir (looked for every
  0.1 s), type it, Confirm, and wait for the confirmation;
- nothing else: no screenshots, PDF or HTML of the pages (the CLI's evidence), no receipts, ledger, keyring, saved
  sessions, wording tables or recognition of other page states, and no pause between accounts.
It knows the mock's English wording by heart, so it works on that mock only. Exits 0 when every account was
confirmed. Loopback only: the mirror must be a local address, and the browser resolves no name.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import mailbox
import re
import sys
import time
from email import message_from_bytes, policy
from pathlib import Path
from urllib.parse import urljoin

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.async_api import Route, async_playwright  # noqa: E402

from automation.browser import (_redirect_headers, _redirect_page, forward, headless_twin, is_site_host,  # noqa: E402
                                launch_args, mirror_address)

DOMAINS = ("facebook.com",)
HOME = "https://www.facebook.com/"
WORDS = {name: re.compile(pattern, re.IGNORECASE) for name, pattern in {
    "decline": r"decline optional cookies", "login": r"email address or phone", "password": r"^password$",
    "log_in": r"^log in$", "profile": r"your profile", "object": r"^object$", "country": r"country of residence",
    "email": r"^email address", "reason": r"how this processing impacts you", "send": r"^send$",
    "code": r"confirmation code", "confirm": r"^confirm$", "done": r"we.ve received your objection",
}.items()}
CODE = re.compile(r"\b(\d{6})\b")


def mirror_route(mirror: str):
    async def handle(route: Route) -> None:
        request = route.request
        if not is_site_host(request.url.split("/")[2].split(":")[0], DOMAINS):
            await route.abort("blockedbyclient")
            return
        answer = await asyncio.to_thread(forward, mirror_address(mirror, request.url), request.method,
                                         await request.all_headers(), request.post_data_buffer)
        if answer.location and request.is_navigation_request():
            target = urljoin(request.url, answer.location)
            await route.fulfill(status=200, headers=_redirect_headers(answer, target), body=_redirect_page(target))
        else:
            await route.fulfill(status=answer.status, headers=answer.headers, body=answer.body)

    return handle


def codes_in(maildir: Path) -> set[str]:
    found = set()
    if maildir.is_dir():
        box = mailbox.Maildir(maildir, create=False)
        for key in box.iterkeys():
            message = message_from_bytes(box.get_bytes(key), policy=policy.default)
            body = message.get_body(("plain",))
            found |= set(CODE.findall(body.get_content() if body else ""))
    return found


async def emailed_code(maildir: Path, known: set[str], timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        new = codes_in(maildir) - known
        if new:
            return new.pop()
        await asyncio.sleep(0.1)
    raise TimeoutError(f"no code arrived in {maildir}")


async def file_one(browser, mirror: str, account: dict) -> None:
    context = await browser.new_context(locale="en-GB", service_workers="block")
    try:
        await context.route("**/*", mirror_route(mirror))
        page = await context.new_page()
        await page.goto(HOME, wait_until="domcontentloaded")
        await page.get_by_role("button", name=WORDS["decline"]).click()
        await page.get_by_label(WORDS["login"]).fill(account["login"])
        await page.get_by_label(WORDS["password"]).fill(account["password"])
        await page.get_by_role("button", name=WORDS["log_in"]).click()
        await page.get_by_role("button", name=WORDS["profile"]).wait_for()
        await page.goto(HOME + "privacy/center/", wait_until="domcontentloaded")
        await page.get_by_role("link", name=WORDS["object"]).click()
        await page.get_by_label(WORDS["country"]).select_option(account["country"])
        await page.get_by_label(WORDS["email"]).fill(account["email"])
        await page.get_by_label(WORDS["reason"]).fill(account["objection"])
        known = codes_in(Path(account["maildir"]))
        await page.get_by_role("button", name=WORDS["send"]).click()
        code = await emailed_code(Path(account["maildir"]), known)
        await page.get_by_label(WORDS["code"]).fill(code)
        await page.get_by_role("button", name=WORDS["confirm"]).click()
        await page.get_by_text(WORDS["done"]).first.wait_for()
    finally:
        await context.close()


async def main(mirror: str, accounts: list[dict], concurrency: int, chromium: str) -> int:
    limit = asyncio.Semaphore(concurrency)

    async def one(account: dict) -> bool:
        async with limit:
            try:
                await file_one(browser, mirror, account)
                return True
            except Exception as error:  # noqa: BLE001 - say which account, go on with the others
                print(f"{account['login']}: {type(error).__name__}: {str(error).splitlines()[0]}", file=sys.stderr)
                return False

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=headless_twin(chromium), headless=True,
                                                   args=launch_args(mirror=True))
        done = await asyncio.gather(*(one(account) for account in accounts))
        await browser.close()
    print(f"{sum(done)} of {len(accounts)} confirmed")
    return 0 if all(done) else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirror", required=True)
    parser.add_argument("--accounts", required=True, type=Path)
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    arguments = parser.parse_args()
    from automation.config import parse_mirror

    sys.exit(asyncio.run(main(parse_mirror(arguments.mirror), json.loads(arguments.accounts.read_text()),
                              arguments.concurrency, arguments.chromium)))
