"""A real DNS server on 127.0.0.1 for tests: authoritative for zones given in master-file text.

It answers over UDP and TCP, follows nothing (no recursion) and refuses names outside its
zones, so a test that forgets to describe a record sees NXDOMAIN, never the internet.
Zones can be replaced while it runs (`set_zones`) to simulate a record disappearing.
"""

from __future__ import annotations

import socket
import socketserver
import struct
import threading

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import dns.zone


def zone(origin: str, records: str) -> dns.zone.Zone:
    """A zone from master-file lines; an SOA and NS are added so tests only write what matters."""
    text = (
        f"$ORIGIN {origin.rstrip('.')}.\n$TTL 300\n"
        "@ SOA ns.test. hostmaster.test. 1 3600 600 86400 300\n@ NS ns.test.\n" + records
    )
    return dns.zone.from_text(text, relativize=False, check_origin=False)


def txt(value: str) -> str:
    """TXT rdata text for any length: split into quoted strings of at most 255 characters."""
    chunks = [value[i : i + 255] for i in range(0, len(value), 255)] or [""]
    return " ".join('"' + chunk.replace("\\", "\\\\").replace('"', '\\"') + '"' for chunk in chunks)


class TestDNSServer:
    def __init__(self) -> None:
        self._zones: list[dns.zone.Zone] = []
        self._rebind: tuple[dns.name.Name, list[dns.zone.Zone]] | None = None
        self.queries: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        owner = self

        class UDPHandler(socketserver.BaseRequestHandler):
            def handle(self):
                data, sock = self.request
                reply = owner.answer(data)
                if reply:
                    sock.sendto(reply, self.client_address)

        class TCPHandler(socketserver.BaseRequestHandler):
            def handle(self):
                header = self.request.recv(2)
                if len(header) < 2:
                    return
                (length,) = struct.unpack("!H", header)
                data = b""
                while len(data) < length:
                    chunk = self.request.recv(length - len(data))
                    if not chunk:
                        return
                    data += chunk
                reply = owner.answer(data)
                if reply:
                    self.request.sendall(struct.pack("!H", len(reply)) + reply)

        # One port for both transports, as a real resolver expects.
        for _attempt in range(20):
            udp = socketserver.ThreadingUDPServer(("127.0.0.1", 0), UDPHandler)
            port = udp.server_address[1]
            try:
                tcp = socketserver.ThreadingTCPServer(("127.0.0.1", port), TCPHandler)
            except OSError:
                udp.server_close()
                continue
            break
        else:  # pragma: no cover - the machine has no free port pairs
            raise RuntimeError("no free port for the test DNS server")
        udp.daemon_threads = tcp.daemon_threads = True
        self._servers = [udp, tcp]
        self.host, self.port = "127.0.0.1", port

    # --- zones --------------------------------------------------------------------------------
    def set_zones(self, *zones: dns.zone.Zone) -> None:
        with self._lock:
            self._zones = list(zones)
            self._rebind = None

    def rebind_after_first_answer(self, name: str, *zones: dns.zone.Zone) -> None:
        """DNS rebinding: once the first A/AAAA question for `name` is answered, answer every
        later question from `zones` instead (a name that is public when checked, internal when
        connected to)."""
        with self._lock:
            self._rebind = (dns.name.from_text(name), list(zones))

    def _zone_for(self, qname: dns.name.Name) -> dns.zone.Zone | None:
        best = None
        for z in self._zones:
            if qname.is_subdomain(z.origin) and (best is None or len(z.origin) > len(best.origin)):
                best = z
        return best

    # --- answering ----------------------------------------------------------------------------
    def answer(self, wire: bytes) -> bytes | None:
        try:
            query = dns.message.from_wire(wire)
        except Exception:
            return None
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        if not query.question:
            response.set_rcode(dns.rcode.FORMERR)
            return response.to_wire()
        question = query.question[0]
        self.queries.append(
            (question.name.to_text(), dns.rdatatype.to_text(question.rdtype)),
        )
        with self._lock:
            z = self._zone_for(question.name)
            if z is None:  # like a recursive resolver's view of a name nobody published
                response.set_rcode(dns.rcode.NXDOMAIN)
                return response.to_wire()
            node = z.get_node(question.name)
            if node is None:
                response.set_rcode(dns.rcode.NXDOMAIN)
                self._add_soa(response, z)
                return response.to_wire()
            rdataset = node.get_rdataset(dns.rdataclass.IN, question.rdtype)
            cname = node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.CNAME)
            if rdataset is not None:
                response.answer.append(_rrset(question.name, rdataset))
            elif cname is not None:
                response.answer.append(_rrset(question.name, cname))
            else:
                self._add_soa(response, z)
            if self._rebind is not None and question.name == self._rebind[0]:
                self._zones, self._rebind = self._rebind[1], None
        return response.to_wire()

    @staticmethod
    def _add_soa(response: dns.message.Message, z: dns.zone.Zone) -> None:
        soa = z.get_rdataset(z.origin, dns.rdatatype.SOA)
        response.authority.append(_rrset(z.origin, soa))

    # --- lifecycle ----------------------------------------------------------------------------
    def start(self) -> TestDNSServer:
        for server in self._servers:
            threading.Thread(target=server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()

    @property
    def nameserver(self) -> str:
        return f"{self.host}:{self.port}"


def _rrset(name: dns.name.Name, rdataset) -> dns.rrset.RRset:
    rrset = dns.rrset.RRset(name, rdataset.rdclass, rdataset.rdtype)
    rrset.update(rdataset)
    rrset.ttl = rdataset.ttl
    return rrset


def unused_udp_port() -> int:
    """A loopback port nobody answers on: queries there time out instead of leaving the host."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
