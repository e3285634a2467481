#!/usr/bin/python3
"""Keep one TCP and one UDP flow to an echo server busy for SECONDS:
a message every 50 ms on each, and report how many round trips failed and
the longest gap. Usage: flowkeeper.py HOST PORT SECONDS [tcp]
(with tcp: the TCP flow only)"""
import signal
import socket
import sys
import time

host, port, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
tcp = socket.create_connection((host, port), timeout=2)
tcp.settimeout(1)
socks = [("tcp", tcp)]
if sys.argv[4:] != ["tcp"]:
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.connect((host, port))
    udp.settimeout(1)
    socks.append(("udp", udp))
end = time.monotonic() + seconds


def stop(signum, frame):
    global end
    end = 0


signal.signal(signal.SIGTERM, stop)
stats = {name: [0, 0, 0.0] for name, _ in socks}  # ok, failed, longest gap
last = {name: time.monotonic() for name, _ in socks}
i = 0
while time.monotonic() < end:
    i += 1
    msg = b"m%08d\n" % i
    for name, sock in socks:
        try:
            sock.send(msg)
            got = b""
            while len(got) < len(msg):
                chunk = sock.recv(len(msg) - len(got))
                if not chunk:
                    raise OSError("closed")
                got += chunk
            ok = got == msg
        except OSError:
            ok = False
        now = time.monotonic()
        if ok:
            stats[name][2] = max(stats[name][2], now - last[name])
            last[name] = now
            stats[name][0] += 1
        else:
            stats[name][1] += 1
            if name == "tcp":
                break
    time.sleep(0.05)
for name, (ok, failed, gap) in stats.items():
    print(f"{name} ok={ok} failed={failed} max_gap_ms={int(gap * 1000)}", flush=True)
