#!/usr/bin/python3
"""Send crafted probes at a target and say, per probe, whether anything
came back ("pass": the target's stack saw it) or not ("drop").
Usage: probe.py TARGET_IP; prints "NAME VERDICT" lines."""
import sys

from scapy.all import ICMP, IP, TCP, UDP, conf, sr1

conf.verb = 0
target = sys.argv[1]

PROBES = [
    ("syn-22", TCP(sport=41000, dport=22, flags="S")),
    ("syn-80", TCP(sport=41001, dport=80, flags="S")),
    ("ack-80", TCP(sport=41002, dport=80, flags="A", ack=1)),
    ("ack-22-no-conn", TCP(sport=41003, dport=22, flags="A", ack=1)),
    ("fin-80", TCP(sport=41004, dport=80, flags="F")),
    ("null-80", TCP(sport=41005, dport=80, flags="")),
    ("xmas-80", TCP(sport=41006, dport=80, flags="FPU")),
    ("syn-from-22-to-1234", TCP(sport=22, dport=1234, flags="S")),
    ("synack-from-443", TCP(sport=443, dport=41007, flags="SA", ack=1)),
    ("udp-53", UDP(sport=41008, dport=53)),
    ("udp-from-53", UDP(sport=53, dport=41009)),
    ("icmp-echo", ICMP(type=8, id=77)),
]

for name, l4 in PROBES:
    ans = sr1(IP(dst=target) / l4, timeout=0.6, retry=1)
    print(name, "pass" if ans is not None else "drop")
