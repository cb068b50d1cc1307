#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
A BGP speaker that provokes a connection collision with both connections
in OpenSent: it listens on 10.0.1.6:179; when r1's connection comes in, it
opens its own to r1 before sending anything, then sends its OPEN on both.
r1 has sent its OPEN on both (OpenSent on both); it resolves the collision
by the BGP Identifiers (RFC 4271 6.8) with a NOTIFICATION Cease/Connection
Collision Resolution on the connection it gives up.  The speaker follows:
the other connection, once r1's KEEPALIVE came on it, is the session.  It
announces one route on it, sends a KEEPALIVE every second and records,
as JSON in STATUS (rewritten every 0.2 s), what it saw.

    collision_speaker.py ROUTER_ID STATUS
"""
import json
import os
import select
import socket
import struct
import sys
import time

ROUTER_ID, STATUS = sys.argv[1], sys.argv[2]
LOCAL, R1 = "10.0.1.6", "10.0.1.1"


def message(mtype, body=b""):
    return b"\xff" * 16 + struct.pack("!HB", 19 + len(body), mtype) + body


OPEN = message(1, struct.pack("!BHH4sB", 4, 65006, 9, socket.inet_aton(ROUTER_ID), 0))
KEEPALIVE = message(4)
# 10.226.1.0/24: ORIGIN IGP, AS_PATH 65006, NEXT_HOP 10.0.1.6
ATTRS = (
    bytes([0x40, 1, 1, 0])
    + bytes([0x40, 2, 4, 2, 1]) + struct.pack("!H", 65006)
    + bytes([0x40, 3, 4]) + socket.inet_aton(LOCAL)
)
UPDATE = message(2, struct.pack("!H", 0) + struct.pack("!H", len(ATTRS)) + ATTRS + bytes([24, 10, 226, 1]))

status = {"events": [], "session": None, "keepalives_received": 0, "updates_received": 0,
          "notifications_on_session": [], "session_closed": None}


def event(what, **kw):
    kw.update(what=what, at=round(time.time(), 3))
    status["events"].append(kw)


def write_status():
    tmp = STATUS + ".tmp"
    with open(tmp, "w") as f:
        json.dump(status, f)
    os.replace(tmp, STATUS)


class Connection:
    def __init__(self, sock, initiated_by):
        self.sock, self.initiated_by = sock, initiated_by
        self.buf = b""
        self.open_received = self.keepalive_received = False
        self.closed = False
        local, remote = sock.getsockname(), sock.getpeername()
        self.ports = {"local": local[1], "remote": remote[1]}


def send(c, data):
    """data on connection c; a connection r1 already reset (the one it gave
    up, closed with our bytes unread: its RST can beat our reading its
    OPEN) counts as reset, as when a read finds it so."""
    try:
        c.sock.sendall(data)
    except (BrokenPipeError, ConnectionResetError):
        if not c.closed:
            c.closed = True
            event("connection reset", initiated_by=c.initiated_by)
            if c is session:
                status["session_closed"] = status["events"][-1]


session = None
listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind((LOCAL, 179))
listener.listen(4)
event("listening")
write_status()
sock, _ = listener.accept()
theirs = Connection(sock, "r1")
ours = Connection(socket.create_connection((R1, 179), source_address=(LOCAL, 0)), "speaker")
event("both connections up", r1_ports=theirs.ports, speaker_ports=ours.ports)
for c in (theirs, ours):
    send(c, OPEN)
event("OPEN sent on both")
conns = [theirs, ours]
last_keepalive = time.time()
last_status = 0
while True:
    live = [c for c in conns if not c.closed]
    if not live:
        break
    ready, _, _ = select.select([c.sock for c in live], [], [], 0.2)
    for c in live:
        if c.sock not in ready:
            continue
        try:
            data = c.sock.recv(65536)
        except ConnectionResetError:
            data = None
        if not data:
            c.closed = True
            event("connection closed" if data == b"" else "connection reset",
                  initiated_by=c.initiated_by)
            if c is session:
                status["session_closed"] = status["events"][-1]
            continue
        c.buf += data
        while len(c.buf) >= 19:
            length, mtype = struct.unpack("!HB", c.buf[16:19])
            if len(c.buf) < length:
                break
            body, c.buf = c.buf[19:length], c.buf[length:]
            if mtype == 1:
                c.open_received = True
                send(c, KEEPALIVE)
                event("OPEN received", initiated_by=c.initiated_by)
            elif mtype == 3:
                event("NOTIFICATION received", initiated_by=c.initiated_by,
                      code=body[0], subcode=body[1])
                if c is session:
                    status["notifications_on_session"].append([body[0], body[1]])
            elif mtype == 4:
                if c is session:
                    status["keepalives_received"] += 1
                else:
                    c.keepalive_received = True
            elif mtype == 2 and c is session:
                status["updates_received"] += 1
    # the session: the connection r1 kept (a KEEPALIVE from it), once it
    # gave the other up
    if session is None:
        kept = [c for c in conns if c.keepalive_received and not c.closed]
        if len(kept) == 1 and all(c.closed for c in conns if c is not kept[0]):
            session = kept[0]
            send(session, UPDATE)
            status["session"] = {"initiated_by": session.initiated_by, "ports": session.ports}
            event("session established", initiated_by=session.initiated_by)
    if session is not None and not session.closed and time.time() - last_keepalive >= 1:
        send(session, KEEPALIVE)
        last_keepalive = time.time()
    if time.time() - last_status >= 0.2:
        write_status()
        last_status = time.time()
write_status()
