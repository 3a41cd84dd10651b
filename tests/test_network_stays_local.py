"""With a mirror set, nothing the run does leaves this machine: not the pages, and not the browser's own traffic
(name lookups, Google's background services, secure-DNS probes).

A real mirror run of a Facebook and an Instagram account under strace; every TCP connection and every UDP datagram
it makes is checked. A UDP connect() alone sends nothing (Chromium uses one to learn whether IPv6 is reachable), so
only datagrams count for UDP.
"""

from __future__ import annotations

import ipaddress
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import CLI, ROOT
from e2e_support import Person

pytestmark = pytest.mark.e2e

SOCKET = re.compile(r"^(?P<pid>\d+)\s+(?P<call>connect|sendto|sendmsg|sendmmsg)\((?P<fd>\d+)<(?P<proto>TCP|TCPv6|UDP|UDPv6):"
                    r"\[(?P<info>[^\]]*)\]>(?P<rest>.*)$")
ADDRESS = re.compile(r'inet_addr\("(?P<v4>[^"]+)"\)|inet_pton\(AF_INET6, "(?P<v6>[^"]+)"')


def _address(text: str) -> str | None:
    found = ADDRESS.search(text)
    return (found.group("v4") or found.group("v6")) if found else None


def _off_machine(address: str | None) -> bool:
    return address is not None and not ipaddress.ip_address(address).is_loopback


def leaks(trace: str) -> list[str]:
    """Every TCP connection and every UDP datagram to an address off this machine, as strace -f -yy shows them."""
    found: list[str] = []
    udp_peer: dict[str, str | None] = {}  # a UDP socket's inode -> the address it was connected to
    for line in trace.splitlines():
        match = SOCKET.match(line)
        if not match:
            continue
        call, proto, info, rest = match["call"], match["proto"], match["info"], match["rest"]
        if call == "connect":
            address = _address(rest)
            if proto.startswith("TCP") and _off_machine(address):
                found.append(line.strip())
            else:
                udp_peer[info] = address
            continue
        if proto.startswith("UDP"):
            address = _address(rest) or (info.split("->")[-1].rsplit(":", 1)[0].strip("[]") if "->" in info
                                         else udp_peer.get(info))
            if _off_machine(address):
                found.append(line.strip())
    return found


def test_the_leak_finder_tells_a_sent_packet_from_a_route_probe():
    trace = "\n".join([
        '7  connect(21<UDPv6:[100]>, {sa_family=AF_INET6, sin6_port=htons(443), sin6_flowinfo=htonl(0), '
        'inet_pton(AF_INET6, "2001:4860:4860::8888", &sin6_addr), sin6_scope_id=0}, 28) = 0',  # probe: no packet
        '7  connect(22<TCP:[101]>, {sa_family=AF_INET, sin_port=htons(443), sin_addr=inet_addr("127.255.255.254")}, 16)',
        '7  connect(23<UDP:[102]>, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("10.255.255.53")}, 16) = 0',
        '7  sendmmsg(23<UDP:[102]>, [{msg_hdr={msg_name=NULL, ...}}], 2, MSG_NOSIGNAL) = 2',  # a DNS query: a leak
        '8  connect(9<TCP:[103]>, {sa_family=AF_INET, sin_port=htons(443), sin_addr=inet_addr("157.240.1.35")}, 16)',
        '8  sendto(10<UDP:[104]>, "x", 1, 0, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("8.8.8.8")}, 16)',
    ])
    assert [line.split("(")[1].split("<")[0] for line in leaks(trace)] == ["23", "9", "10"]


@pytest.mark.slow
def test_a_mirror_run_makes_no_connection_off_this_machine(world, tmp_path):
    if shutil.which("strace") is None:
        pytest.fail("strace is missing, so this cannot be checked: run `make test`, which installs it")
    people = [Person("nina", totp=True, form_variant="2024", language="de"),
              Person("olaf", platform="instagram", form_variant="2025", language="it")]
    run = world(people)
    trace = tmp_path / "strace.txt"
    done = subprocess.run(["strace", "-f", "--seccomp-bpf", "-qq", "-yy", "-e", "trace=connect,sendto,sendmsg,sendmmsg", "-o", str(trace),
                           *CLI, *run.args()], env=run.cli.env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert {s["login"] for s in run.mock.submissions()} == {p.login for p in people}, "the run did not do its job"
    text = trace.read_text()
    assert len([line for line in text.splitlines() if SOCKET.match(line)]) > 10, "strace saw no sockets at all"
    assert leaks(text) == []
    assert not re.search(r"htons\(53\)", text), "the browser looked up a name while a mirror was set"


def test_the_launch_flags_cut_off_lookups_with_a_mirror_and_google_background_calls_without():
    from automation.browser import launch_args

    with_mirror = " ".join(launch_args(mirror=True))
    assert "--host-resolver-rules=MAP * 127.255.255.254" in with_mirror
    without = " ".join(launch_args(mirror=False))
    assert "MAP accounts.google.com" in without and "facebook" not in without and "MAP * " not in without
    assert Path(ROOT / "automation" / "browser.py").read_text().count("--disable-features") == 0, \
        "a --disable-features of ours would replace Playwright's own list"
