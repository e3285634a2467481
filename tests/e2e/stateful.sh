#!/usr/bin/env bash
# End to end, stateful: connections open before up survive it, UDP and ICMP
# echo round trips, fragmented replies, related ICMP errors, scans and
# forged packets that must never reach the server's stack.
set -u
. "$(dirname "$0")/../lib.sh"
trap pc_cleanup EXIT

world_setup
SRV=$(ns srv)
EDGE2=198.41.200.13
EDGE3=198.41.200.14
ip -n "$(ns out)" addr add $EDGE2/32 dev lo
ip -n "$(ns out)" addr add $EDGE3/32 dev lo
POLICY="$PC_ROOT/tests/policies/stateful.yaml"

echo_server out $EDGE4 7844
echo_server out $EDGE6 7844
# A pushing server: sends a line every 0.3 s without being asked.
bg out socat TCP4-LISTEN:7844,bind=$EDGE2,reuseaddr,fork \
	SYSTEM:'while sleep 0.3; do echo tick; done'
# Large UDP replies: 4000 bytes, so they arrive as 3 fragments (MTU 1500).
for a in $OTHER4 "[$OTHER6]"; do
	fam=4
	case "$a" in \[*) fam=6 ;; esac
	bg out socat UDP$fam-RECVFROM:5000,bind=$a,reuseaddr,fork \
		SYSTEM:"head -c 4000 /dev/zero | tr '\\\\0' x"
done
# A bulk sender: 8 MiB, then its FIN.
bg out socat -U TCP4-LISTEN:7844,bind=$EDGE3,reuseaddr,fork \
	SYSTEM:'head -c 8388608 /dev/zero'
start_sshd srv 22 || fail "sshd did not start"
wait_port out tcp 7844 && wait_port out udp 5000

# --- Connections open before up.
in_ns srv timeout 15 socat -u TCP:$EDGE2:7844 - >"$PC_TMP/ticks" 2>/dev/null &
ticker=$!
ssh_run out $SRV4 22 'for i in 1 2 3 4 5 6 7 8; do echo line$i; sleep 0.4; done' \
	>"$PC_TMP/ssh.out" 2>&1 &
sshpid=$!
sleep 1
"$PC" up --iface srv0 --netns "$SRV" --xdp --policy "$POLICY" >"$PC_TMP/up.out" 2>&1
expect_eq "up exits 0" "$?" 0
check "up adopted the open tunnel connection" grep -q "[1-9][0-9]* connections adopted" "$PC_TMP/up.out"
n0=$(wc -l <"$PC_TMP/ticks")
sleep 2
n1=$(wc -l <"$PC_TMP/ticks")
check "pushed data on a connection open before up keeps arriving" test $((n1 - n0)) -ge 4
wait $sshpid
check "SSH session open before up keeps working" grep -q line8 "$PC_TMP/ssh.out"
kill $ticker 2>/dev/null
check "flows lists the adopted connection" sh -c "'$PC' flows --netns '$SRV' | grep '$EDGE2:7844' | grep -q adopted"
# A live flow's deadline is its last stamp plus the timeout of its state
# (the default timeouts: the policy sets none): idle + time left.
check "flows --json: idle time plus time left is the state's timeout" "$PY" -c "
import json, subprocess
f = json.loads(subprocess.check_output(['$PC', 'flows', '--netns', '$SRV', '--json']))
t = {('tcp', 'new'): 30, ('tcp', 'established'): 7440, ('tcp', 'fin-wait'): 120,
     ('tcp', 'closed'): 10, ('udp', 'new'): 180, ('udp', 'established'): 180}
live = [x for x in f if x['state'] != 'expired']
assert live, f
for x in live:
    want = t.get((x['proto'], x['state']), 30)
    assert abs(x['idle_s'] + x['expires_in_s'] - want) < 1, x
"
check "flows: the adopted connection has its established timeout left" sh -c "'$PC' flows --netns '$SRV' --json | $PY -c 'import json,sys; f=[x for x in json.load(sys.stdin) if x[\"adopted\"]]; assert f and all(7000 < x[\"expires_in_s\"] <= 7440 for x in f), f'"

# --- A download: the server's ACKs reach the flow once per 128 KiB
# (PC_TCP_ACK_SLACK), and the peer's FIN 8 MiB later still fits the
# window. Were it refused, the server would never see the end of the data
# and socat would run into its timeout.
before=$(counter srv srv0 in_tcp_invalid)
in_ns srv timeout 20 socat -u TCP:$EDGE3:7844 - >"$PC_TMP/bulk"
expect_eq "an 8 MiB download ends with the peer's FIN (socat exits 0)" "$?" 0
expect_eq "  ... with every byte" "$(wc -c <"$PC_TMP/bulk")" 8388608
expect_eq "  ... and no packet of it was refused as out of window" \
	"$(counter srv srv0 in_tcp_invalid)" "$before"
rm -f "$PC_TMP/bulk"

# --- UDP and ICMP echo out and back.
check "UDP to edge:7844 and back" udp_echo srv $EDGE4 7844
check "ping edge (IPv4) and back" in_ns srv ping -c 2 -i 0.2 -W 1 $EDGE4
check "ping edge (IPv6) and back" in_ns srv ping -6 -c 2 -i 0.2 -W 1 $EDGE6
check_not "ping a stranger is blocked" in_ns srv ping -c 1 -W 1 $OTHER4
check "flows shows the echo flow" sh -c "'$PC' flows --netns '$SRV' | grep -q '^icmp '"

# --- Neighbour discovery keeps working after the caches are flushed.
in_ns srv ip neigh flush all
in_ns out ip neigh flush all
check "after neighbour flush: IPv4 (ARP) flow works" udp_echo srv $EDGE4 7844
check "after neighbour flush: IPv6 (NDP) flow works" tcp_echo srv "[$EDGE6]" 7844
check "after neighbour flush: ssh over IPv6 from outside" ssh_run out $SRV6 22 true
n=$(counter srv srv0 in_ndp)
check "in_ndp counted the neighbour advertisements" test "$n" -ge 1

# --- Large UDP replies arrive fragmented and reach the socket whole.
big_udp() {
	in_ns srv /usr/bin/python3 - "$1" "$2" <<'EOP'
import socket, sys
fam = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
s.settimeout(3)
s.connect((sys.argv[1], int(sys.argv[2])))
s.send(b"x")
print(len(s.recv(65535)))
EOP
}
before=$(counter srv srv0 in_fragment)
expect_eq "4000-byte UDP reply over IPv4 arrives whole" "$(big_udp $OTHER4 5000)" 4000
expect_eq "4000-byte UDP reply over IPv6 arrives whole" "$(big_udp $OTHER6 5000)" 4000
after=$(counter srv srv0 in_fragment)
check "later fragments were counted as in_fragment" test $((after - before)) -ge 4

# --- A real port unreachable for the server's own UDP flow.
refused() {
	in_ns srv /usr/bin/python3 - "$1" <<'EOP'
import socket, sys
fam = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
s.settimeout(3)
s.connect((sys.argv[1], 5001))
s.send(b"x")
try:
    s.recv(100)
    print("answered")
except ConnectionRefusedError:
    print("refused")
except socket.timeout:
    print("timeout")
EOP
}
before=$(counter srv srv0 in_icmp_related)
expect_eq "port unreachable reaches the socket (IPv4): ECONNREFUSED" "$(refused $OTHER4)" refused
expect_eq "port unreachable reaches the socket (IPv6): ECONNREFUSED" "$(refused $OTHER6)" refused
after=$(counter srv srv0 in_icmp_related)
check "in_icmp_related counted both" test $((after - before)) -ge 2

# --- Scans see nothing.
for scan in -sA -sF -sN -sX; do
	res=$(in_ns out timeout 120 nmap -n -Pn $scan -T5 --max-retries 1 -p 20-25,80,443,7844 -oG - $SRV4 |
		grep -oE '[0-9]+/(closed|unfiltered|open)/' | tr '\n' ' ')
	expect_eq "nmap $scan learns nothing (no closed/unfiltered port)" "$res" ""
done
open=$(in_ns out timeout 120 nmap -n -Pn -sS -f -T5 --max-retries 1 -p 20-25,80,443 -oG - $SRV4 |
	grep -o '[0-9]*/open/' | cut -d/ -f1 | grep -v '^22$' | tr '\n' ' ')
expect_eq "nmap -f (fragmented SYN scan) finds no open port but 22" "$open" ""

# --- Forged packets never reach the stack (capture inside the server).
in_ns srv timeout 8 tcpdump -i srv0 -n -U -w "$PC_TMP/cap.pcap" \
	'not arp and not icmp6 and not (tcp port 22) and not host ' >/dev/null 2>&1 &
cap=$!
sleep 1.5
in_ns out timeout 10 hping3 -q -A -p 80 -c 20 -i u1000 $SRV4 >/dev/null 2>&1
in_ns out timeout 10 hping3 -q -F -p 443 -c 20 -i u1000 $SRV4 >/dev/null 2>&1
in_ns out timeout 10 hping3 -q -SA -s 7844 -p 40000 -c 20 -i u1000 -a $EDGE4 $SRV4 >/dev/null 2>&1
in_ns out timeout 10 hping3 -q -2 -s 7844 -p 40001 -c 20 -i u1000 -a $EDGE4 $SRV4 >/dev/null 2>&1
in_ns out /usr/bin/python3 -c "
from scapy.all import IP, ICMP, UDP, TCP, send
q = IP(src='$SRV4', dst='$EDGE4')
send(IP(src='$EDGE4', dst='$SRV4')/ICMP(type=3, code=3)/q/UDP(sport=1234, dport=7844), count=10, verbose=0)
send(IP(src='$EDGE4', dst='$SRV4')/ICMP(type=3, code=4)/IP(src='$EDGE4', dst='$SRV4')/TCP(sport=7844, dport=1234), count=10, verbose=0)
send(IP(src='$OTHER4', dst='$SRV4', flags='MF', frag=0, id=777)/UDP(sport=53, dport=5353)/('y'*40), count=1, verbose=0)
send(IP(src='$OTHER4', dst='$SRV4', frag=20, id=778, proto=17)/('z'*64), count=10, verbose=0)
" 2>/dev/null
wait $cap
tcpdump -r "$PC_TMP/cap.pcap" -n 2>/dev/null | grep "$SRV4" | head -5
n=$(tcpdump -r "$PC_TMP/cap.pcap" -n 2>/dev/null | grep -c "$SRV4" || true)
expect_eq "forged ACK/FIN/SYN-ACK/UDP/ICMP/fragments never seen inside the server" "$n" 0
n=$(counter srv srv0 in_icmp_unrelated)
check "forged ICMP errors counted as in_icmp_unrelated" test "$n" -ge 20
n=$(counter srv srv0 in_bad_fragment)
check "orphan fragments counted as in_bad_fragment" test "$n" -ge 10

"$PC" down --iface srv0 --netns "$SRV" >/dev/null
expect_eq "down exits 0" "$?" 0
summary
