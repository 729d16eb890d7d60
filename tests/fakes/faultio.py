"""Connection-level faults shared by the fake servers (tests/fakes/README.md, "Faults").

Each function takes a BaseHTTPRequestHandler whose request has been read and answers it badly:

- reset:    the connection is closed with a TCP RST (SO_LINGER 0) before any answer byte;
- truncate: a Content-Length larger than what is sent, half of the body, then close;
- hang:     nothing is sent; the connection stays open until the client gives up (or
            HANG_MAX_S passes);
- stall:    the headers and half of the body, then nothing more, as hang;
- huge:     a 200 announcing and streaming a body of `size` bytes (a JSON string of spaces),
            until the client closes;
- badutf8:  a 200 with the given JSON body, which the caller made not UTF-8 (corrupt_utf8).

They mark the handler's connection closed. Python 3 standard library only.
"""

import re
import select
import socket
import struct
import time

HANG_MAX_S = 120.0
CHUNK = 1 << 16
BAD_BYTES = b"\xc3\xff\xfe"  # a lead byte without its continuation, then two never-UTF-8 bytes

MODES = ("reset", "truncate", "hang", "stall", "huge", "badutf8")


def _close(handler):
    handler.close_connection = True


def reset(handler):
    try:
        handler.wfile.flush()
    except OSError:
        pass
    sock = handler.connection
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    try:
        sock.close()  # with linger 0: RST, not FIN
    except OSError:
        pass
    _close(handler)


def truncate(handler, data, ctype="application/json"):
    try:
        handler.send_response(200)
        handler.send_header("Content-Type", ctype)
        handler.send_header("Content-Length", str(len(data) + 64))
        handler.send_header("Connection", "close")
        handler.end_headers()
        handler.wfile.write(data[:len(data) // 2])
        handler.wfile.flush()
    except OSError:
        pass
    _close(handler)


def hang(handler):
    """Answer nothing; return once the client closes the connection."""
    sock = handler.connection
    end = time.monotonic() + HANG_MAX_S
    while time.monotonic() < end:
        r, _, _ = select.select([sock], [], [], 0.2)
        if r:
            try:
                if not sock.recv(4096):
                    break  # the client gave up
            except OSError:
                break
    _close(handler)


def stall(handler, data, ctype="application/json"):
    try:
        handler.send_response(200)
        handler.send_header("Content-Type", ctype)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data[:len(data) // 2])
        handler.wfile.flush()
    except OSError:
        pass
    hang(handler)


def huge(handler, size, ctype="application/json"):
    try:
        handler.send_response(200)
        handler.send_header("Content-Type", ctype)
        handler.send_header("Content-Length", str(size))
        handler.end_headers()
        handler.wfile.write(b'"')
        sent = 1
        block = b" " * CHUNK
        while sent < size - 1:
            n = min(CHUNK, size - 1 - sent)
            handler.wfile.write(block[:n])
            sent += n
        handler.wfile.write(b'"')
        handler.wfile.flush()
    except OSError:
        pass  # the client stopped reading at its cap
    _close(handler)


def corrupt_utf8(data, key=None):
    """data (a JSON text) with bytes that are not UTF-8 at the start of every string value (or
    only of the values of `key`), and of every text="..." attribute of XML held in a string."""
    name = rb'"[^"\\]*"' if key is None else re.escape(b'"%s"' % key.encode())
    data = re.sub(rb"(" + name + rb':\s*")', rb"\1" + BAD_BYTES, data)
    return data.replace(b'text=\\"', b'text=\\"' + BAD_BYTES)


def badutf8(handler, data=b'{"text": "caf\xc3 \xff\xfe"}', status=200):
    try:
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)
        handler.wfile.flush()
    except OSError:
        pass


def apply(handler, mode, size=0, data=b"{}"):
    """Answer with fault `mode` (one of MODES)."""
    if mode == "reset":
        reset(handler)
    elif mode == "truncate":
        truncate(handler, data)
    elif mode == "hang":
        hang(handler)
    elif mode == "stall":
        stall(handler, data)
    elif mode == "huge":
        huge(handler, size)
    elif mode == "badutf8":
        badutf8(handler, data)
    else:
        raise ValueError("unknown fault mode %r" % mode)
