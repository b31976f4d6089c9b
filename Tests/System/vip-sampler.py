#!/usr/bin/env python3
"""Samples whether an IPv4 address is present in two network namespaces, every 20 ms.

    vip-sampler.py VIP NETNS OUT STOPFILE MAX_SECONDS

One line per sample: "<monotonic seconds> <in this namespace 0|1> <in NETNS 0|1>". Both
namespaces are read in the same turn through two rtnetlink sockets (one opened here, one
after setns into /run/netns/NETNS), each an RTM_GETADDR dump of every interface, so a
sample costs well under a millisecond and the two readings are taken together. Ends when
STOPFILE exists or after MAX_SECONDS. Prints "sampler ready" on stderr once both are open.
"""
import ctypes
import os
import socket
import struct
import sys
import time

RTM_NEWADDR, RTM_GETADDR = 20, 22
NLMSG_ERROR, NLMSG_DONE = 2, 3
NLM_F_REQUEST_DUMP = 0x301
IFA_ADDRESS, IFA_LOCAL = 1, 2
CLONE_NEWNET = 0x40000000


def route_socket():
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)   # NETLINK_ROUTE
    s.bind((0, 0))
    return s


def addresses(s, seq):
    s.send(struct.pack("=LHHLL", 24, RTM_GETADDR, NLM_F_REQUEST_DUMP, seq, 0)
           + struct.pack("=BBBBL", socket.AF_INET, 0, 0, 0, 0))
    found = set()
    while True:
        data = s.recv(65536)
        off = 0
        while off + 16 <= len(data):
            length, kind, _, _, _ = struct.unpack_from("=LHHLL", data, off)
            if kind == NLMSG_DONE:
                return found
            if kind == NLMSG_ERROR:
                raise OSError("RTM_GETADDR dump failed")
            if kind == RTM_NEWADDR:
                a, end = off + 24, off + length
                while a + 4 <= end:
                    rlen, rtype = struct.unpack_from("=HH", data, a)
                    if rlen < 4:
                        break
                    if rtype in (IFA_ADDRESS, IFA_LOCAL) and rlen >= 8:
                        found.add(socket.inet_ntoa(data[a + 4:a + 8]))
                    a += (rlen + 3) & ~3
            off += (length + 3) & ~3


def main():
    vip, netns, out, stopfile, limit = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5])
    here = route_socket()
    libc = ctypes.CDLL(None, use_errno=True)
    with open(f"/run/netns/{netns}") as ns:
        if libc.setns(ns.fileno(), CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns")
    there = route_socket()
    print("sampler ready", file=sys.stderr, flush=True)
    end = time.monotonic() + limit
    seq = 0
    with open(out, "w") as f:
        while time.monotonic() < end and not os.path.exists(stopfile):
            t = time.monotonic()
            seq += 1
            a = vip in addresses(here, seq)
            b = vip in addresses(there, seq)
            f.write(f"{t:.3f} {int(a)} {int(b)}\n")
            f.flush()
            time.sleep(max(0.0, 0.02 - (time.monotonic() - t)))


if __name__ == "__main__":
    main()
