"""Secrets in the operating system's keyring, never in a file of ours.

Each secret is one keyring entry: service `submit-objections` (SUBMIT_OBJECTIONS_KEYRING_SERVICE overrides it, so the
demo never touches a user's real entries), user name `ACCOUNT/KIND`. A secret is read only when the step that types
it runs; a dry run asks only whether it exists.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
import sys
import threading
from dataclasses import dataclass, field
from typing import Iterable

import keyring
import keyring.backend
import keyring.errors

from automation.errors import CredentialError

log = logging.getLogger(__name__)

SECRET_KINDS = {"password": "login password", "totp": "2FA (TOTP) secret", "mailbox": "mailbox password"}
UNSAFE_MODULES = ("keyring.backends.fail", "keyring.backends.null", "keyrings.alt")
INSECURE_OPT_IN = "SUBMIT_OBJECTIONS_INSECURE_KEYRING"


def service_name() -> str:
    return os.environ.get("SUBMIT_OBJECTIONS_KEYRING_SERVICE", "submit-objections")


def _entry(account: str, kind: str) -> str:
    return f"{account}/{kind}"


def _is_unsafe(backend: keyring.backend.KeyringBackend) -> bool:
    return type(backend).__module__.startswith(UNSAFE_MODULES)


def _secret_service_by_default() -> keyring.backend.KeyringBackend | None:
    """On Linux, when the user has configured no backend (keyring's PYTHON_KEYRING_BACKEND, its keyringrc.cfg) and
    KWallet cannot outrank it (a KDE desktop), the Secret Service if it answers: what keyring's own detection picks
    there, without importing every backend it knows (the macOS one runs a compiler to find a library on Linux)."""
    from keyring.util import platform_

    if not sys.platform.startswith("linux") or "PYTHON_KEYRING_BACKEND" in os.environ:
        return None
    if "KDE" in os.environ.get("XDG_CURRENT_DESKTOP", "").split(":"):
        return None
    if (platform_.config_root() / "keyringrc.cfg").exists():
        return None
    from keyring.backends import SecretService

    return SecretService.Keyring() if SecretService.Keyring.viable else None


def safe_backend(allow_insecure: bool = False) -> keyring.backend.KeyringBackend:
    """The keyring to use: a real OS keyring, never a plaintext or failing one picked silently."""
    backend = _secret_service_by_default() or keyring.get_keyring()
    candidates = getattr(backend, "backends", None) or [backend]  # keyring's chainer wraps several
    safe = [candidate for candidate in candidates if not _is_unsafe(candidate)]
    if safe:
        return safe[0]
    if allow_insecure or os.environ.get(INSECURE_OPT_IN) == "1":
        usable = [candidate for candidate in candidates if not type(candidate).__module__.startswith("keyring.backends.fail")]
        if usable:
            log.warning("using the insecure keyring %s, as %s=1 asks", type(usable[0]).__name__, INSECURE_OPT_IN)
            return usable[0]
    names = ", ".join(f"{type(c).__module__}.{type(c).__name__}" for c in candidates)
    raise CredentialError(
        f"no safe keyring is available (found: {names})",
        hint="on Linux install and unlock a Secret Service keyring (gnome-keyring or KeePassXC); macOS and Windows "
        f"have one built in. To accept an unencrypted file anyway, set {INSECURE_OPT_IN}=1.",
    )


@dataclass
class Keyring:
    """Reads and writes this tool's secrets in one backend."""

    backend: keyring.backend.KeyringBackend
    # The Secret Service collection `get` reads and `exists` searches, opened once, with one encrypted session:
    # opening them is a new D-Bus connection, a few calls and a key exchange, which made a dry run over 100 accounts
    # wait on 200 calls, and each account's login wait on its password. Used under the lock only.
    _collection: object = field(default=None, repr=False, compare=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @classmethod
    def open(cls, allow_insecure: bool = False) -> "Keyring":
        return cls(safe_backend(allow_insecure))

    def get(self, account: str, kind: str) -> str | None:
        attributes = self._attributes(account, kind)
        found = self._in_collection(lambda collection: _unlocked_secret(collection, attributes))
        if found is not None:
            return None if found is _NO_ITEM else found
        try:  # no Secret Service collection, or the item is locked: keyring's own API (which asks to unlock it)
            return self.backend.get_password(service_name(), _entry(account, kind))
        except keyring.errors.KeyringError as error:
            raise CredentialError(
                f"account {account!r}: the keyring refused to give the {SECRET_KINDS[kind]} ({type(error).__name__})",
                hint="unlock your keyring and run again",
            ) from None

    def exists(self, account: str, kind: str) -> bool:
        """Whether a secret is stored, without reading it where the backend allows (Secret Service does)."""
        attributes = self._attributes(account, kind)
        found = self._in_collection(lambda collection: any(True for _ in collection.search_items(attributes)))
        return self.get(account, kind) is not None if found is None else found

    def _attributes(self, account: str, kind: str) -> dict[str, str]:
        """The Secret Service attributes keyring files the secret under."""
        return self._query(_entry(account, kind))

    def _query(self, username: str | None = None) -> dict[str, str]:
        """The attributes of this tool's entries (of `username`'s only, if given), named as the backend's scheme
        names them."""
        query = getattr(self.backend, "_query", None)
        if query is None:
            return {"service": service_name(), **({} if username is None else {"username": username})}
        return query(service_name(), username)

    def stored(self, entries: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
        """Which of these (account, kind) secrets are stored, as `exists` says of each: from a Secret Service keyring
        in one exchange (the searches sent together, their answers read after), so that a dry run over 100 accounts
        does not wait on 300 round trips one after another."""
        entries = list(dict.fromkeys(entries))
        found = self._in_collection(lambda collection: _search_pipelined(collection, self._query, entries))
        if found is None:
            return {entry for entry in entries if self.get(*entry) is not None}
        return found

    def _in_collection(self, ask):
        """`ask(collection)` on the Secret Service collection, opened once; None when the backend has none, or on any
        trouble with it (the caller falls back to keyring's own API)."""
        collection_of = getattr(self.backend, "get_preferred_collection", None)
        if collection_of is None:
            return None
        try:
            with self._lock:
                if self._collection is None:
                    self._collection = collection_of()
                return ask(self._collection)
        except Exception:  # noqa: BLE001 - any Secret Service trouble: keyring's own API instead
            with self._lock:
                self._collection = None
            return None

    def set(self, account: str, kind: str, value: str) -> None:
        try:
            self.backend.set_password(service_name(), _entry(account, kind), value)
        except keyring.errors.KeyringError as error:
            raise CredentialError(
                f"account {account!r}: the keyring refused to store the {SECRET_KINDS[kind]} ({type(error).__name__})",
                hint="unlock your keyring and run again",
            ) from None

    def delete(self, account: str, kind: str) -> bool:
        try:
            self.backend.delete_password(service_name(), _entry(account, kind))
            return True
        except keyring.errors.PasswordDeleteError:
            return False


_NO_ITEM = object()  # what `_unlocked_secret` answers when no item holds the secret


def _unlocked_secret(collection, attributes: dict[str, str]):
    """The secret of the collection's item with these attributes, read through the collection's own connection and
    session; _NO_ITEM when there is no such item, None when it is locked (keyring's API then unlocks it as it always
    does)."""
    if collection.session is None:
        from secretstorage.util import open_session

        collection.session = open_session(collection.connection)
    for item in collection.search_items(attributes):
        if item.is_locked():
            return None
        return item.get_secret().decode("utf-8")
    return _NO_ITEM


# D-Bus calls in flight at once: the daemon answers them in order, and a few dozen never fill a socket buffer.
CALLS_AT_ONCE = 50
SECRET_SERVICE = "org.freedesktop.secrets"


def _search_pipelined(collection, query, entries: list[tuple[str, str]]) -> set[tuple[str, str]]:
    """The entries a secretstorage collection has an item for: the service's items and their attributes, or, when
    the service has more items than there are entries, a search per entry; each batch of calls sent at once.
    `query(username=None)` gives the attributes to search by (Keyring._query)."""
    from jeepney import DBusAddress, Properties, new_method_call

    connection = collection.connection
    address = DBusAddress(collection.collection_path, bus_name=SECRET_SERVICE,
                          interface="org.freedesktop.Secret.Collection")

    def search(attributes: dict[str, str]):
        return new_method_call(address, "SearchItems", "a{ss}", (attributes,))

    everything = query()
    username_key = next(key for key in query("?") if key not in everything)
    (items,) = _pipelined(connection, [search(everything)])[0].body
    if len(items) <= len(entries):
        replies = _pipelined(connection, [
            Properties(DBusAddress(item, bus_name=SECRET_SERVICE, interface="org.freedesktop.Secret.Item"))
            .get("Attributes") for item in items])
        names = {reply.body[0][1].get(username_key) for reply in replies}
        return {entry for entry in entries if _entry(*entry) in names}
    replies = _pipelined(connection, [search(query(_entry(*entry))) for entry in entries])
    return {entry for entry, reply in zip(entries, replies) if reply.body[0]}


def _pipelined(connection, messages: list) -> list:
    """The replies to these D-Bus calls on a jeepney connection, in their order: sent CALLS_AT_ONCE at a time, each
    reply matched to its call by serial number."""
    from jeepney import HeaderFields, MessageType

    replies: list = [None] * len(messages)
    for start in range(0, len(messages), CALLS_AT_ONCE):
        waiting: dict[int, int] = {}
        for index in range(start, min(start + CALLS_AT_ONCE, len(messages))):
            serial = next(connection.outgoing_serial)
            connection.send(messages[index], serial=serial)
            waiting[serial] = index
        while waiting:
            reply = connection.receive()
            index = waiting.pop(reply.header.fields.get(HeaderFields.reply_serial, -1), None)
            if index is None:
                continue  # a signal, not an answer
            if reply.header.message_type == MessageType.error:
                raise RuntimeError(f"a Secret Service call failed: {reply.header.fields.get(HeaderFields.error_name)}")
            replies[index] = reply
    return replies


def normalise_totp_secret(value: str) -> str:
    """The base32 secret a site shows when 2FA is set up, without spaces; raises if it is not base32."""
    import pyotp  # here, not at the top: a dry run and most commands never check a secret

    secret = "".join(value.split()).upper()
    try:
        base64.b32decode(secret + "=" * (-len(secret) % 8), casefold=True)
        pyotp.TOTP(secret).now()  # also refuses secrets too short to be real (under 112 bits)
    except (binascii.Error, ValueError):
        raise CredentialError(
            "the 2FA secret is not a valid base32 TOTP key",
            hint="copy the whole key the site shows for an authenticator app, under 'set up manually' (32 letters "
            "A-Z and digits 2-7)",
        ) from None
    return secret
