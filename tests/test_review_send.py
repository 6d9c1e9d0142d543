"""Found in review of the send/serve changes."""

from __future__ import annotations

import socket
from typing import Any

import pytest

import mapper.serve
from mapper.serve import Server
from mapper.store import Store


@pytest.mark.parametrize("host", ["::ffff:127.0.0.1", "[::ffff:127.0.0.1]", "::ffff:7f00:1"])
def test_serve_on_an_ipv4_mapped_loopback_address_is_a_loopback_server(monkeypatch: pytest.MonkeyPatch, host: str) -> None:
    # since --host takes IPv6 addresses, ::ffff:127.0.0.1 (127.0.0.1, as an IPv6 socket takes it)
    # listened, and ipaddress (before Python 3.13) says such an address is not loopback: the
    # Host check against DNS rebinding was off and serve warned "listening ... without a token"
    # (nothing is bound: the socket's family and what the server makes of its address are checked)
    def bind(self: Any) -> None:
        self.server_address = (self.server_address[0], 8080)

    monkeypatch.setattr(mapper.serve._HTTPServer, "server_bind", bind)
    monkeypatch.setattr(mapper.serve._HTTPServer, "server_activate", lambda self: None)
    server = Server(mapper.serve.App(Store(":memory:")), host)
    try:
        assert server.httpd.socket.family == socket.AF_INET6 and server.httpd.loopback is True
    finally:
        server.httpd.server_close()


def test_serve_on_an_ipv4_mapped_address_elsewhere_is_not_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mapper.serve._HTTPServer, "server_bind", lambda self: None)
    monkeypatch.setattr(mapper.serve._HTTPServer, "server_activate", lambda self: None)
    server = Server(mapper.serve.App(Store(":memory:")), "::ffff:10.0.0.1")
    try:
        assert server.httpd.loopback is False
    finally:
        server.httpd.server_close()
