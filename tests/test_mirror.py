"""The mirror contract: Meta's hosts come from MIRROR/<host><path>?<query>, everything else is blocked."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from automation.browser import is_site_host, mirror_address, new_context
from flows.meta_common import DOMAINS


class Recorder(BaseHTTPRequestHandler):
    seen: list[dict] = []

    def log_message(self, *args):
        pass

    def _record(self, body: bytes = b"") -> None:
        self.seen.append({"method": self.command, "path": self.path, "cookie": self.headers.get("Cookie", ""),
                          "body": body.decode(), "agent": self.headers.get("User-Agent", "")})

    def do_GET(self):
        self._record()
        if self.path.startswith("/www.facebook.com/start"):
            self.send_response(302)
            self.send_header("Location", "/landing/?from=start")
            self.send_header("Set-Cookie", "session=abc123; Path=/; HttpOnly; Secure")
            self.end_headers()
            return
        page = (b"<html><body><form method=post action='/echo/?q=1'><input name=field value='sent value'>"
                b"<button>Go</button></form></body></html>")
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        self.wfile.write(page)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        self._record(self.rfile.read(length))
        page = json.dumps(self.seen[-1]).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        self.wfile.write(page)


@pytest.fixture
def mirror_server():
    Recorder.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_meta_hosts_are_recognised_and_others_are_not():
    assert all(is_site_host(host, DOMAINS) for host in ("www.facebook.com", "help.instagram.com", "facebook.com"))
    assert not is_site_host("facebook.com.evil.example", DOMAINS) and not is_site_host("notfacebook.com", DOMAINS)
    assert mirror_address("http://127.0.0.1:9/", "https://www.facebook.com/help/contact/1?x=1") == (
        "http://127.0.0.1:9/www.facebook.com/help/contact/1?x=1")


def test_page_keeps_the_real_address_and_cookies_while_the_mirror_serves_it(browser, mirror_server):
    context = new_context(browser, mirror_server, domains=DOMAINS)
    page = context.new_page()
    page.goto("https://www.facebook.com/start/?a=b")

    # The redirect's relative Location resolved against the real host, and the page kept the real address.
    assert page.url == "https://www.facebook.com/landing/?from=start"
    assert [hit["path"] for hit in Recorder.seen] == ["/www.facebook.com/start/?a=b", "/www.facebook.com/landing/?from=start"]
    # The cookie was stored for the real host and sent back through the mirror.
    assert "session=abc123" in Recorder.seen[1]["cookie"]
    assert [cookie["domain"] for cookie in context.cookies()] == ["www.facebook.com"]

    page.get_by_role("button", name="Go").click()
    page.wait_for_url("https://www.facebook.com/echo/?q=1")
    posted = Recorder.seen[-1]
    assert posted["method"] == "POST" and posted["path"] == "/www.facebook.com/echo/?q=1"
    assert posted["body"] == "field=sent+value" and "session=abc123" in posted["cookie"]
    context.close()


def test_other_hosts_are_blocked_while_a_mirror_is_set(browser, mirror_server):
    context = new_context(browser, mirror_server, domains=DOMAINS)
    page = context.new_page()
    with pytest.raises(Exception, match="ERR_BLOCKED_BY_CLIENT"):
        page.goto("https://example.org/")
    with pytest.raises(Exception, match="ERR_BLOCKED_BY_CLIENT"):
        page.goto(mirror_server + "/www.facebook.com/")  # not even the mirror itself, by its own address
    assert Recorder.seen == []
    context.close()
