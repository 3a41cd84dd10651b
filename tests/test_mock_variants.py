"""The mock of Meta's languages, login variants, the 2026 way to the form, the 2025 form's country and e-mail, and
drift modes: what it serves and records, by plain HTTP (one browser test for the script-posted login)."""

from __future__ import annotations

import html
import re
from pathlib import Path
from urllib.parse import urlencode, urljoin, urlsplit

import pytest

from mock_support import RunningMock, mirrored_page, raw_request
from fixtures.mock_meta import ConfigError
from fixtures.mock_meta.config import parse_config
from fixtures.mock_meta.texts import LANGUAGES, TABLES

REASON = ("Meine Beiträge und Fotos sind privat. Dass sie zum Trainieren von KI-Modellen verwendet werden, betrifft "
          "meine Privatsphäre und die meiner Familie.")
PW = "pw-Secret-1"

ACCOUNTS = f"""
[site]
cookie_dialog = true
signed_in_at_login = "show"
privacy_center = "2026"
instagram_login_fields = "{{fields}}"
instagram_cookie_allow = "Allow essential and optional cookies"

[[account]]
login = "de@example.org"
password = "{PW}"
email = "de@example.org"
name = "Dana Deutsch"
language = "de"

[[account]]
login = "nl@example.org"
password = "{PW}"
email = "nl@example.org"
name = "Noor Nl"
language = "nl"
form_variant = "2025"
email_prefill = "other"
objection_outcome = "refused"

[[account]]
login = "rw@example.org"
password = "{PW}"
email = "rw@example.org"
name = "Rita Reworded"
drift = "reworded"

[[account]]
login = "ro@example.org"
password = "{PW}"
email = "ro@example.org"
name = "Rolf Reordered"
form_variant = "2025"
form_asks_country = true
drift = "reordered"

[[account]]
login = "ex@example.org"
password = "{PW}"
email = "ex@example.org"
name = "Ed Extra"
form_variant = "2025"
drift = "extra_required"
language = "pl"

[[account]]
service = "instagram"
login = "it.ig"
password = "{PW}"
email = "it@example.org"
name = "Ida Italia"
language = "it"
form_variant = "2025"
form_asks_country = true
email_prefill = "empty"
save_login_prompt = false
notifications_prompt = false

[[account]]
service = "instagram"
login = "odd.ig"
password = "{PW}"
email = "odd@example.org"
name = "Otto Odd"
checkpoint = "unusual_login"
save_login_prompt = false
"""


class Client:
    """Cookies by domain (host-only, or ".instagram.com"), redirects followed on the real hosts."""

    def __init__(self, mock_url: str, language: str = "en"):
        self.mock_url = mock_url
        self.language = language
        self.jar: dict[tuple[str, str], str] = {}  # (domain, name) -> value

    def request(self, url: str, data: dict | None = None, follow: bool = True):
        method, body = ("POST", urlencode(data).encode()) if data is not None else ("GET", None)
        while True:
            host = urlsplit(url).hostname
            headers = {"Accept-Language": self.language}
            if body is not None:
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            cookies = [f"{n}={v}" for (d, n), v in self.jar.items()
                       if d == host or (d.startswith(".") and host.endswith(d))]
            if cookies:
                headers["Cookie"] = "; ".join(cookies)
            parts = urlsplit(url)
            target = f"{self.mock_url}/{host}{parts.path}" + (f"?{parts.query}" if parts.query else "")
            status, response_headers, text = raw_request(target, method, body, headers)
            for name, value in response_headers:
                if name.lower() == "set-cookie":
                    pair, *attrs = value.split(";")
                    cookie_name, _, cookie_value = pair.partition("=")
                    domain = next((a.split("=", 1)[1] for a in attrs if a.strip().lower().startswith("domain=")),
                                  host)
                    if "Max-Age=0" in value:
                        self.jar.pop((domain.strip(), cookie_name), None)
                    else:
                        self.jar[(domain.strip(), cookie_name)] = cookie_value
            location = dict((k.lower(), v) for k, v in response_headers).get("location")
            if not (follow and location and 300 <= status < 400):
                return status, location, text
            url = urljoin(url, location)
            assert url.startswith("https://") and urlsplit(url).hostname.endswith(("facebook.com", "instagram.com"))
            method, body = "GET", None

    def get(self, url, follow=True):
        return self.request(url, None, follow)

    def post(self, url, data, follow=True):
        return self.request(url, data, follow)


def text(document: str) -> str:
    plain = re.sub(r"<[^>]+>", " ", re.sub(r"<(script|style)\b.*?</\1>", "", document, flags=re.S))
    return re.sub(r"\s+", " ", html.unescape(plain))


def lang_of(document: str) -> str:
    return re.search(r'<html lang="([^"]+)"', document).group(1)


FB = "https://www.facebook.com"
IG = "https://www.instagram.com"
PRIVACY = "https://privacycenter.instagram.com"
FORM_IG = "https://help.instagram.com/contact/233964459562201"


def start(tmp: Path, fields: str = "username") -> RunningMock:
    accounts = tmp / "accounts.toml"
    accounts.write_text(ACCOUNTS.replace("{fields}", fields))
    return RunningMock(accounts, tmp / "state")


@pytest.fixture(scope="module")
def mock(tmp_path_factory):
    running = start(tmp_path_factory.mktemp("mock-variants"))
    yield running
    running.stop()


def fb_login(client: Client, login: str, next_path: str = "/"):
    return client.post(FB + "/login/", {"email": login, "pass": PW, "next": next_path})


def ig_login(client: Client, login: str, next_url: str = "/", names=("username", "password")):
    return client.post(IG + "/accounts/login/", {names[0]: login, names[1]: PW, "next": next_url})


# -- languages ---------------------------------------------------------------------------------------------------


def test_every_language_has_every_text():
    assert set(TABLES) == set(LANGUAGES) == {"en", "de", "fr", "it", "es", "nl", "pl"}
    for lang, table in TABLES.items():
        assert set(table) == set(TABLES["en"]), lang
        assert all(value.strip() for value in table.values()), lang


def test_before_login_accept_language_after_login_the_accounts_language(mock):
    client = Client(mock.url, "fr-FR,fr;q=0.9,en;q=0.5")
    _, _, page = client.get(FB + "/login/")
    assert lang_of(page) == "fr" and "Se connecter" in page and "Adresse e-mail ou numéro de mobile" in page
    assert "Refuser les cookies optionnels" in page
    _, _, page = client.post(FB + "/login/", {"email": "de@example.org", "pass": "wrong", "next": "/"})
    assert "Le mot de passe que vous avez saisi est incorrect." in text(page)
    _, _, page = raw_request(mock.url + "/www.facebook.com/login/", headers={"Accept-Language": "sv-SE,de;q=0.8"})
    assert lang_of(page) == "en" and "Log in" in page  # the first language decides; not one of the seven

    status, _, page = fb_login(client, "de@example.org")
    assert status == 200 and lang_of(page) == "de" and "Dein Profil" in page and 'type="password"' not in page
    _, _, page = client.get(FB + "/privacy/policy/")
    assert lang_of(page) == "de" and "zu widersprechen" in text(page)
    _, _, page = client.get(FB + "/help/contact/712876720715583")
    assert lang_of(page) == "de"
    assert "Einspruch gegen die Verwendung deiner Informationen für KI bei Meta" in text(page)
    assert "Land des Wohnsitzes" in page and re.search(r'<option [^>]*value="DE"[^>]*>Deutschland</option>', page)
    assert "Senden" in page
    _, _, page = client.post(FB + "/help/contact/712876720715583",
                             {"step": "send", "country": "DE", "email": "de@example.org", "reason": "kurz"})
    assert "Bitte beschreibe genauer" in text(page)
    _, _, page = client.post(FB + "/help/contact/712876720715583", {
        "step": "send", "country": "DE", "email": "de@example.org", "reason": REASON * 2, "additional_info": ""})
    assert "Bestätigungscode" in page and lang_of(page) == "de"
    (mail,) = mock.mails("de@example.org")
    assert mail["Subject"] == "Dein Code zur Bestätigung deiner Anfrage"
    assert mail["From"] == "Facebook <security@facebookmail.com>" and "1 Stunde" in mail.get_body(("plain",)).get_content()
    (code,) = mock.codes("de@example.org")
    _, _, page = client.post(FB + "/help/contact/712876720715583", {"step": "confirm", "code": "000000"})
    assert "Der eingegebene Code ist falsch." in text(page)
    _, _, page = client.post(FB + "/help/contact/712876720715583", {"step": "confirm", "code": code})
    assert "Danke für deine Anfrage" in text(page)
    (filed,) = mock.submissions("de@example.org")
    assert filed["language"] == "de" and filed["drift"] == "" and filed["meaning"]["country"] == "DE"
    subjects = [m["Subject"] for m in mock.mails("de@example.org")]
    assert "Wir haben deinen Widerspruch erhalten" in subjects
    _, _, page = client.get(FB + "/help/contact/712876720715583")
    assert "Du hast der Verwendung deiner Informationen für KI bei Meta bereits widersprochen." in text(page)


def test_instagram_italian_2025_with_country_and_an_empty_email(mock):
    client = Client(mock.url, "it-IT")
    _, _, page = client.get(IG + "/accounts/login/")
    assert lang_of(page) == "it" and "Numero di telefono, nome utente o e-mail" in page
    assert "Consenti cookie essenziali e facoltativi" in page  # the allow wording variant, in Italian
    ig_login(client, "it.ig", FORM_IG)
    _, _, page = client.get(FORM_IG)
    assert lang_of(page) == "it" and "Paese di residenza" in page and "Invia" in page
    assert re.search(r'<input[^>]*type="email"[^>]*value=""', page)  # email_prefill = "empty"
    _, _, page = client.post(FORM_IG, {"about_ai": "yes", "email": "it@example.org", "reason": ""})
    assert "Seleziona il tuo Paese di residenza." in text(page)
    assert mock.events("form_rejected", "it.ig")[-1]["reason"] == "country_missing"
    _, _, page = client.post(FORM_IG, {"about_ai": "yes", "country": "IT", "email": "it@example.org", "reason": ""})
    assert ("la tua richiesta verrà applicata d'ora in avanti allo sviluppo e al miglioramento dell'IA in Meta. "
            "Riceverai una e-mail con i dettagli") in text(page)
    (filed,) = mock.submissions("it.ig")
    assert filed["meaning"]["country"] == "IT" and filed["email_prefill"] == "empty" and filed["language"] == "it"
    (mail,) = mock.mails("it@example.org")
    assert mail["Subject"] == "Abbiamo ricevuto la tua opposizione"
    assert mail["From"] == "Instagram <security@mail.instagram.com>"
    status, location, _ = client.get("https://help.instagram.com/contact/767264225370182", follow=False)
    assert status == 302 and location == FORM_IG


# -- signed in at the login address, 2026 path -----------------------------------------------------------------------


def test_signed_in_page_at_the_login_address_and_the_2026_path_on_facebook(mock):
    client = Client(mock.url)
    before = len(mock.events("login_ok", "nl@example.org"))
    fb_login(client, "nl@example.org")
    assert len(mock.events("login_ok", "nl@example.org")) == before + 1
    status, location, page = client.get(FB + "/login/", follow=False)
    assert status == 200 and location is None and 'type="password"' not in page
    assert "Je profiel" in page and "Meldingen" in page and "Messenger" in page and "Menu" in page

    _, _, page = client.get(FB + "/privacy/center/")
    assert "bezwaar maken" not in text(page) and "/help/contact/" not in page
    link = re.search(r'<a [^>]*href="([^"]+)"[^>]*>Ander beleid en andere artikelen</a>', page).group(1)
    _, _, page = client.get(FB + link)
    link = re.search(r'<a [^>]*href="([^"]+)"[^>]*>Hoe Meta informatie gebruikt voor generatieve AI', page).group(1)
    assert link == "/privacy/genai/"
    _, _, page = client.get(FB + link)
    assert "Je recht om bezwaar te maken" in page
    link = re.search(r'<a [^>]*href="([^"]+)"[^>]*>Meer informatie en hier bezwaar maken</a>', page).group(1)
    _, _, page = client.get(FB + link)
    assert "Ik wil bezwaar maken tegen het gebruik van mijn informatie voor Meta AI" in page
    assert "Ik heb een ander bezwaar" in page and 'name="product"' in page
    _, _, page = client.post(FB + link, {})
    assert "Selecteer een optie om door te gaan." in text(page)
    status, location, _ = client.post(FB + link, {"product": "meta_ai"}, follow=False)
    assert status == 302 and location == FB + "/help/contact/6359191084165019"
    assert mock.events("chooser_choice", "nl@example.org")[-1]["choice"] == "meta_ai"
    _, _, page = client.get(location)
    assert "Verzenden" in page and 'value="old.nl@example.org"' in page  # email_prefill = "other"
    _, _, page = client.get(FB + "/privacy/policy/")  # the policy box still leads to the form
    assert 'href="/help/contact/6359191084165019"' in page
    _, _, page = client.post(location, {"about_ai": "yes", "email": "nl@example.org", "reason": ""})
    (filed,) = mock.submissions("nl@example.org")
    assert filed["email"] == "nl@example.org" and filed["email_prefill"] == "other"
    assert [m["Subject"] for m in mock.mails("nl@example.org")] == ["Over je bezwaar"]  # objection_outcome refused


def test_signed_in_page_at_the_login_address_and_the_2026_path_on_instagram(mock):
    client = Client(mock.url)
    ig_login(client, "it.ig")
    status, _, page = client.get(IG + "/accounts/login/", follow=False)
    assert status == 200 and 'type="password"' not in page
    for label in ("Home", "Cerca", "Esplora", "Reel", "Messaggi", "Notifiche", "Crea", "Profilo"):
        assert f">{label}</a>" in page
    _, _, page = client.get(PRIVACY + "/")
    assert "IA in Meta</a>" not in page and "/privacy/articles/" in page
    _, _, page = client.get(PRIVACY + "/privacy/articles/")
    assert "/privacy/genai/" in page
    for path in ("/privacy/genai/", "/privacy/guide/genai/"):
        _, _, page = client.get(PRIVACY + path)
        assert "Il tuo diritto di opposizione" in page and "/privacy/genai/choose/" in page
    status, location, _ = client.post(PRIVACY + "/privacy/genai/choose/", {"product": "meta_ai"}, follow=False)
    assert status == 302 and location == FORM_IG
    _, _, page = client.post(PRIVACY + "/privacy/genai/choose/", {"product": "other"})
    assert "Centro sulla privacy" in text(page)


# -- Instagram login variants, the unusual-login check, the allow button ----------------------------------------------


@pytest.mark.parametrize("fields, names", [("email", ("email", "pass")), ("unnamed", ("input_0", "input_1"))])
def test_instagram_login_field_variants(tmp_path, fields, names):
    running = start(tmp_path, fields)
    try:
        _, _, page = raw_request(running.url + "/www.instagram.com/accounts/login/")
        assert "Phone number, username, or email" in page
        if fields == "email":
            assert 'name="email"' in page and 'name="pass"' in page and 'name="username"' not in page
        else:
            inputs = re.findall(r"<input[^>]*>", page)
            assert [i for i in inputs if 'type="text"' in i or 'type="password"' in i]
            assert all("name=" not in i for i in inputs if 'type="text"' in i or 'type="password"' in i)
        client = Client(running.url)
        _, _, page = ig_login(client, "it.ig", names=("username", "password"))
        assert "Numero di telefono" not in page and running.events("login_failed")  # the old names don't work
        _, _, page = ig_login(client, "it.ig", names=names)
        assert running.events("login", "it.ig")
    finally:
        running.stop()


def test_unnamed_login_fields_in_a_browser(browser, tmp_path):
    running = start(tmp_path, "unnamed")
    try:
        context, page = mirrored_page(browser, running.url)
        page.goto(IG + "/accounts/login/")
        dialog = page.get_by_role("dialog")
        assert dialog.get_by_role("button").all_inner_texts() == [
            "Decline optional cookies", "Allow essential and optional cookies"]
        dialog.get_by_role("button", name="Allow essential and optional cookies").click()
        dialog.wait_for(state="detached")
        assert running.events("cookie_choice")[-1]["choice"] == "all"  # the allow button accepts everything
        page.get_by_label("Phone number, username, or email").fill("it.ig")
        page.get_by_label("Password").fill(PW)
        page.get_by_label("Password").press("Enter")
        page.get_by_role("link", name="Profilo").wait_for()
        assert running.events("login", "it.ig")
        context.close()
    finally:
        running.stop()


def test_unusual_login_is_answered_by_the_owner(mock):
    for answer in ("not_me", "me"):
        client = Client(mock.url)
        status, location, _ = client.post(IG + "/accounts/login/", {"username": "odd.ig", "password": PW},
                                          follow=False)
        assert status == 302 and location.startswith(IG + "/challenge/")
        _, _, page = client.get(location)
        assert "We Noticed an Unusual Login Attempt" in page and "This Was Me" in page
        assert "This Wasn&#x27;t Me" in page
        status, location, page = client.post(IG + "/challenge/", {"answer": answer}, follow=False)
        if answer == "not_me":
            assert status == 200 and "Secure your account" in page
            assert not any(name == "sessionid" for _, name in client.jar)
        else:
            assert status == 302 and any(name == "sessionid" for _, name in client.jar)
    assert [e["answer"] for e in mock.events("unusual_login_answer", "odd.ig")] == ["not_me", "me"]
    assert len(mock.events("login", "odd.ig")) == 1


# -- drift -------------------------------------------------------------------------------------------------------------


def test_drift_reworded(mock):
    client = Client(mock.url)
    fb_login(client, "rw@example.org")
    _, _, page = client.get(FB + "/help/contact/712876720715583")
    visible = text(page)
    for usual in ("Country", "residence", "Email", "impacts", "Object to", "Additional"):
        assert usual not in visible
    assert "Where do you live?" in visible and "How can we reach you?" in visible and "In your own words" in visible
    assert page.count("<textarea") == 1 and page.count("<select") == 1 and page.count('type="email"') == 1
    assert ">Send</button>" in page
    client.post(FB + "/help/contact/712876720715583",
                {"step": "send", "country": "DE", "email": "rw@example.org", "reason": REASON * 2})
    (code,) = mock.codes("rw@example.org")
    client.post(FB + "/help/contact/712876720715583", {"step": "confirm", "code": code})
    (filed,) = mock.submissions("rw@example.org")
    assert filed["drift"] == "reworded" and filed["meaning"]["reason"] == REASON * 2


def test_drift_reordered(mock):
    client = Client(mock.url)
    fb_login(client, "ro@example.org")
    _, _, page = client.get(FB + "/help/contact/6359191084165019")
    names = re.findall(r'<(?:input|select|textarea)[^>]*name="(country|email|reason)"', page)
    assert names == ["email", "reason", "country"]
    assert "Country of residence" in page
    client.post(FB + "/help/contact/6359191084165019",
                {"about_ai": "yes", "email": "ro@example.org", "reason": "No.", "country": "AT"})
    (filed,) = mock.submissions("ro@example.org")
    assert filed["drift"] == "reordered" and filed["meaning"]["country"] == "AT"


def test_drift_extra_required(mock):
    client = Client(mock.url)
    fb_login(client, "ex@example.org")
    _, _, page = client.get(FB + "/help/contact/6359191084165019")
    assert lang_of(page) == "pl" and "Data urodzenia" in page and "Wyślij" in page
    assert re.search(r'<input[^>]*name="date_of_birth"[^>]*required', page)
    _, _, page = client.post(FB + "/help/contact/6359191084165019",
                             {"about_ai": "yes", "email": "ex@example.org", "reason": ""})
    assert "Wpisz datę urodzenia" in text(page)
    assert mock.events("form_rejected", "ex@example.org")[-1]["reason"] == "extra_field_missing"
    assert mock.submissions("ex@example.org") == [] and mock.mails("ex@example.org") == []
    client.post(FB + "/help/contact/6359191084165019",
                {"about_ai": "yes", "email": "ex@example.org", "reason": "", "date_of_birth": "1990-01-01"})
    (filed,) = mock.submissions("ex@example.org")
    assert filed["meaning"]["extra"] == "1990-01-01" and filed["drift"] == "extra_required"
    assert [m["Subject"] for m in mock.mails("ex@example.org")] == ["Otrzymaliśmy Twój sprzeciw"]


# -- the accounts file --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("site, account, message", [
    ({"signed_in_at_login": "stay"}, {}, "signed_in_at_login"),
    ({"privacy_center": "2027"}, {}, "privacy_center"),
    ({"instagram_login_fields": "user"}, {}, "instagram_login_fields"),
    ({"instagram_cookie_allow": "Accept all"}, {}, "instagram_cookie_allow"),
    ({}, {"language": "sv"}, "language"),
    ({}, {"email_prefill": "none"}, "email_prefill"),
    ({}, {"drift": "renamed"}, "drift"),
    ({}, {"form_asks_country": True}, "form_asks_country"),
    ({}, {"checkpoint": "unusual_login"}, "applies to instagram accounts only"),
    ({}, {"objection_outcome": "maybe"}, "objection_outcome"),
])
def test_accounts_file_new_keys_are_checked(site, account, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        parse_config({"site": site, "account": [{"login": "a", "password": "p", "email": "a@example.org",
                                                  "name": "A", **account}]})
