#!/usr/bin/python3
"""Keep one TCP and one UDP flow to an echo server busy for SECONDS:
a message every 50 ms on each, and report how many round trips failed and
the longest gap. Usage: flowkeeper.py HOST PORT SECONDS"""
import signal
import socket
import sys
import time

host, port, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
tcp = socket.create_connection((host, port), timeout=2)
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
udp.connect((host, port))
tcp.settimeout(1)
udp.settimeout(1)
end = time.monotonic() + seconds


def stop(signum, frame):
    global end
    end = 0


signal.signal(signal.SIGTERM, stop)
stats = {"tcp": [0, 0, 0.0], "udp": [0, 0, 0.0]}  # ok, failed, longest gap
last = {"tcp": time.monotonic(), "udp": time.monotonic()}
i = 0
while time.monotonic() < end:
    i += 1
    msg = b"m%08d\n" % i
    for name, sock in (("tcp", tcp), ("udp", udp)):
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
