#!/usr/bin/env python3
"""A Csa host written from the documentation alone (docs/*.md, README.md, src/Csa.Rpc/Interfaces/*.json).

It speaks the data link (docs/protocol.md), the RPC layer (docs/rpc-packets.md, docs/rpc-interfaces.md) and the
update flow (docs/updates.md section 3, docs/device-model.md section 6) over TCP, with the Python 3 standard
library only. Where the documentation was silent, the value used here was found by experiment against
`csa sim` and is marked "DOC GAP" with the finding's number (tests/docs-host/FINDINGS.md).

Usage:
  csa_docs_host.py info   --link tcp://HOST:PORT [--devices N] [--device I]
  csa_docs_host.py update --link tcp://HOST:PORT [--devices N] [--device I] [--window W] IMAGE.csai
                          [--expect-refusal NAME]
  csa_docs_host.py multicast --link tcp://HOST:PORT [--devices N] [--window W] [--group 0xF0] [--chunk BYTES] IMAGE.csai
                          (every device of the chain takes IMAGE, its payload written once to a group: updates.md 10a)
  csa_docs_host.py selftest [--docs DIR]     (the golden vectors of protocol.md 9 and rpc-packets.md 11)
--devices N: the link holds at most N devices (protocol.md 7.4 step 4: no wait for a device after the last);
--device I: the I-th device of the chain, 0 nearest the host; --window W: writes in flight (1 = stop-and-wait).
multicast prints one JSON document: per device its version before and after, and payloadBytesSent (every Write's
data bytes the host sent: stream, Busy resends and repairs) with payloadBytesRatio = payloadBytesSent / (devices x
payload), hostWireBytesRatio the same for every encoded byte the host wrote during the transfer, and the seconds.
Exit codes: 0 success; 1 the update or a check failed; 2 usage; 3 link or device unreachable; 6 the device refused
the image, its documented error name printed. With --expect-refusal NAME: 0 when the device refused with NAME, 1
otherwise (another refusal, or none).
"""

import argparse
import hashlib
import json
import os
import queue
import socket
import struct
import sys
import threading
import time

# ---------------------------------------------------------------------------------------------------------------
# Data link: COBS (protocol.md 3.1)
# ---------------------------------------------------------------------------------------------------------------


def cobs_encode(data: bytes) -> bytes:
    """Canonical COBS (protocol.md 3.1): a full 254-byte block implies no zero and no trailing 01 after it."""
    out = bytearray([0])
    code_at, code = 0, 1
    for i, b in enumerate(data):
        if b != 0:
            out.append(b)
            code += 1
        if b == 0 or code == 0xFF:
            out[code_at] = code
            code, code_at = 1, len(out)
            if b == 0 or i + 1 < len(data):
                out.append(0)
    if code_at < len(out):
        out[code_at] = code
    return bytes(out)


def cobs_decode(data: bytes):
    """COBS decoding (protocol.md 3.1); None when the run is malformed (section 5 step 3)."""
    out, r = bytearray(), 0
    while r < len(data):
        code = data[r]
        r += 1
        if code == 0 or code - 1 > len(data) - r:
            return None
        out += data[r:r + code - 1]
        r += code - 1
        if code != 0xFF and r < len(data):
            out.append(0)
    return bytes(out)


# ---------------------------------------------------------------------------------------------------------------
# Data link: CRC-32/MPEG-2 (protocol.md 4; also image-format.md 4 for CRC images)
# ---------------------------------------------------------------------------------------------------------------

def _crc_table():
    table = []
    for i in range(256):
        c = i << 24
        for _ in range(8):
            c = ((c << 1) ^ 0x04C11DB7) if c & 0x80000000 else (c << 1)
        table.append(c & 0xFFFFFFFF)
    return table


_CRC_TABLE = _crc_table()


def crc32_mpeg2(data: bytes) -> int:
    """Poly 0x04C11DB7, init 0xFFFFFFFF, not reflected, no final XOR; '123456789' -> 0x0376E6E7 (protocol.md 4)."""
    crc = 0xFFFFFFFF
    for b in data:
        crc = ((crc << 8) & 0xFFFFFFFF) ^ _CRC_TABLE[((crc >> 24) ^ b) & 0xFF]
    return crc


# ---------------------------------------------------------------------------------------------------------------
# Data link: frames (protocol.md 4 and 5)
# ---------------------------------------------------------------------------------------------------------------

HOST = 0x00
UNASSIGNED = 0xFE
BROADCAST = 0xFF
PORT_LINK = 0x00   # protocol.md 2: link management
PORT_RPC = 0x01    # protocol.md 2: RPC
FRAME_OVERHEAD = 13
HOST_MAX_FRAME = 1024  # protocol.md 10: the SDK host's default; any value >= 64 is allowed
MIN_FRAME = 64


def encode_frame(dst, dst_port, src, src_port, packet_id, fragment, last, payload, hop_limit=64) -> bytes:
    """Header (9 bytes), payload, CRC little-endian, then COBS and the 0x00 delimiter (protocol.md 3, 4)."""
    flags = 0x10 | (1 if last else 0)
    body = bytes([flags, hop_limit, dst, dst_port, src, src_port]) + struct.pack("<HB", packet_id, fragment) + payload
    return cobs_encode(body + struct.pack("<I", crc32_mpeg2(body))) + b"\x00"


def decode_frame(run: bytes):
    """The checks of protocol.md 5 in order; returns a dict or None (the run is dropped)."""
    if not run:
        return None                                     # step 1
    decoded = cobs_decode(run)
    if decoded is None or len(decoded) > HOST_MAX_FRAME or len(decoded) < FRAME_OVERHEAD:
        return None                                     # steps 3-5
    if crc32_mpeg2(decoded[:-4]) != struct.unpack_from("<I", decoded, len(decoded) - 4)[0]:
        return None                                     # step 6
    flags = decoded[0]
    if flags >> 4 != 1 or flags & 0x0E or decoded[4] == BROADCAST:
        return None                                     # steps 7-8
    return {"last": bool(flags & 1), "hop": decoded[1], "dst": decoded[2], "dst_port": decoded[3],
            "src": decoded[4], "src_port": decoded[5], "pid": struct.unpack_from("<H", decoded, 6)[0],
            "frag": decoded[8], "payload": decoded[9:-4]}


# ---------------------------------------------------------------------------------------------------------------
# Data link: a TCP link with fragmentation and reassembly (protocol.md 6.1, 6.2)
# ---------------------------------------------------------------------------------------------------------------

class Link:
    """One TCP link; the host is node 0x00 (protocol.md 2). Delivers whole packets to a queue per port."""

    def __init__(self, host: str, port: int):
        self.sock = socket.create_connection((host, port), timeout=5)
        self.sock.settimeout(None)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.next_pid = int(time.time()) & 0xFFFF
        self.inbound = {PORT_LINK: queue.Queue(), PORT_RPC: queue.Queue()}
        self.reassembly = {}
        self.frames_out = 0
        self.frames_in = 0
        self.bytes_out = 0      # encoded bytes written to the link (delimiters included)
        self.send_lock = threading.Lock()
        self.closed = False
        # protocol.md 3.2: a transmitter sends a delimiter before its first frame
        self.sock.sendall(b"\x00")
        threading.Thread(target=self._read_loop, daemon=True).start()

    def send_packet(self, dst, dst_port, payload: bytes, frame_size: int, src_port=PORT_RPC):
        """Fragmentation (protocol.md 6.1): max(1, ceil(L/(F-13))) frames, same packet id, LAST on the last."""
        per = frame_size - FRAME_OVERHEAD
        count = max(1, -(-len(payload) // per))
        if count > 256:
            raise ValueError("packet needs more than 256 frames (protocol.md 6.1)")
        with self.send_lock:
            pid = self.next_pid
            self.next_pid = (self.next_pid + 1) & 0xFFFF
            wire = b"".join(encode_frame(dst, dst_port, HOST, src_port, pid, i, i == count - 1,
                                         payload[i * per:(i + 1) * per]) for i in range(count))
            self.sock.sendall(wire)
            self.frames_out += count
            self.bytes_out += len(wire)

    def _read_loop(self):
        buf = bytearray()
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    break
                buf += chunk
                while True:
                    end = buf.find(0)
                    if end < 0:
                        break
                    run = bytes(buf[:end])
                    del buf[:end + 1]
                    frame = decode_frame(run)
                    if frame is not None:
                        self.frames_in += 1
                        self._deliver(frame)
        except OSError:
            pass
        self.closed = True

    def _deliver(self, f):
        """protocol.md 6.2: deliver frames for the host or broadcast; reassemble per (source, ports, packet id)."""
        if f["dst"] not in (HOST, BROADCAST) or f["dst_port"] not in self.inbound:
            return
        key = (f["src"], f["src_port"], f["dst_port"], f["pid"])
        if f["frag"] == 0 and f["last"]:
            self._complete(f, f["payload"])
            return
        if f["frag"] == 0:                       # a new packet (an old one in progress is discarded)
            self.reassembly[key] = (1, bytearray(f["payload"]))
            return
        expected, data = self.reassembly.get(key, (None, None))
        if expected is None or f["frag"] < expected:
            return                               # OrphanFragment / DuplicateFragment
        if f["frag"] > expected:
            del self.reassembly[key]             # FragmentOutOfOrder: a frame was lost, RPC resends repair it
            return
        data += f["payload"]
        if f["last"]:
            del self.reassembly[key]
            self._complete(f, bytes(data))
        else:
            self.reassembly[key] = (expected + 1, data)

    def _complete(self, f, packet):
        self.inbound[f["dst_port"]].put((f["src"], f["src_port"], packet))

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


# ---------------------------------------------------------------------------------------------------------------
# Link management (protocol.md 7)
# ---------------------------------------------------------------------------------------------------------------

LM_CAPS, LM_ASSIGN, LM_FORGET, LM_JOIN, LM_LEAVE = 0x01, 0x03, 0x04, 0x05, 0x06   # protocol.md 7.1


class LinkManagement:
    """Requests on port 0, paired with their answers by type and token (protocol.md 7)."""

    def __init__(self, link: Link, timeout=0.5):
        self.link = link
        self.timeout = timeout
        self.token = 1

    def _next_token(self):
        self.token = (self.token + 1) & 0xFF
        return self.token

    def _request(self, dst, body_type, token, body):
        self.link.send_packet(dst, PORT_LINK, bytes([body_type, token]) + body, MIN_FRAME, src_port=PORT_LINK)

    def _await(self, expected_src, resp_type, token, timeout):
        """A response counts only with the expected type, token and source (protocol.md 7)."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                src, _, msg = self.link.inbound[PORT_LINK].get(timeout=left)
            except queue.Empty:
                return None
            if len(msg) >= 2 and msg[0] == resp_type and msg[1] == token and src == expected_src:
                return msg[2:]

    def join_group(self, node, group, attempts=3):
        """Join group (protocol.md 7.1, 7.6): to the node itself; idempotent, so resent with the same token.
        Returns the result (0 member now, 1 refused) or None when the node never answered (no groups)."""
        token = self._next_token()
        for _ in range(attempts):
            self._request(node, LM_JOIN, token, bytes([group]))
            body = self._await(node, 0x80 | LM_JOIN, token, self.timeout)
            if body is not None and len(body) == 2 and body[0] == group:
                return body[1]
        return None

    def leave_group(self, node, group, wait=True):
        """Leave group (protocol.md 7.1, 7.6); answered also when the node was not a member."""
        token = self._next_token()
        self._request(node, LM_LEAVE, token, bytes([group]))
        return self._await(node, 0x80 | LM_LEAVE, token, self.timeout) is not None if wait else None

    def forget_all(self):
        """Forget address to 0xFF, no response (protocol.md 7.1, 7.4 step 1)."""
        self._request(BROADCAST, LM_FORGET, self._next_token(), b"")

    def capabilities(self, node, attempts=3):
        """Capabilities request, resent with the same token (protocol.md 7.4: idempotent, 3 tries)."""
        token = self._next_token()
        for _ in range(attempts):
            self._request(node, LM_CAPS, token, struct.pack("<H", HOST_MAX_FRAME))
            body = self._await(node, 0x80 | LM_CAPS, token, self.timeout)
            if body is not None:
                return parse_capabilities(body)
        return None

    def assign(self, address, return_limit):
        """Assign address N to 0xFE, never repeated (protocol.md 7.3, 7.4 step 2)."""
        token = self._next_token()
        self._request(UNASSIGNED, LM_ASSIGN, token, bytes([address]) + struct.pack("<H", return_limit))
        body = self._await(address, 0x80 | LM_ASSIGN, token, self.timeout)
        return parse_capabilities(body) if body is not None else None

    def enumerate_chain(self, first=1, max_devices=None):
        """protocol.md 7.4: forget, then assign first, first+1, ... until nobody answers."""
        self.forget_all()
        members, path_limit = [], HOST_MAX_FRAME
        for address in range(first, 0xF0):
            caps = self.assign(address, path_limit)
            if caps is None:
                caps = self.capabilities(address)          # step 3: the answer may have been lost
                if caps is None:
                    break
            path_limit = min(path_limit, caps["max_frame"])
            members.append({"address": address, "caps": caps, "path_frame": path_limit})
            if max_devices is not None and len(members) >= max_devices:
                break
        return members


def parse_capabilities(body: bytes):
    """protocol.md 7.2: version u8, maximum frame size u16, receive buffers u8."""
    if body is None or len(body) < 4:
        return None
    version, max_frame, buffers = struct.unpack_from("<BHB", body)
    return {"version": version, "max_frame": max_frame, "buffers": buffers}


# ---------------------------------------------------------------------------------------------------------------
# RPC packets (rpc-packets.md 2-7)
# ---------------------------------------------------------------------------------------------------------------

KIND_COMMAND, KIND_RESPONSE, KIND_ERROR, KIND_EVENT = 1, 2, 3, 4
FLAG_RESEND = 0x01

RPC_STATUS = {  # rpc-packets.md 5
    0xFF01: "UnknownInterface", 0xFF02: "UnknownCommand", 0xFF03: "BadPayload", 0xFF04: "InternalError",
    0xFF05: "Busy", 0xFF06: "BadPacket",
}


class RpcError(Exception):
    """An error answer (rpc-packets.md 5): the code, its name when the docs give one, and the device's text."""

    def __init__(self, interface, command, code, name, message):
        super().__init__(f"{name} (0x{code:04X}) for command {command} of interface 0x{interface:04X}: {message}")
        self.interface, self.command, self.code, self.name, self.message = interface, command, code, name, message


class RpcTimeout(Exception):
    pass


def rpc_header(kind, flags, interface, message, request_id) -> bytes:
    """rpc-packets.md 2: version 0 in the high nibble, kind in the low one; all little-endian."""
    return struct.pack("<BBHHH", kind & 0x0F, flags, interface, message, request_id)


def parse_rpc(packet: bytes):
    """rpc-packets.md 10: the malformed checks in order; None when malformed."""
    if len(packet) < 8:
        return None
    vk, flags, interface, message, rid = struct.unpack_from("<BBHHH", packet)
    kind = vk & 0x0F
    if vk >> 4 != 0 or kind not in (1, 2, 3, 4) or flags & 0xFE:
        return None
    if kind == KIND_ERROR and len(packet) < 10:
        return None
    return {"kind": kind, "flags": flags, "interface": interface, "message": message, "rid": rid,
            "payload": packet[8:]}


class RpcClient:
    """Calls to devices over a Link (rpc-packets.md 7, 8), with events collected on the side (9)."""

    def __init__(self, link: Link, timeout=1.0, attempts=3):
        self.link = link
        self.timeout = timeout
        self.attempts = attempts
        self.next_id = int.from_bytes(hashlib.sha256(str(time.time()).encode()).digest()[:2], "little")
        self.frame_size = {}   # path frame size per node (protocol.md 6.1)
        self.events = queue.Queue()
        self.pending = {}      # (node, rid) -> answer
        self.cond = threading.Condition()
        threading.Thread(target=self._dispatch, daemon=True).start()

    def _dispatch(self):
        while True:
            src, _, packet = self.link.inbound[PORT_RPC].get()
            p = parse_rpc(packet)
            if p is None:
                continue
            if p["kind"] == KIND_EVENT:
                self.events.put((src, p))
                continue
            with self.cond:
                key = (src, p["rid"])
                if key in self.pending and self.pending[key] is None:
                    self.pending[key] = p
                    self.cond.notify_all()

    def take_id(self, node):
        """A u16 counter, random start, skipping ids still awaited from this node (rpc-packets.md 7)."""
        with self.cond:
            while (node, self.next_id) in self.pending:
                self.next_id = (self.next_id + 1) & 0xFFFF
            rid = self.next_id
            self.next_id = (self.next_id + 1) & 0xFFFF
            return rid

    def send(self, node, interface, command, payload=b"", rid=None, resend=False):
        """Hands one command to the link; returns its request id (rpc-packets.md 2, 4)."""
        if rid is None:
            rid = self.take_id(node)
        with self.cond:
            self.pending[(node, rid)] = None
        packet = rpc_header(KIND_COMMAND, FLAG_RESEND if resend else 0, interface, command, rid) + payload
        self.link.send_packet(node, PORT_RPC, packet, self.frame_size.get(node, MIN_FRAME))
        return rid

    def take_group_id(self, members):
        """rpc-packets.md 12: a group call's id must be free for every member; a counter of its own, started half
        the id space away from the unicast counter."""
        with self.cond:
            if not hasattr(self, "next_group_id"):
                self.next_group_id = (self.next_id + 0x8000) & 0xFFFF
            while any((m, self.next_group_id) in self.pending for m in members):
                self.next_group_id = (self.next_group_id + 1) & 0xFFFF
            rid = self.next_group_id
            self.next_group_id = (self.next_group_id + 1) & 0xFFFF
            return rid

    def send_group(self, group, members, frame_size, interface, command, payload=b"", rid=None, resend=False):
        """One command to a group address (rpc-packets.md 12): carried once, answered by each member from its own
        address under the same request id."""
        if rid is None:
            rid = self.take_group_id(members)
        with self.cond:
            for m in members:
                self.pending[(m, rid)] = None
        packet = rpc_header(KIND_COMMAND, FLAG_RESEND if resend else 0, interface, command, rid) + payload
        self.link.send_packet(group, PORT_RPC, packet, frame_size)
        return rid

    def expect(self, node, rid):
        """Registers an answer to wait for (a unicast resend of a group call's id)."""
        with self.cond:
            self.pending[(node, rid)] = None

    def poll(self, node, rid):
        """The answer if it came, else None (and still awaited)."""
        with self.cond:
            if self.pending.get((node, rid)) is not None:
                return self.pending.pop((node, rid))
            return None

    def wait_any(self, keys, timeout):
        """Waits until one of the (node, rid) keys has its answer or timeout; returns the keys answered."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                done = [k for k in keys if self.pending.get(k) is not None]
                left = deadline - time.monotonic()
                if done or left <= 0 or self.link.closed:
                    return done
                self.cond.wait(left)

    def wait(self, node, rid, timeout):
        """The answer with this (source node, request id), or None after timeout (rpc-packets.md 7)."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while self.pending.get((node, rid)) is None:
                left = deadline - time.monotonic()
                if left <= 0 or self.link.closed:
                    return None
                self.cond.wait(left)
            return self.pending.pop((node, rid))

    def forget(self, node, rid):
        with self.cond:
            self.pending.pop((node, rid), None)

    def call(self, node, interface, command, payload=b"", timeout=None, attempts=None, errors=None):
        """Send, wait, resend the same id with RESEND (rpc-packets.md 7); Busy: wait and resend the same id."""
        timeout = timeout or self.timeout
        attempts = attempts or self.attempts
        rid = self.send(node, interface, command, payload)
        for attempt in range(1, attempts + 1):
            answer = self.wait(node, rid, timeout)
            if answer is not None and (answer["interface"], answer["message"]) == (interface, command):
                if answer["kind"] == KIND_RESPONSE:
                    return answer["payload"]
                code = struct.unpack_from("<H", answer["payload"])[0]
                text = answer["payload"][2:].decode("utf-8", "replace")
                if code == 0xFF05 and attempt < attempts:      # Busy: neither executed nor cached
                    time.sleep(0.05)
                    self.send(node, interface, command, payload, rid=rid, resend=True)
                    continue
                name = RPC_STATUS.get(code) or (errors or {}).get(code, "code %d" % code)
                raise RpcError(interface, command, code, name, text)
            if attempt < attempts:
                self.send(node, interface, command, payload, rid=rid, resend=True)
        self.forget(node, rid)
        raise RpcTimeout(f"no answer from 0x{node:02X} to command {command} of interface 0x{interface:04X}")


# ---------------------------------------------------------------------------------------------------------------
# Field codec (rpc-interfaces.md 2, "Wire encoding")
# ---------------------------------------------------------------------------------------------------------------

class Reader:
    """Reads a payload field by field; the payload must be consumed exactly (rpc-interfaces.md 2)."""

    def __init__(self, data: bytes):
        self.data, self.at = data, 0

    def take(self, fmt):
        value = struct.unpack_from("<" + fmt, self.data, self.at)
        self.at += struct.calcsize("<" + fmt)
        return value[0] if len(value) == 1 else value

    def raw(self, n):
        value = self.data[self.at:self.at + n]
        if len(value) != n:
            raise ValueError("payload too short")
        self.at += n
        return bytes(value)

    def string(self):
        """string + maxLength: u16 byte count, then UTF-8, no terminator."""
        return self.raw(self.take("H")).decode("utf-8")

    def version(self):
        """ImageVersion { major u8, minor u8, patch u16, build u32 } (rpc-interfaces.md 6)."""
        major, minor, patch, build = self.take("BBHI")
        return f"{major}.{minor}.{patch}+{build}"

    def end(self):
        if self.at != len(self.data):
            raise ValueError(f"{len(self.data) - self.at} trailing bytes")


def bytes_field(data: bytes) -> bytes:
    """bytes + maxLength: u16 length, then the bytes (rpc-interfaces.md 2)."""
    return struct.pack("<H", len(data)) + data


# ---------------------------------------------------------------------------------------------------------------
# Device interface 0x0001 (src/Csa.Rpc/Interfaces/device.rpc.json, rpc-interfaces.md 6)
# ---------------------------------------------------------------------------------------------------------------

DEVICE = 0x0001
DEVICE_ERRORS = {1: "Busy", 2: "NotAllowed", 3: "InvalidArgument", 4: "NotSupported"}
IMAGE_KIND = {1: "Bootloader", 2: "Application"}
DEVICE_STATE = {0: "Starting", 1: "WaitingForUpdate", 2: "Running", 3: "Updating", 4: "Fault"}
FEATURES = ["Signatures", "Encryption", "DowngradeProtection", "DeviceBinding", "BootloaderUpdate", "Forwarding",
            "Multicast"]


def flag_names(value, names):
    return [n for i, n in enumerate(names) if value & (1 << i)]


def get_identity(rpc, node):
    r = Reader(rpc.call(node, DEVICE, 1, errors=DEVICE_ERRORS))
    out = {"vendorId": r.take("I"), "deviceClass": r.take("I"), "uid": r.raw(12).hex().upper(),
           "mcuDeviceId": r.take("H"), "hardwareRevision": r.take("H"), "productName": r.string()}
    r.end()
    return out


def get_versions(rpc, node, timeout=None, attempts=None):
    r = Reader(rpc.call(node, DEVICE, 2, timeout=timeout, attempts=attempts, errors=DEVICE_ERRORS))
    out = {"runningImage": IMAGE_KIND.get(r.take("B"), "?"), "activeBootloader": "AB"[r.take("B")],
           "bootloaderVersion": r.version(), "applicationVersion": r.version(),
           "applicationValid": bool(r.take("B")), "securityCounter": r.take("I"), "protocolVersion": r.take("H")}
    r.end()
    return out


def get_capabilities(rpc, node):
    r = Reader(rpc.call(node, DEVICE, 3, errors=DEVICE_ERRORS))
    out = {"maxFrameSize": r.take("H"), "receiveBuffers": r.take("B"), "maxPacketSize": r.take("H")}
    out["features"] = flag_names(r.take("I"), FEATURES)
    r.end()
    return out


def get_update_rules(rpc, node):
    r = Reader(rpc.call(node, DEVICE, 6, errors=DEVICE_ERRORS))
    out = {"bootloaderFeatures": flag_names(r.take("I"), FEATURES),
           "requirements": flag_names(r.take("I"), ["DeviceBinding", "Encryption"])}
    for slot in ("application", "bootloaderA", "bootloaderB"):
        start, size = r.take("II")
        out[slot] = {"start": start, "maxPayloadSize": size}
    r.end()
    return out


def reset(rpc, node, mode, delay_ms):
    """Reset(mode ResetMode u8, delayMilliseconds u16); not idempotent: one attempt (updates.md 3, Restarting)."""
    rpc.call(node, DEVICE, 4, struct.pack("<BH", mode, delay_ms), attempts=1, errors=DEVICE_ERRORS)


def enter_bootloader(rpc, node, wait_seconds):
    """EnterBootloader(waitSeconds u16): answered by the application before it restarts (device.rpc.json)."""
    rpc.call(node, DEVICE, 5, struct.pack("<H", wait_seconds), attempts=1, errors=DEVICE_ERRORS)


# ---------------------------------------------------------------------------------------------------------------
# Bootloader interface 0x0002. DOC GAP (FINDINGS 1): no published interface file describes it; the command ids and
# field layouts below come from docs where they exist (protocol.md 9 group-write vector: Write is command 3 with
# offset u32 + data bytes; firmware.md 8.4 handler table: field order) and from experiment (the device's
# BadPayload texts name each field it expected).
# ---------------------------------------------------------------------------------------------------------------

BOOTLOADER = 0x0002
BL_GET_STATUS, BL_BEGIN, BL_WRITE, BL_FINISH, BL_ABORT, BL_REGION_HASH, BL_MISSING = 1, 2, 3, 4, 5, 6, 7
TARGET_APPLICATION, TARGET_OTHER_BOOTLOADER = 1, 2     # DOC GAP (FINDINGS 2): device-model.md 6.3 says 0 and 1
REGION_APPLICATION = 3                                # RegionKind (device-model.md 6.2)

# Error names are the documented ones (device-model.md 6.3 table, 6.4-6.6, updates.md 7); their numbers are not
# documented anywhere but 18 (Busy) and 20 (RangeNotAllowed). DOC GAP (FINDINGS 3): numbers found by experiment.
# Each was provoked against `csa sim` and named from the text the device sent with it.
BOOTLOADER_ERRORS = {
    1: "BadManifest", 2: "UnknownKey", 3: "BadSignature", 4: "WrongTarget", 5: "NotBoundToThisDevice",
    6: "SecurityCounterTooLow", 7: "WrongLocation", 9: "KeyUnwrapFailed", 10: "NoUpdateInProgress",
    11: "OutOfRange", 12: "Misaligned", 13: "WriteConflict", 14: "Incomplete", 15: "PayloadHashMismatch",
    18: "Busy", 20: "RangeNotAllowed",
}


def begin_update(rpc, node, target, manifest, authentication, wrapped_key, timeout):
    """BeginUpdate(target UpdateTarget u8, manifest bytes, authentication bytes, wrappedKey bytes) ->
    (resumeOffset u32, writeAlignment u16, maxWriteSize u16, eraseMillisecondsMax u32) (updates.md 3, Erasing;
    widths by experiment, FINDINGS 1). Not idempotent, but the device resumes the same image (device-model.md 6.3)."""
    payload = bytes([target]) + bytes_field(manifest) + bytes_field(authentication) + bytes_field(wrapped_key)
    r = Reader(rpc.call(node, BOOTLOADER, BL_BEGIN, payload, timeout=timeout, errors=BOOTLOADER_ERRORS))
    out = {"resumeOffset": r.take("I"), "writeAlignment": r.take("H"), "maxWriteSize": r.take("H"),
           "eraseMillisecondsMax": r.take("I")}
    r.end()
    return out


def write_request(offset, data) -> bytes:
    """Write(offset u32, data bytes): as in the group-write vector of protocol.md 9."""
    return struct.pack("<I", offset) + bytes_field(data)


def parse_write_response(payload):
    """(offset u32, length u16, bytesCommitted u32), firmware.md 8.4 order; widths by experiment (FINDINGS 1)."""
    r = Reader(payload)
    out = {"offset": r.take("I"), "length": r.take("H"), "bytesCommitted": r.take("I")}
    r.end()
    return out


def finish_update(rpc, node, timeout):
    """FinishUpdate() -> payload SHA-256 (32 bytes) (device-model.md 6.5)."""
    r = Reader(rpc.call(node, BOOTLOADER, BL_FINISH, b"", timeout=timeout, errors=BOOTLOADER_ERRORS))
    digest = r.raw(32)
    r.end()
    return digest


def abort_update(rpc, node):
    rpc.call(node, BOOTLOADER, BL_ABORT, b"", errors=BOOTLOADER_ERRORS)


def get_region_hash(rpc, node, region, offset, length, timeout):
    """GetRegionHash(region RegionKind u8, offset u32, length u32) -> SHA-256 (device-model.md 6.6)."""
    payload = bytes([region]) + struct.pack("<II", offset, length)
    r = Reader(rpc.call(node, BOOTLOADER, BL_REGION_HASH, payload, timeout=timeout, errors=BOOTLOADER_ERRORS))
    digest = r.raw(32)
    r.end()
    return digest


# ---------------------------------------------------------------------------------------------------------------
# Image files (image-format.md 1-5)
# ---------------------------------------------------------------------------------------------------------------

class ImageError(Exception):
    pass


def parse_image(data: bytes):
    """Splits an image into manifest, payload, authentication block and key block (image-format.md 1, 3, 4, 5)."""
    if len(data) < 96:
        raise ImageError("Truncated: shorter than the 96-byte manifest")
    (magic, fmt, man_len, kind, auth, enc, nbind, vendor, dclass, vmaj, vmin, vpatch, vbuild, counter, load,
     size) = struct.unpack_from("<IHHBBBBIIBBHIIII", data, 0)
    if magic != 0x49415343:
        raise ImageError("BadMagic")
    if fmt != 1:
        raise ImageError("UnknownFormatVersion")
    if man_len != 96 + 12 * nbind:
        raise ImageError("SizeMismatch")
    auth_len = {1: 4, 2: 64}.get(auth)
    if auth_len is None:
        raise ImageError("UnsupportedAuthentication")
    auth_at = man_len + size
    end = auth_at + auth_len
    if len(data) < end:
        raise ImageError("Truncated")
    image = {"manifest": data[:man_len], "payload": data[man_len:auth_at], "authentication": data[auth_at:end],
             "kind": kind, "encrypted": enc != 0, "vendor": vendor, "deviceClass": dclass,
             "version": f"{vmaj}.{vmin}.{vpatch}+{vbuild}", "securityCounter": counter, "loadAddress": load,
             "payloadSize": size, "payloadSha256": data[40:72], "keys": {}}
    if enc:
        image["keys"] = parse_key_block(data[end:])
    elif len(data) != end:
        raise ImageError("TrailingData")
    return image


def parse_key_block(block: bytes):
    """Key block: 'CSAK', entry count u16, wrapped key length u16, then (uid[12], key[L]) entries (image-format.md 5)."""
    if len(block) < 8 or struct.unpack_from("<I", block)[0] != 0x4B415343:
        raise ImageError("BadKeyBlock")
    count, length = struct.unpack_from("<HH", block, 4)
    if len(block) != 8 + count * (12 + length):
        raise ImageError("BadKeyBlock" if len(block) > 8 + count * (12 + length) else "Truncated")
    keys = {}
    for i in range(count):
        at = 8 + i * (12 + length)
        keys[block[at:at + 12].hex().upper()] = block[at + 12:at + 12 + length]
    return keys


# ---------------------------------------------------------------------------------------------------------------
# Host session: connect, enumerate, read (protocol.md 7.4, updates.md 2)
# ---------------------------------------------------------------------------------------------------------------

def log(message):
    print(message, file=sys.stderr, flush=True)


def parse_tcp_uri(uri):
    """tcp://HOST:PORT, the link URI `csa sim --json` prints (cli.md "csa sim")."""
    if not uri.startswith("tcp://"):
        raise ValueError("only tcp://HOST:PORT links are supported")
    host, _, port = uri[len("tcp://"):].rpartition(":")
    return host, int(port)


class Session:
    """One TCP link, its enumerated chain and an RPC client (protocol.md 7.4; rpc-packets.md 7)."""

    def __init__(self, uri, max_devices=None):
        self.link = Link(*parse_tcp_uri(uri))
        self.lm = LinkManagement(self.link)
        self.members = self.lm.enumerate_chain(first=1, max_devices=max_devices)
        self.rpc = RpcClient(self.link)
        for m in self.members:
            self.rpc.frame_size[m["address"]] = m["path_frame"]

    def node(self, index):
        if index >= len(self.members):
            raise LookupError(f"device {index} not found: the chain has {len(self.members)} device(s)")
        return self.members[index]["address"]

    def read(self, node):
        """What updates.md 2 reads of every device: identity, versions, capabilities, update rules."""
        info = {"address": node, "identity": get_identity(self.rpc, node), "versions": get_versions(self.rpc, node),
                "capabilities": get_capabilities(self.rpc, node)}
        try:
            info["updateRules"] = get_update_rules(self.rpc, node)
        except RpcError as e:           # rpc-interfaces.md 6: NotSupported / UnknownCommand on older firmware
            info["updateRules"] = None
            log(f"GetUpdateRules: {e.name}")
        return info

    def close(self):
        self.link.close()


def wait_for_image(session, node, kind, deadline_s=15.0):
    """Polls GetVersions until `kind` answers (updates.md 3: EnteringBootloader, Restarting, Confirming).
    The node keeps its address over a software reset (protocol.md 7.5)."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        try:
            versions = get_versions(session.rpc, node, timeout=0.3, attempts=1)
            if versions["runningImage"] == kind:
                return versions
        except RpcTimeout:
            pass
        time.sleep(0.02)
    raise RpcTimeout(f"the {kind} did not answer within {deadline_s} s")


# ---------------------------------------------------------------------------------------------------------------
# The application update (updates.md 3; device-model.md 6.3-6.5)
# ---------------------------------------------------------------------------------------------------------------

class Refused(Exception):
    def __init__(self, stage, error):
        super().__init__(f"{stage}: the device refused: {error.name} ({error.code}): {error.message}")
        self.stage, self.error = stage, error


def precheck(image, info):
    """A local check against what the application reports (updates.md 6; image-format.md 6 steps 3, 4, 7)."""
    ident, rules = info["identity"], info["updateRules"]
    if image["kind"] != 1:
        return "WrongImageKind"
    if (image["vendor"], image["deviceClass"]) != (ident["vendorId"], ident["deviceClass"]):
        return "WrongVendor/WrongDeviceClass"
    if rules and image["loadAddress"] != rules["application"]["start"]:
        return "WrongLoadAddress"
    if rules and image["payloadSize"] > rules["application"]["maxPayloadSize"]:
        return "TooLargeForRegion"
    return None


def enter_bootloader_and_wait(session, node):
    """EnterBootloader(wait) once; the application answers, then restarts (device-model.md 7.3)."""
    try:
        enter_bootloader(session.rpc, node, 60)
    except RpcTimeout:
        log("EnterBootloader: no answer (the restart may have cut it off); polling")
    return wait_for_image(session, node, "Bootloader")


def write_payload(session, node, payload, start, chunk, window, timeout):
    """Write(offset, data) from `start`, up to `window` in flight (rpc-packets.md 8), each resent under its own id
    with RESEND when its answer is late (rpc-packets.md 7). Returns (writes, resends)."""
    rpc, offsets = session.rpc, list(range(start, len(payload), chunk))
    in_flight, writes, resends, next_i = [], 0, 0, 0
    while next_i < len(offsets) or in_flight:
        while next_i < len(offsets) and len(in_flight) < window:
            off = offsets[next_i]
            req = write_request(off, payload[off:off + chunk])
            in_flight.append([rpc.send(node, BOOTLOADER, BL_WRITE, req), off, req, 1])
            next_i += 1
            writes += 1
        rid, off, req, attempt = in_flight[0]
        answer = rpc.wait(node, rid, timeout)
        if answer is None:
            if attempt >= 3:
                raise RpcTimeout(f"Write at offset {off}: no answer after 3 attempts")
            rpc.send(node, BOOTLOADER, BL_WRITE, req, rid=rid, resend=True)
            in_flight[0][3] += 1
            resends += 1
            continue
        if answer["kind"] == KIND_ERROR and struct.unpack_from("<H", answer["payload"])[0] == 0xFF05:
            time.sleep(0.05)                     # Busy: not taken, not cached; the same id again (rpc-packets.md 7)
            rpc.send(node, BOOTLOADER, BL_WRITE, req, rid=rid, resend=True)
            resends += 1
            continue
        in_flight.pop(0)
        if answer["kind"] == KIND_ERROR:
            code = struct.unpack_from("<H", answer["payload"])[0]
            name = RPC_STATUS.get(code) or BOOTLOADER_ERRORS.get(code, f"code {code}")
            raise RpcError(BOOTLOADER, BL_WRITE, code, name, answer["payload"][2:].decode("utf-8", "replace"))
        parse_write_response(answer["payload"])
    return writes, resends


def update_application(session, node, image, window):
    """updates.md 3: EnteringBootloader, Checking, Erasing, Transferring, Verifying, Restarting, Confirming."""
    before = session.read(node)
    problem = precheck(image, before)
    if problem:
        raise ImageError(f"pre-check refused the image: {problem}")
    t0 = time.monotonic()
    if before["versions"]["runningImage"] == "Application":
        enter_bootloader_and_wait(session, node)
    t_bootloader = time.monotonic()
    caps = get_capabilities(session.rpc, node)            # the bootloader's own limits size the writes
    session.rpc.frame_size[node] = min(session.rpc.frame_size[node], caps["maxFrameSize"])
    wrapped = b""
    if image["encrypted"]:
        wrapped = image["keys"].get(before["identity"]["uid"], b"")
    try:
        begun = begin_update(session.rpc, node, TARGET_APPLICATION, image["manifest"], image["authentication"],
                             wrapped, timeout=5.0)
    except RpcError as e:
        restart_application_after_refusal(session, node)
        raise Refused("BeginUpdate", e)
    align = begun["writeAlignment"]
    chunk = min(begun["maxWriteSize"], caps["maxPacketSize"] - 64) // align * align
    erase_s = begun["eraseMillisecondsMax"] / 1000.0
    op_timeout = 2 * erase_s + 1.0       # device-model.md 6.3: a write waits at most for two erases
    t_write = time.monotonic()
    try:
        writes, resends = write_payload(session, node, image["payload"], begun["resumeOffset"], chunk,
                                        max(1, min(window, caps["receiveBuffers"], 15)), op_timeout)
        t_written = time.monotonic()
        digest = finish_update(session.rpc, node, timeout=op_timeout)
    except RpcError as e:
        raise Refused("Transfer/FinishUpdate", e)
    if digest != image["payloadSha256"]:
        raise RuntimeError("FinishUpdate answered another SHA-256 than the manifest's")
    stored = get_region_hash(session.rpc, node, REGION_APPLICATION, 0, image["payloadSize"], op_timeout)
    if stored != image["payloadSha256"]:
        raise RuntimeError("GetRegionHash of the application differs from the manifest's SHA-256")
    reset(session.rpc, node, 0, 10)                        # Reset(Normal, 10 ms), one attempt (updates.md 3)
    after = wait_for_image(session, node, "Application")
    t_end = time.monotonic()
    if not after["applicationValid"] or after["applicationVersion"] != image["version"]:
        raise RuntimeError(f"after the restart the application is {after['applicationVersion']} "
                           f"(valid {after['applicationValid']}), not {image['version']}")
    sent = len(image["payload"]) - begun["resumeOffset"]
    return {"device": before["identity"]["uid"], "address": node, "before": before["versions"]["applicationVersion"],
            "after": after["applicationVersion"], "payloadBytes": len(image["payload"]), "bytesSent": sent,
            "resumeOffset": begun["resumeOffset"], "writes": writes, "writeResends": resends, "chunk": chunk,
            "window": min(window, caps["receiveBuffers"]), "enterBootloaderSeconds": round(t_bootloader - t0, 3),
            "transferSeconds": round(t_written - t_write, 3),
            "transferBytesPerSecond": round(sent / max(t_written - t_write, 1e-6)),
            "totalSeconds": round(t_end - t0, 3), "framesOut": session.link.frames_out,
            "framesIn": session.link.frames_in}


def restart_application_after_refusal(session, node):
    """After a refusal at BeginUpdate the old application is untouched (device-model.md 6.3); start it again
    (updates.md 7: "the application restarted")."""
    try:
        versions = get_versions(session.rpc, node)
        if versions["applicationValid"]:
            reset(session.rpc, node, 0, 10)
            wait_for_image(session, node, "Application")
    except (RpcError, RpcTimeout) as e:
        log(f"could not restart the application after the refusal: {e}")


# ---------------------------------------------------------------------------------------------------------------
# Many devices, one transfer: multicast (updates.md 10a; protocol.md 7.6; rpc-packets.md 12; device-model.md 6.4.2)
# ---------------------------------------------------------------------------------------------------------------

GROUP_FIRST, GROUP_LAST = 0xF0, 0xFD      # protocol.md 2
MISSING_BLOCKS_PER_PAGE = 512             # device-model.md 6.4.2


def get_missing_blocks(rpc, node, offset, block_size, timeout):
    """GetMissingBlocks(offset u32, blockSize u16) -> (bytesCommitted u32, blockCount u16, missing bytes[64])
    (rpc-interfaces.md 6a). DOC GAP (FINDINGS 7): the bitmap's bit order and what blockCount counts are not
    documented; found by experiment: block i is bit (i % 8) of byte i // 8 (least significant bit first), and
    blockCount = min(512, ceil((payloadSize - offset) / blockSize)), the bits past it zero."""
    r = Reader(rpc.call(node, BOOTLOADER, BL_MISSING, struct.pack("<IH", offset, block_size), timeout=timeout,
                        errors=BOOTLOADER_ERRORS))
    committed, count, bitmap = r.take("I"), r.take("H"), r.raw(64)
    r.end()
    missing = [offset + i * block_size for i in range(count) if bitmap[i // 8] >> (i % 8) & 1]
    return committed, count, missing


def missing_offsets(rpc, node, payload_size, block_size, timeout):
    """Every block offset the member still lacks, page by page of 512 blocks (updates.md 5, "Writing only the holes")."""
    offsets, offset = [], 0
    while offset < payload_size:
        _, count, missing = get_missing_blocks(rpc, node, offset, block_size, timeout)
        offsets += missing
        if count == 0:
            break
        offset += count * block_size
    return offsets


class GroupStream:
    """Writes to a group with per-member flow control (updates.md 10a step 3; rpc-packets.md 12 "Window").

    Each member answers every write from its own address. A write goes out only while every member has fewer of
    the stream's writes unanswered than its allowance. A member answers its writes in order, so an answer to a later
    write releases the earlier ones it has not answered (lost; the repair finds them). A member that answers Busy
    did not take the write: it gets it again by its own address, and its allowance falls back to its receive
    buffers. A write a member leaves unanswered past the timeout is given up for that member (the repair decides)."""

    def __init__(self, session, group, members, frame_size, allowance, timeout, stats):
        self.s, self.group, self.members, self.frame = session, group, members, frame_size
        self.allowance = dict(allowance)
        self.timeout = timeout
        self.stats = stats
        self.order = []            # [rid, offset, request, {member: sent time}] in send order
        self.errors = {}           # member -> RpcError (left behind)
        self.buffers = {}          # member -> receive buffers (GetCapabilities of its bootloader)

    def _unanswered(self, m):
        return sum(1 for w in self.order if m in w[3])

    def _in_flight(self, m):
        return sum(1 for w in self.order if w[3].get(m, None) is not None)

    def _resend_owed(self, now):
        """A write a member answered Busy goes again to that member alone, by its own address under the same id,
        once it has fewer writes in flight than its receive buffers (rpc-packets.md 12: Busy means not taken)."""
        for w in self.order:
            for m, sent in list(w[3].items()):
                if sent is None and self._in_flight(m) < self.buffers[m]:
                    self.s.rpc.send(m, BOOTLOADER, BL_WRITE, w[2], rid=w[0], resend=True)
                    w[3][m] = now
                    self.stats["busyResends"] += 1
                    self.stats["payloadBytesSent"] += len(w[2]) - 6

    def _room(self):
        live = [m for m in self.members if m not in self.errors]
        return all(self._unanswered(m) < self.allowance[m] for m in live)

    def send(self, offset, data, to=None):
        """One write to the group (or to the members `to`, each by its own address)."""
        rpc, req = self.s.rpc, write_request(offset, data)
        live = [m for m in (to or self.members) if m not in self.errors]
        if not live:
            return
        now = time.monotonic()
        if to is None or len(live) > 1:
            rid = rpc.send_group(self.group, live, self.frame, BOOTLOADER, BL_WRITE, req)
            self.stats["groupWrites"] += 1
        else:
            rid = rpc.send(live[0], BOOTLOADER, BL_WRITE, req)
            self.stats["unicastWrites"] += 1
        self.stats["payloadBytesSent"] += len(data)
        self.order.append([rid, offset, req, {m: now for m in live}])

    def pump(self, until_room=True):
        """Takes answers until there is room for another write (or, with until_room False, until none is awaited)."""
        rpc = self.s.rpc
        while self.order and (not until_room or not self._room()):
            keys = [(m, w[0]) for w in self.order for m in w[3]]
            answered = rpc.wait_any(keys, 0.05)
            now = time.monotonic()
            for m, rid in answered:
                w = next(w for w in self.order if w[0] == rid and m in w[3])
                a = rpc.poll(m, rid)
                if a["kind"] == KIND_ERROR:
                    code = struct.unpack_from("<H", a["payload"])[0]
                    if code == 0xFF05:          # RPC Busy (rpc-packets.md 5): not taken, send it again later
                        self.stats["busy"][f"0x{m:02X}"] = self.stats["busy"].get(f"0x{m:02X}", 0) + 1
                        self.allowance[m] = self.buffers[m]     # updates.md 10a step 3: back to its buffers
                        rpc.expect(m, rid)
                        w[3][m] = None                          # owed: resent once the member has room
                        continue
                    name = RPC_STATUS.get(code) or BOOTLOADER_ERRORS.get(code, f"code {code}")
                    self.errors[m] = RpcError(BOOTLOADER, BL_WRITE, code, name, a["payload"][2:].decode("utf-8", "replace"))
                    log(f"member 0x{m:02X} left behind: {self.errors[m]}")
                    for x in self.order:
                        if m in x[3]:
                            del x[3][m]
                            rpc.forget(m, x[0])
                    continue
                # answered in order: the earlier writes this member still owes were lost (write or answer)
                for x in self.order:
                    if x is w:
                        break
                    if m in x[3] and x[3][m] is not None:
                        del x[3][m]
                        rpc.forget(m, x[0])
                        self.stats["releasedUnanswered"][f"0x{m:02X}"] = \
                            self.stats["releasedUnanswered"].get(f"0x{m:02X}", 0) + 1
                del w[3][m]
            self._resend_owed(now)
            for x in self.order:
                for m, sent in list(x[3].items()):
                    if sent is not None and now - sent > self.timeout:
                        del x[3][m]
                        rpc.forget(m, x[0])
                        self.stats["timedOut"] += 1
            self.order = [x for x in self.order if x[3]]


def multicast_update(session, nodes, image, window, group, chunk_override=None, store_and_forward=True):
    """updates.md 10a: per device EnterBootloader and BeginUpdate (unicast), join a group, stream the payload once
    to the group, repair with GetMissingBlocks, then FinishUpdate, region hash and Reset per device."""
    rpc, lm, t0 = session.rpc, session.lm, time.monotonic()
    before = {n: session.read(n) for n in nodes}
    for n in nodes:
        problem = precheck(image, before[n])
        if problem:
            raise ImageError(f"pre-check refused the image for 0x{n:02X}: {problem}")
        if "Multicast" not in (before[n]["updateRules"] or {}).get("bootloaderFeatures", []):
            raise ImageError(f"0x{n:02X}: its bootloader does not advertise Multicast (rpc-interfaces.md 6)")
    # updates.md 10a "restarts are ordered": from the end of the chain to its start, each right after the other
    for n in reversed(nodes):
        if before[n]["versions"]["runningImage"] == "Application":
            try:
                enter_bootloader(rpc, n, 60)
            except RpcTimeout:
                log(f"EnterBootloader 0x{n:02X}: no answer (the restart may have cut it off); polling")
    for n in nodes:
        wait_for_image(session, n, "Bootloader")
    t_bootloader = time.monotonic()
    caps, begun = {}, {}
    for n in nodes:
        caps[n] = get_capabilities(rpc, n)
        rpc.frame_size[n] = min(rpc.frame_size[n], caps[n]["maxFrameSize"])
    for n in reversed(nodes):                    # step 1: from the chain's end, the deepest start erasing first
        try:
            begun[n] = begin_update(rpc, n, TARGET_APPLICATION, image["manifest"], image["authentication"], b"",
                                    timeout=5.0)
        except RpcError as e:
            restart_application_after_refusal(session, n)
            raise Refused(f"BeginUpdate 0x{n:02X}", e)
    joined = {n: lm.join_group(n, group) for n in nodes}
    members = [n for n in nodes if joined[n] == 0]
    log(f"group 0x{group:02X}: members " + ", ".join(f"0x{n:02X}" for n in members) +
        "".join(f"; 0x{n:02X} {'refused' if r == 1 else 'did not answer'}" for n, r in joined.items() if r != 0))
    if not members:
        raise RuntimeError("no device joined the group")
    # protocol.md 6.1: a group's frames use the smallest path frame size of its members
    frame = min(rpc.frame_size[n] for n in members)
    align = max(begun[n]["writeAlignment"] for n in members)
    # updates.md 4: PathFrameSize - 27, capped by maxWriteSize and MaxPacketSize - 14, a multiple of the alignment
    chunk = chunk_override or min([frame - 27] + [begun[n]["maxWriteSize"] for n in members] +
                                  [caps[n]["maxPacketSize"] - 14 for n in members])
    chunk = chunk // align * align
    erase_s = max(begun[n]["eraseMillisecondsMax"] for n in nodes) / 1000.0
    op_timeout = 2 * erase_s + 1.0                        # FINDINGS 4
    # updates.md 10a step 3: receive buffers plus the store-and-forward devices in front, at most 15
    allowance = {n: max(1, min(window, caps[n]["receiveBuffers"] + (i if store_and_forward else 0), 15))
                 for i, n in enumerate(nodes)}
    payload, size = image["payload"], image["payloadSize"]
    stats = {"groupWrites": 0, "unicastWrites": 0, "payloadBytesSent": 0, "busy": {}, "busyResends": 0,
             "releasedUnanswered": {}, "timedOut": 0, "repairRounds": 0, "repairBlocks": 0}
    stream = GroupStream(session, group, members, frame, allowance, op_timeout, stats)
    stream.buffers = {n: caps[n]["receiveBuffers"] for n in nodes}
    bytes_before = session.link.bytes_out
    t_write = time.monotonic()
    start = min(begun[n]["resumeOffset"] for n in members)
    for off in range(start, size, chunk):
        stream.pump()
        stream.send(off, payload[off:off + chunk])
    stream.pump(until_room=False)
    t_streamed = time.monotonic()
    # step 4: repair; a block two or more members lack goes to the group again, one member's by its own address
    pending_members = [n for n in members if n not in stream.errors]
    for round_no in range(1, 9):
        lacks = {n: missing_offsets(rpc, n, size, chunk, op_timeout) for n in pending_members}
        done = [n for n in pending_members if not lacks[n]]
        for n in done:
            lm.leave_group(n, group, wait=False)
        pending_members = [n for n in pending_members if lacks[n]]
        if not pending_members:
            break
        stats["repairRounds"] = round_no
        by_block = {}
        for n in pending_members:
            for off in lacks[n]:
                by_block.setdefault(off, []).append(n)
        log(f"repair round {round_no}: " + ", ".join(f"0x{n:02X} lacks {len(lacks[n])}" for n in pending_members))
        for off in sorted(by_block):
            stream.pump()
            stream.send(off, payload[off:off + chunk], to=by_block[off])
            stats["repairBlocks"] += 1
        stream.pump(until_room=False)
    for n in members:
        lm.leave_group(n, group, wait=False)
    # a device that did not join, and a member still lacking blocks after the rounds, is written by itself
    for n in nodes:
        if n in stream.errors:
            continue
        if n not in members:
            log(f"0x{n:02X} is written by itself")
            writes, _ = write_payload(session, n, payload, begun[n]["resumeOffset"], chunk,
                                      max(1, min(window, caps[n]["receiveBuffers"])), op_timeout)
            stats["unicastWrites"] += writes
            stats["payloadBytesSent"] += size - begun[n]["resumeOffset"]
        elif n in pending_members:
            holes = missing_offsets(rpc, n, size, chunk, op_timeout)
            log(f"0x{n:02X} still lacks {len(holes)} block(s) after the repair rounds; written by itself")
            for off in holes:
                rpc.call(n, BOOTLOADER, BL_WRITE, write_request(off, payload[off:off + chunk]), timeout=op_timeout,
                         errors=BOOTLOADER_ERRORS)
                stats["unicastWrites"] += 1
                stats["payloadBytesSent"] += len(payload[off:off + chunk])
    t_repaired = time.monotonic()
    host_bytes = session.link.bytes_out - bytes_before
    results = {}
    for n in nodes:
        if n in stream.errors:
            raise Refused(f"Write 0x{n:02X}", stream.errors[n])
        try:
            digest = finish_update(rpc, n, timeout=op_timeout)
        except RpcError as e:
            raise Refused(f"FinishUpdate 0x{n:02X}", e)
        if digest != image["payloadSha256"]:
            raise RuntimeError(f"0x{n:02X}: FinishUpdate answered another SHA-256 than the manifest's")
        if get_region_hash(rpc, n, REGION_APPLICATION, 0, size, op_timeout) != image["payloadSha256"]:
            raise RuntimeError(f"0x{n:02X}: GetRegionHash differs from the manifest's SHA-256")
    for n in reversed(nodes):                   # restarts ordered from the chain's end (updates.md 10a)
        try:
            reset(rpc, n, 0, 10)
        except RpcTimeout:
            log(f"Reset 0x{n:02X}: no answer; polling")
    for n in nodes:
        after = wait_for_image(session, n, "Application")
        if not after["applicationValid"] or after["applicationVersion"] != image["version"]:
            raise RuntimeError(f"0x{n:02X}: after the restart the application is {after['applicationVersion']}")
        results[n] = {"address": n, "device": before[n]["identity"]["uid"],
                      "before": before[n]["versions"]["applicationVersion"], "after": after["applicationVersion"]}
    t_end = time.monotonic()
    # the ratios compare with writing the payload to every device by itself: devices x payload
    count = len(nodes)
    return {"devices": [results[n] for n in nodes], "members": len(members), "group": group,
            "payloadBytes": size, "chunk": chunk, "groupFrameSize": frame, "allowance": list(allowance.values()),
            **stats, "payloadBytesRatio": round(stats["payloadBytesSent"] / (count * size), 4),
            "hostWireBytesDuringTransfer": host_bytes,
            "hostWireBytesRatio": round(host_bytes / (count * size), 4),
            "enterBootloaderSeconds": round(t_bootloader - t0, 3), "streamSeconds": round(t_streamed - t_write, 3),
            "transferSeconds": round(t_repaired - t_write, 3), "totalSeconds": round(t_end - t0, 3),
            "framesOut": session.link.frames_out, "framesIn": session.link.frames_in}


# ---------------------------------------------------------------------------------------------------------------
# Self-test against the documents' golden vectors (protocol.md 9 and 9.1, rpc-packets.md 11)
# ---------------------------------------------------------------------------------------------------------------

def _hex(text):
    return bytes.fromhex(text.replace("(empty)", ""))


def frame_vectors(protocol_md):
    """The ```text blocks of protocol.md 9: 'key: value' lines, one block per vector."""
    blocks = protocol_md.split("```text")[1:]
    for block in blocks:
        fields = dict(line.split(": ", 1) for line in block.split("```")[0].strip().splitlines() if ": " in line)
        yield fields


def check_frame_vector(v):
    """Encode the fields and compare with 'encoded'; decode 'encoded' back (protocol.md 9)."""
    encoded = _hex(v["encoded"])
    if "rejected" in v:
        return decode_frame(encoded[:-1] if encoded.endswith(b"\x00") else encoded) is None
    dst, dst_port = (int(x, 16) for x in v["destination"].split(":"))
    src, src_port = (int(x, 16) for x in v["source"].split(":"))
    ours = encode_frame(dst, dst_port, src, src_port, int(v["packet-id"], 16), int(v["fragment"]),
                        v["last-fragment"] == "yes", _hex(v["payload"]), int(v["hop-limit"]))
    back = decode_frame(encoded[:-1])
    return ours == encoded and back is not None and back["payload"] == _hex(v["payload"])


def rpc_vectors(rpc_packets_md):
    """The golden and malformed tables of rpc-packets.md 11: (name, packet bytes, expected kind or None)."""
    for section, valid in (("golden-vectors", True), ("malformed-vectors", False)):
        body = rpc_packets_md.split(f"<!-- {section}:begin -->")[1].split(f"<!-- {section}:end -->")[0]
        for row in body.strip().splitlines()[2:]:
            cells = [c.strip() for c in row.strip("|").split("|")]
            yield cells[0], _hex(cells[1].strip("`")), cells[2] if valid else None


def selftest(docs_dir):
    failures, count = [], 0
    with open(f"{docs_dir}/protocol.md", encoding="utf-8") as f:
        for v in frame_vectors(f.read()):
            count += 1
            if not check_frame_vector(v):
                failures.append(v.get("vector") or v.get("note"))
    kinds = {"Command": 1, "Response": 2, "Error": 3, "Event": 4}
    with open(f"{docs_dir}/rpc-packets.md", encoding="utf-8") as f:
        for name, packet, kind in rpc_vectors(f.read()):
            count += 1
            parsed = parse_rpc(packet)
            if (parsed is None) != (kind is None) or (parsed and parsed["kind"] != kinds[kind]):
                failures.append(name)
    log(f"selftest: {count - len(failures)} of {count} golden vectors hold" +
        (f"; failed: {', '.join(failures)}" if failures else ""))
    return 0 if not failures else 1


# ---------------------------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------------------------

def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["info", "update", "multicast", "selftest"])
    parser.add_argument("image", nargs="?")
    parser.add_argument("--link", help="tcp://HOST:PORT as `csa sim --json` prints it")
    parser.add_argument("--docs", default=None, help="the docs folder for selftest (default: ../../docs)")
    parser.add_argument("--device", type=int, default=0, help="position in the chain, 0 = nearest the host")
    parser.add_argument("--devices", type=int, default=None, help="how many devices the link holds (7.4 step 4)")
    parser.add_argument("--window", type=int, default=None,
                        help="writes in flight (1 = stop-and-wait; update: default 4; multicast: default and cap per "
                             "member its receive buffers plus the devices in front of it, at most 15)")
    parser.add_argument("--group", type=lambda v: int(v, 0), default=GROUP_FIRST,
                        help="multicast: the group address (0xF0-0xFD)")
    parser.add_argument("--chunk", type=int, default=None, help="multicast: write size (default as updates.md 4)")
    parser.add_argument("--expect-refusal", metavar="NAME", help="succeed only if the device refuses with NAME")
    args = parser.parse_intermixed_args(argv)
    if args.command == "selftest":
        return selftest(args.docs or os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs"))
    if not args.link:
        parser.error("--link is required")
    if args.command in ("update", "multicast") and not args.image:
        parser.error(f"{args.command} needs an IMAGE")
    if not GROUP_FIRST <= args.group <= GROUP_LAST:
        parser.error("--group must be 0xF0-0xFD (protocol.md 2)")
    try:
        session = Session(args.link, args.devices)
    except (OSError, ValueError) as e:
        log(f"cannot open {args.link}: {e}")
        return 3
    try:
        log(f"found {len(session.members)} device(s): " + ", ".join(f"0x{m['address']:02X}" for m in session.members))
        node = session.node(args.device)
        if args.command == "info":
            print(json.dumps(session.read(node), indent=2))
            return 0
        image = parse_image(open(args.image, "rb").read())
        log(f"image {args.image}: application {image['version']}, {image['payloadSize']} payload bytes")
        if args.command == "multicast":
            nodes = [m["address"] for m in session.members]
            result = multicast_update(session, nodes, image, args.window or 15, args.group, args.chunk)
            print(json.dumps(result, indent=2))
            log(f"multicast: {len(result['devices'])} device(s) updated, {result['members']} of them through group "
                f"0x{result['group']:02X}: payload bytes sent {result['payloadBytesSent']} = {result['payloadBytesRatio']}"
                f" x (devices x payload: {len(result['devices'])} x {result['payloadBytes']}); "
                f"host wire bytes {result['hostWireBytesDuringTransfer']} = {result['hostWireBytesRatio']} x; "
                f"transfer {result['transferSeconds']} s, {result['totalSeconds']} s in all")
            return 0
        result = update_application(session, node, image, args.window or 4)
        print(json.dumps(result, indent=2))
        log(f"updated {result['device']} {result['before']} -> {result['after']}: {result['bytesSent']} bytes in "
            f"{result['transferSeconds']} s ({result['transferBytesPerSecond']} B/s), {result['totalSeconds']} s "
            f"in all")
        if args.expect_refusal:
            log(f"expected a refusal ({args.expect_refusal}) but the update succeeded")
            return 1
        return 0
    except Refused as e:
        log(str(e))
        print(json.dumps({"refused": e.error.name, "code": e.error.code, "stage": e.stage, "text": e.error.message}))
        if args.expect_refusal:
            return 0 if e.error.name == args.expect_refusal else 1
        return 6
    except (LookupError, RpcTimeout, RpcError, ImageError, RuntimeError) as e:
        log(f"failed: {e}")
        return 3 if isinstance(e, (LookupError, RpcTimeout)) else 1
    finally:
        session.close()


if __name__ == "__main__":
    sys.exit(main())
