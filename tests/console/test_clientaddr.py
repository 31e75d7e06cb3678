"""Which address a request is counted against: X-Forwarded-For only from trusted proxies."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import TypeAdapter, ValidationError

from console.clientaddr import client_address
from console.server import server_config
from console.settings import ConsoleSettings
from platewatch.settings import load_settings

PROXIES = ConsoleSettings(trusted_proxies=("10.0.0.0/8", "2001:db8:ff::/48")).trusted_proxies


def test_without_trusted_proxies_the_header_is_ignored() -> None:
    assert ConsoleSettings().trusted_proxies == ()
    assert client_address("198.51.100.7", ["203.0.113.1"], ()) == "198.51.100.7"
    assert client_address("127.0.0.1", ["203.0.113.1"], ()) == "127.0.0.1"


def test_a_header_from_an_untrusted_peer_is_ignored() -> None:
    assert client_address("198.51.100.7", ["203.0.113.1"], PROXIES) == "198.51.100.7"


@pytest.mark.parametrize(
    ("chain", "client"),
    [
        (["203.0.113.1"], "203.0.113.1"),
        # A client's own forged entries sit left of what our proxies appended.
        (["1.2.3.4, 203.0.113.1"], "203.0.113.1"),
        (["1.2.3.4, 203.0.113.1, 10.1.1.1"], "203.0.113.1"),
        (["1.2.3.4", "203.0.113.1, 10.1.1.1"], "203.0.113.1"),  # repeated header lines
        (["[2001:db8::5]:4431"], "2001:db8::5"),
        (["203.0.113.9:5123"], "203.0.113.9"),
        (["10.2.2.2, 2001:db8:ff::1"], "10.2.2.2"),  # every hop ours: the farthest one
        (["not-an-address, 10.3.3.3"], "10.3.3.3"),  # junk stops the walk at our last proxy
        ([], "10.0.0.5"),
    ],
)
def test_behind_trusted_proxies_the_rightmost_untrusted_hop_is_the_client(
    chain: list[str], client: str
) -> None:
    assert client_address("10.0.0.5", chain, PROXIES) == client


def test_no_peer_is_unknown() -> None:
    assert client_address(None, ["203.0.113.1"], PROXIES) == "unknown"


def test_trusted_proxies_must_be_addresses_or_networks() -> None:
    with pytest.raises(ValidationError) as bad:
        ConsoleSettings(trusted_proxies=("proxy.internal",))
    assert "'proxy.internal' is not an IP address or network" in str(bad.value)
    assert "e.g. 10.0.0.5 or 10.0.0.0/24" in str(bad.value)
    single = TypeAdapter(ConsoleSettings).validate_python({"trusted_proxies": ["192.0.2.10"]})
    assert [str(n) for n in single.trusted_proxies] == ["192.0.2.10/32"]


def test_the_server_leaves_forwarded_headers_to_the_app(tmp_path: Path) -> None:
    settings = load_settings(database_url=f"sqlite:///{tmp_path / 'c.db'}")
    assert server_config(settings).proxy_headers is False
