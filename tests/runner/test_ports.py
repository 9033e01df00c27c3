"""Ports chosen for servers that bind them themselves stay out of the way of outgoing connections."""

import socket

from livingspec.infra.net import LOOPBACK, ephemeral_range, free_port


def test_a_free_port_for_a_server_lies_below_the_ephemeral_range() -> None:
    low, _ = ephemeral_range()
    ports = [free_port() for _ in range(50)]
    assert all(port < low for port in ports), f"ports in the ephemeral range {low}+: {[p for p in ports if p >= low]}"


def test_a_free_port_can_be_bound() -> None:
    port = free_port()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, port))


def test_outgoing_connections_never_draw_a_port_of_that_range() -> None:
    """Client source ports come from the ephemeral range, so they cannot take a port chosen below it."""
    low, _ = ephemeral_range()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind((LOOPBACK, 0))
        server.listen()
        clients = [socket.create_connection(server.getsockname()) for _ in range(20)]
        try:
            assert all(client.getsockname()[1] >= low for client in clients)
        finally:
            for client in clients:
                client.close()


def test_a_process_is_never_handed_the_same_port_twice_in_a_row_of_thousands() -> None:
    """An etcd cell asks for ten or more ports before any member binds one; chosen at random from
    about 20,000, two of them were once the same ("bind: address already in use" in CI). 3,000 picks
    without the record of ports handed out repeat one almost surely (about 200 repeats expected)."""
    ports = [free_port() for _ in range(3000)]
    repeated = len(ports) - len(set(ports))
    assert repeated == 0, f"{repeated} ports handed out twice"
