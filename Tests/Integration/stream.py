#!/usr/bin/env python3
"""A TCP stream for the handover drill (Python 3 standard library only).

    stream.py serve ADDRESS PORT SECONDS
        echoes every connection's bytes back; prints "listening" once it accepts; exits
        after SECONDS.
    stream.py send ADDRESS PORT SECONDS
        connects (prints "connected"), sends a small timestamped line every 5 ms and reads the echoes back.
        Stops sending after SECONDS or at SIGINT/SIGTERM, then waits (1 s at most) for the
        echoes still on the way, and prints one line:
            sent N echoed M longest_gap_ms X broken 0|1
        longest_gap_ms: the longest time between two echoes received (the first one counted
        from the connection, the last one up to the moment sending stopped): how long the
        stream stalled. broken 1: the connection failed (reset, refused, closed by the peer).
"""
import select
import signal
import socket
import sys
import time

PERIOD = 0.005


def serve(address, port, seconds):
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((address, port))
    listener.listen(8)
    listener.setblocking(False)
    print("listening", flush=True)
    deadline = time.monotonic() + seconds
    peers = {}  # socket -> bytes not yet echoed
    while time.monotonic() < deadline:
        readers = [listener] + list(peers)
        writers = [s for s, pending in peers.items() if pending]
        r, w, _ = select.select(readers, writers, [], 0.2)
        for s in r:
            if s is listener:
                conn, _ = listener.accept()
                conn.setblocking(False)
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                peers[conn] = b""
                continue
            try:
                data = s.recv(65536)
            except OSError:
                data = b""
            if not data:
                peers.pop(s, None)
                s.close()
                continue
            peers[s] += data
        for s in w:
            if s not in peers:
                continue
            try:
                n = s.send(peers[s])
                peers[s] = peers[s][n:]
            except BlockingIOError:
                pass
            except OSError:
                peers.pop(s, None)
                s.close()
    return 0


def send(address, port, seconds):
    stopping = []
    signal.signal(signal.SIGINT, lambda *_: stopping.append(1))
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(1))
    sent = echoed = 0
    broken = 0
    longest = 0.0
    try:
        s = socket.create_connection((address, port), timeout=5)
    except OSError as e:
        print("connect failed: %s" % e, file=sys.stderr)
        print("sent 0 echoed 0 longest_gap_ms 0.0 broken 1", flush=True)
        return 1
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.setblocking(False)
    print("connected", flush=True)
    start = time.monotonic()
    last_echo = start
    deadline = start + seconds
    next_send = start
    outgoing = b""
    incoming = b""
    stop_sending = None  # when sending stopped
    while True:
        now = time.monotonic()
        if stop_sending is None and (stopping or now >= deadline):
            stop_sending = now
            longest = max(longest, now - last_echo)
        if stop_sending is not None and (echoed >= sent or now >= stop_sending + 1.0):
            break
        if stop_sending is None and now >= next_send:
            outgoing += b"%d %.6f\n" % (sent, time.time())
            sent += 1
            next_send += PERIOD
            if next_send < now:  # late (a slow box): no burst to catch up
                next_send = now + PERIOD
        timeout = 0.05 if stop_sending is not None else max(0.0, next_send - time.monotonic())
        try:
            r, w, _ = select.select([s], [s] if outgoing else [], [], timeout)
            if w:
                n = s.send(outgoing)
                outgoing = outgoing[n:]
            if r:
                data = s.recv(65536)
                if not data:
                    broken = 1
                    break
                incoming += data
                lines = incoming.count(b"\n")
                if lines:
                    incoming = incoming[incoming.rfind(b"\n") + 1:]
                    t = time.monotonic()
                    if stop_sending is None:
                        longest = max(longest, t - last_echo)
                    last_echo = t
                    echoed += lines
        except BlockingIOError:
            pass
        except OSError as e:
            print("stream failed: %s" % e, file=sys.stderr)
            broken = 1
            break
    s.close()
    print("sent %d echoed %d longest_gap_ms %.1f broken %d" % (sent, echoed, longest * 1000, broken), flush=True)
    return 0


def main():
    if len(sys.argv) != 5 or sys.argv[1] not in ("serve", "send"):
        print(__doc__, file=sys.stderr)
        return 2
    mode, address, port, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    return serve(address, port, seconds) if mode == "serve" else send(address, port, seconds)


if __name__ == "__main__":
    sys.exit(main())
