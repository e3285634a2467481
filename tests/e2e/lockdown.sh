#!/usr/bin/env bash
# End to end: a protected server namespace locked down with the default
# policy, real clients inside and outside, a second tenant with its own
# policy, and everything answering again after `down`.
set -u
. "$(dirname "$0")/../lib.sh"
trap pc_cleanup EXIT

world_setup
world_add_srv2
SRV=$(ns srv)
SRV2=$(ns srv2)

# Servers outside: the edge (7844), the API (443), a stranger (443), DNS.
for a in $EDGE4 $EDGE6; do echo_server out $a 7844; done
for a in $API4 $API6 $OTHER4 $OTHER6; do echo_server out $a 443; done
echo_server out $DNS4 53
# Servers inside the protected hosts.
start_sshd srv 22 || fail "sshd did not start"
echo_server srv 0.0.0.0 8080
echo_server srv2 0.0.0.0 8080
wait_port out tcp 7844 && wait_port out udp 53 && wait_port srv tcp 8080

# Before lockdown everything answers.
check "before up: stranger reachable" tcp_echo srv $OTHER4 443
check "before up: inbound 8080 reachable" tcp_echo out $SRV4 8080

# up, from another directory, with the built-in default policy.
(cd / && "$PC" up --iface srv0 --netns "$SRV" --xdp) >"$PC_TMP/up.out" 2>&1
expect_eq "up exits 0" "$?" 0
"$PC" up --iface srv0 --netns "$SRV" --xdp >"$PC_TMP/up2.out" 2>&1
expect_eq "second up on the same interface exits 5" "$?" 5
check "second up says it is already up" grep -q "already up" "$PC_TMP/up2.out"
check "up --xdp on a veth warns of the copy, names the default" grep -q "without --xdp, up judges a veth's inbound at tc ingress" "$PC_TMP/up.out"
"$PC" up --iface srv2s0 --netns "$SRV2" --policy "$PC_ROOT/tests/policies/lab.yaml" --generic >"$PC_TMP/up3.out" 2>&1
expect_eq "up of a second namespace exits 0" "$?" 0
check "up with --generic does not warn" sh -c "! grep -q warning '$PC_TMP/up3.out'"

st=$("$PC" status --json)
mode=$(echo "$st" | $PY -c 'import json,sys; print([i["xdp_mode"] for i in json.load(sys.stdin) if i["netns"]=="'"$SRV"'"][0])')
expect_eq "status: srv0 uses native XDP" "$mode" native
mode=$(echo "$st" | $PY -c 'import json,sys; print([i["xdp_mode"] for i in json.load(sys.stdin) if i["netns"]=="'"$SRV2"'"][0])')
expect_eq "status: second tenant uses generic XDP" "$mode" generic
check "status table names the policy" sh -c "'$PC' status | grep -q 'built-in default'"

# Inbound: SSH only.
check "ssh over IPv4 works" ssh_run out $SRV4 22 "echo ok"
check "ssh over IPv6 works" ssh_run out $SRV6 22 "echo ok"
check_not "inbound TCP 8080 blocked" tcp_echo out $SRV4 8080
check_not "inbound UDP 8080 blocked" udp_echo out $SRV4 8080
check_not "inbound TCP 8080 over IPv6 blocked" tcp_echo out $SRV6 8080

# Outbound: the allowlist only.
check "out: TCP to edge:7844" tcp_echo srv $EDGE4 7844
check "out: UDP to edge:7844 (QUIC)" udp_echo srv $EDGE4 7844
check "out: TCP to edge v6 :7844" tcp_echo srv "[$EDGE6]" 7844
check "out: UDP to edge v6 :7844" udp_echo srv "[$EDGE6]" 7844
check "out: TCP to api.cloudflare.com:443" tcp_echo srv $API4 443
check "out: TCP to api v6 :443" tcp_echo srv "[$API6]" 443
check "out: DNS (UDP 53) to the resolver" udp_echo srv $DNS4 53
check_not "out: stranger :443 blocked" tcp_echo srv $OTHER4 443
check_not "out: stranger v6 :443 blocked" tcp_echo srv "[$OTHER6]" 443
check_not "out: UDP to api:443 blocked" udp_echo srv $API4 443
check_not "out: DNS to a stranger blocked" udp_echo srv $OTHER4 53

# Each family has its own flow table: both hold the flows just made.
fam=$("$PC" status --json | $PY -c 'import json,sys; i=[i for i in json.load(sys.stdin) if i["netns"]=="'"$SRV"'"][0]; print(int(i["flows_ipv4"]>0), int(i["flows_ipv6"]>0), int(i["flows"]==i["flows_ipv4"]+i["flows_ipv6"]))')
expect_eq "status: IPv4 and IPv6 flow tables both hold flows" "$fam" "1 1 1"
check "flows lists the IPv4 and the IPv6 edge flows" sh -c "'$PC' flows --netns '$SRV' | grep -q '$EDGE4' && '$PC' flows --netns '$SRV' | grep -q '$EDGE6'"

# Scans from outside see only 22.
open=$(in_ns out timeout 120 nmap -n -Pn -sS -T5 --max-retries 1 -p 1-1024,7844,8080 -oG - $SRV4 |
	grep -o '[0-9]*/open/' | cut -d/ -f1 | tr '\n' ' ')
expect_eq "nmap SYN scan: only 22 open" "$open" "22 "
open=$(in_ns out timeout 120 nmap -6 -n -Pn -sS -T5 --max-retries 1 -p 1-1024,8080 -oG - $SRV6 |
	grep -o '[0-9]*/open/' | cut -d/ -f1 | tr '\n' ' ')
expect_eq "nmap SYN scan over IPv6: only 22 open" "$open" "22 "
unf=$(in_ns out timeout 120 nmap -n -Pn -sA -T5 --max-retries 1 -p 20-30,80,443,8080 -oG - $SRV4 |
	grep -c 'unfiltered' || true)
expect_eq "nmap ACK scan: nothing unfiltered" "$unf" 0

# hping3 bursts: the counters match the packet count exactly.
before=$(counter srv srv0 in_no_flow)
in_ns out timeout 20 hping3 -q -A -p 80 -c 300 -i u200 $SRV4 >/dev/null 2>&1
after=$(counter srv srv0 in_no_flow)
expect_eq "hping3 300 ACKs -> in_no_flow +300" "$((after - before))" 300
before=$(counter srv srv0 in_default_drop)
in_ns out timeout 20 hping3 -q -S -p 81 -c 300 -i u200 $SRV4 >/dev/null 2>&1
after=$(counter srv srv0 in_default_drop)
expect_eq "hping3 300 SYNs to 81 -> in_default_drop +300" "$((after - before))" 300
before=$(counter srv srv0 in_ssh_new)
in_ns out timeout 20 hping3 -q -S -s 5000 -p 22 -c 50 -i u2000 $SRV4 >/dev/null 2>&1
after=$(counter srv srv0 in_ssh_new)
expect_eq "hping3 50 SYNs to 22 -> in_ssh_new +50" "$((after - before))" 50
before=$(counter srv srv0 in_martian)
in_ns out timeout 20 hping3 -q -S -a 127.0.0.1 -p 22 -c 40 -i u2000 $SRV4 >/dev/null 2>&1
after=$(counter srv srv0 in_martian)
expect_eq "hping3 40 spoofed-loopback SYNs -> in_martian +40" "$((after - before))" 40

# Per-rule counters and JSON shape.
n=$(counter srv srv0 tunnel-region1)
check "rule tunnel-region1 counted traffic" test "$n" -gt 0
n=$(counter srv srv0 api-cloudflare)
check "rule api-cloudflare counted traffic" test "$n" -gt 0
n=$(counter srv srv0 out_default_drop)
check "out_default_drop counted the blocked attempts" test "$n" -gt 0
check "stats JSON: every row has name/direction/action/packets/bytes" sh -c \
	"'$PC' stats --json | $PY -c 'import json,sys
d=json.load(sys.stdin)
rows=[r for i in d for r in i[\"rules\"]]
names={r[\"name\"] for r in rows}
assert all({\"name\",\"direction\",\"action\",\"packets\",\"bytes\"} <= set(r) for r in rows)
assert {\"in_arp\",\"in_ndp\",\"in_established\",\"in_ssh_new\",\"in_martian\",\"in_malformed\",\"in_default_drop\",\"out_default_drop\",\"out_ssh_reply\",\"dns\",\"tunnel-region1\",\"lab-web\"} <= names
assert all(r[\"direction\"] in (\"ingress\",\"egress\") and r[\"action\"] in (\"pass\",\"drop\") for r in rows)'"
check "stats table has upper-case headers" sh -c "'$PC' stats --netns '$SRV' | grep -q '^RULE *DIR *ACTION'"

# The second tenant: its own policy, counters and pins.
check "srv2: stranger :443 allowed by its policy" tcp_echo srv2 $OTHER4 443
check_not "srv2: edge :7844 blocked by its policy" tcp_echo srv2 $EDGE4 7844
n=$(counter srv2 srv2s0 lab-web)
check "srv2: lab-web counted" test "$n" -gt 0
n=$(counter srv2 srv2s0 tunnel-region1 2>/dev/null || true)
expect_eq "srv2 has no tunnel rule" "$n" missing

# down on srv leaves srv2 alone.
"$PC" down --iface srv0 --netns "$SRV" >/dev/null
expect_eq "down exits 0" "$?" 0
check_not "down removed the pins" test -e "/sys/fs/bpf/portcullis/$SRV/srv0"
check_not "down detached XDP" sh -c "ip -n '$SRV' link show srv0 | grep -q xdp"
check_not "down removed the tc filter" sh -c "tc -n '$SRV' filter show dev srv0 egress | grep -q bpf"
check "after down: stranger reachable again" tcp_echo srv $OTHER4 443
check "after down: inbound 8080 reachable again" tcp_echo out $SRV4 8080
open=$(in_ns out timeout 60 nmap -n -Pn -sS -T5 -p 22,8080 -oG - $SRV4 |
	grep -o '[0-9]*/open/' | cut -d/ -f1 | tr '\n' ' ')
expect_eq "after down: nmap sees 22 and 8080" "$open" "22 8080 "
check "srv2 still up after srv's down" test -e "/sys/fs/bpf/portcullis/$SRV2/srv2s0/xdp_link"
check_not "srv2 still enforcing" tcp_echo srv2 $EDGE4 7844
"$PC" down --iface srv0 --netns "$SRV" >/dev/null 2>&1
expect_eq "down of an interface that is not up exits 5" "$?" 5
# pins of another portcullis version (here: one map fewer) still come down
rm -f "/sys/fs/bpf/portcullis/$SRV2/srv2s0/local_bloom"
"$PC" down --iface srv2s0 --netns "$SRV2" >/dev/null
expect_eq "down of the second tenant (a map pin missing) exits 0" "$?" 0
check "down removed its pins" sh -c "! test -e /sys/fs/bpf/portcullis/$SRV2/srv2s0"
check "srv2 reachable after its down" tcp_echo srv2 $EDGE4 7844

summary
