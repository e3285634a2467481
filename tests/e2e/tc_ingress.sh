#!/usr/bin/env bash
# End to end: inbound judged at tc clsact ingress instead of XDP (what `up`
# chooses on a veth by itself, `--tc` anywhere). The same lockdown with
# real clients, the peer keeps its segmentation offload, a bulk download
# arrives whole, and `down` removes the ingress filter.
set -u
. "$(dirname "$0")/../lib.sh"
trap pc_cleanup EXIT

world_setup
SRV=$(ns srv)
BULK=20000000

# Outside: the edge sends BULK bytes on TCP 7844 and echoes UDP 7844; a
# stranger on 443; the resolver.
bg out socat TCP4-LISTEN:7844,bind=$EDGE4,reuseaddr,fork \
	SYSTEM:"head -c $BULK /dev/zero"
bg out socat UDP4-RECVFROM:7844,bind=$EDGE4,reuseaddr,fork EXEC:cat
echo_server out $OTHER4 443
echo_server out $DNS4 53
start_sshd srv 22 || fail "sshd did not start"
echo_server srv 0.0.0.0 8080
wait_port out tcp 7844 && wait_port out udp 53 && wait_port srv tcp 8080

# No flag: a veth's inbound is judged at tc ingress (XDP would copy).
"$PC" up --iface srv0 --netns "$SRV" >"$PC_TMP/up.out" 2>&1
expect_eq "up on a veth exits 0" "$?" 0
check "up on a veth chooses tc ingress by itself" grep -q "up (tc ingress, tc egress)" "$PC_TMP/up.out"
check "up on a veth does not warn" sh -c "! grep -q warning '$PC_TMP/up.out'"
"$PC" up --iface srv0 --netns "$SRV" --tc --generic >/dev/null 2>&1
expect_eq "up --tc --generic is a usage error (exit 2)" "$?" 2
"$PC" up --iface srv0 --netns "$SRV" --xdp --tc >/dev/null 2>&1
expect_eq "up --xdp --tc is a usage error (exit 2)" "$?" 2
mode=$("$PC" status --json | $PY -c 'import json,sys; print([i["xdp_mode"] for i in json.load(sys.stdin) if i["netns"]=="'"$SRV"'"][0])')
expect_eq "status: ingress mode tc" "$mode" tc
check "status table shows INGRESS tc" sh -c "'$PC' status | grep -q '^NETNS *IFACE *INGRESS' && '$PC' status | grep '$SRV' | grep -qw tc"
check "a bpf filter on tc ingress" sh -c "tc -n '$SRV' filter show dev srv0 ingress | grep -q bpf"
check_not "no XDP program on the link" sh -c "ip -n '$SRV' link show srv0 | grep -q xdp"
check "the peer keeps TSO (XDP on a veth turns it off)" sh -c \
	"ip netns exec '$(ns out)' ethtool -k o0 | grep -q '^tcp-segmentation-offload: on'"

# Inbound: SSH only.
check "ssh over IPv4 works" ssh_run out $SRV4 22 "echo ok"
check "ssh over IPv6 works" ssh_run out $SRV6 22 "echo ok"
check_not "inbound TCP 8080 blocked" tcp_echo out $SRV4 8080
check_not "inbound UDP 8080 blocked" udp_echo out $SRV4 8080
check_not "inbound TCP 8080 over IPv6 blocked" tcp_echo out $SRV6 8080
open=$(in_ns out timeout 120 nmap -n -Pn -sS -T5 --max-retries 1 -p 1-1024,8080 -oG - $SRV4 |
	grep -o '[0-9]*/open/' | cut -d/ -f1 | tr '\n' ' ')
expect_eq "nmap SYN scan: only 22 open" "$open" "22 "
before=$(counter srv srv0 in_no_flow)
in_ns out timeout 20 hping3 -q -A -p 80 -c 200 -i u200 $SRV4 >/dev/null 2>&1
after=$(counter srv srv0 in_no_flow)
expect_eq "hping3 200 ACKs -> in_no_flow +200" "$((after - before))" 200

# Outbound: the allowlist, and the replies come back through tc ingress.
before=$(counter srv srv0 in_established)
got=$(in_ns srv timeout 20 socat -u TCP:$EDGE4:7844,connect-timeout=3 - | wc -c)
expect_eq "bulk download from edge:7844 arrives whole" "$got" "$BULK"
after=$(counter srv srv0 in_established)
check "the download's segments counted in_established" test "$((after - before))" -gt 10
check "out: UDP to edge:7844 (QUIC)" udp_echo srv $EDGE4 7844
check "out: DNS (UDP 53) to the resolver" udp_echo srv $DNS4 53
check_not "out: stranger :443 blocked" tcp_echo srv $OTHER4 443

# down removes the ingress filter and the pins.
"$PC" down --iface srv0 --netns "$SRV" >/dev/null
expect_eq "down exits 0" "$?" 0
check_not "down removed the tc ingress filter" sh -c "tc -n '$SRV' filter show dev srv0 ingress | grep -q bpf"
check_not "down removed the tc egress filter" sh -c "tc -n '$SRV' filter show dev srv0 egress | grep -q bpf"
check_not "down removed the pins" test -e "/sys/fs/bpf/portcullis/$SRV/srv0"
check "after down: inbound 8080 reachable again" tcp_echo out $SRV4 8080
check "after down: stranger reachable again" tcp_echo srv $OTHER4 443
summary
