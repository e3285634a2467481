#!/usr/bin/env bash
# Host names end to end: dnsmasq in the outside namespace answers with short
# TTLs; an application that resolves and connects at once is never
# dropped (the kernel learns the answer), `refresh` follows the answers in
# both directions, SRV targets are allowed, a dead resolver keeps the
# last good addresses, and a reload that changes the rule's port ends the
# flows it no longer allows.
set -u
. "$(dirname "$0")/../lib.sh"
trap pc_cleanup EXIT

world_setup
SRV=$(ns srv)
HOSTS=$PC_TMP/hosts
for i in $(seq 10 40); do ip -n "$(ns out)" addr add 203.0.113.$i/32 dev lo; done
bg out socat TCP4-LISTEN:443,reuseaddr,fork EXEC:cat
bg out socat TCP4-LISTEN:8443,reuseaddr,fork EXEC:cat
echo "203.0.113.10 app.example.test" >"$HOSTS"
echo "203.0.113.40 srvtarget.example.test" >>"$HOSTS"
dns_start() {
	bg out dnsmasq --no-daemon --no-resolv --no-hosts --conf-file=/dev/null \
		--listen-address=$DNS4 --bind-interfaces --addn-hosts="$HOSTS" \
		--local-ttl=2 --user=root --pid-file= \
		--srv-host=_app._tcp.example.test,srvtarget.example.test,8443
	wait_port out udp 53
}
dns_pid() { pgrep -f "dnsmasq.*--addn-hosts=$HOSTS"; }
# answer NAME with ADDRESS from now on (dnsmasq rereads its hosts on HUP)
dns_answer() {
	echo "$1 app.example.test" >"$HOSTS"
	echo "203.0.113.40 srvtarget.example.test" >>"$HOSTS"
	kill -HUP "$(dns_pid)"
}
dns_start
wait_port out tcp 443

"$PC" up --iface srv0 --netns "$SRV" --xdp --policy "$PC_ROOT/tests/policies/names.yaml" >/dev/null
expect_eq "up with a policy naming hosts" "$?" 0
names_json() { "$PC" names --netns "$SRV" --json; }
addrs_of() {
	names_json | $PY -c '
import json, sys
for i in json.load(sys.stdin):
    for n in i["names"]:
        if n["name"] == sys.argv[1]:
            print(" ".join(sorted(a["address"] + "/" + a["source"] for a in n["addresses"] if a["expires"] != "expired")))' "$1"
}

check_not "before any lookup 203.0.113.10:443 is closed" tcp_echo srv 203.0.113.10 443 0.5

# An application: resolve through the system resolver, connect at once,
# one SYN only (a retransmission would hide a drop).
app_connect() {
	in_ns srv "$PY" - <<'EOP'
import socket, sys
addr = socket.getaddrinfo("app.example.test", 443, socket.AF_INET, socket.SOCK_STREAM)[0][4]
s = socket.socket()
s.settimeout(0.8)
try:
    s.connect(addr)
    print(addr[0])
except OSError:
    print("failed", addr[0])
EOP
}
got=$(app_connect)
expect_eq "resolve and connect at once: the first SYN gets through" "$got" 203.0.113.10
check "names shows the snooped address" sh -c "'$PC' names --netns '$SRV' | grep -q '203.0.113.10 .*snooped'"

ok_count=0
for i in $(seq 11 30); do
	dns_answer 203.0.113.$i
	sleep 0.2
	[ "$(app_connect)" = "203.0.113.$i" ] && ok_count=$((ok_count + 1))
done
expect_eq "a freshly changed address works on the first SYN, 20 of 20" "$ok_count" 20

# Over TCP (glibc with "options use-vc", as after a truncated answer): the
# kernel reads the answer in the resolver's TCP segment.
echo "options use-vc" >>"/etc/netns/$SRV/resolv.conf"
dns_answer 203.0.113.36
sleep 0.2
expect_eq "resolved over TCP: the first SYN gets through" "$(app_connect)" 203.0.113.36
check "names shows the address learned over TCP" sh -c "'$PC' names --netns '$SRV' | grep -q '203.0.113.36 .*snooped'"
check "the lookup went over TCP (the dns rule's flow to 53 is TCP)" sh -c "'$PC' flows --netns '$SRV' --json | $PY -c 'import json,sys; assert any(f[\"proto\"] == \"tcp\" and f[\"remote\"].endswith(\":53\") for f in json.load(sys.stdin))'"
sed -i '/use-vc/d' "/etc/netns/$SRV/resolv.conf"

# The resolver loop follows the answers, both ways.
dns_answer 203.0.113.31
sleep 3 # the snooped answers (TTL 2) expire
"$PC" refresh --iface srv0 --netns "$SRV" >/dev/null 2>&1
expect_eq "refresh: the resolver's answer is in" "$(addrs_of app.example.test)" "203.0.113.31/resolver"
check "  ... and allows it" tcp_echo srv 203.0.113.31 443 1
dns_answer 203.0.113.32
sleep 2.5
"$PC" refresh --iface srv0 --netns "$SRV" >/dev/null 2>&1
expect_eq "after the answer changed, refresh moved the allowlist" "$(addrs_of app.example.test)" "203.0.113.32/resolver"
check_not "  ... the old address is closed again" tcp_echo srv 203.0.113.31 443 0.5
expect_eq "SRV: the target's address is allowed for the rule" "$(addrs_of _app._tcp.example.test)" "203.0.113.40/resolver"
check "  ... on the rule's port" tcp_echo srv 203.0.113.40 8443 1

# The long-running mode follows a change within one TTL by itself.
"$PC" run --iface srv0 --netns "$SRV" >"$PC_TMP/run.log" 2>&1 &
runner=$!
dns_answer 203.0.113.35
for _ in $(seq 40); do
	[ "$(addrs_of app.example.test)" = "203.0.113.35/resolver" ] && break
	sleep 0.25
done
expect_eq "run: the allowlist followed the new answer within the TTL" "$(addrs_of app.example.test)" "203.0.113.35/resolver"
kill "$runner"
wait "$runner" 2>/dev/null
"$PC" metrics >"$PC_TMP/m.prom"
check "metrics count the name's addresses" grep -q 'portcullis_name_addresses{.*name="app.example.test",rule="app"} 1' "$PC_TMP/m.prom"
check "metrics carry the snooping counters" grep -q 'portcullis_dns_snoop_total{.*event="learned"} [1-9]' "$PC_TMP/m.prom"
"$PC" status --json | $PY -c 'import json,sys; assert json.load(sys.stdin)[0]["names"] == 2' 2>/dev/null
expect_eq "status counts the policy's names" "$?" 0

# Resolver down: the last good addresses stay.
kill "$(dns_pid)"
sleep 0.3
"$PC" refresh --iface srv0 --netns "$SRV" >/dev/null 2>&1
check "resolver down: names reports the failure" sh -c "'$PC' names --netns '$SRV' --json | $PY -c 'import json,sys; n=[n for i in json.load(sys.stdin) for n in i[\"names\"] if n[\"name\"]==\"app.example.test\"][0]; assert n[\"failures\"] >= 1 and n[\"last_error\"], n'"
expect_eq "resolver down: the last good address stays" "$(addrs_of app.example.test)" "203.0.113.35/resolver"
check "  ... and still works" tcp_echo srv 203.0.113.35 443 1

# A forged reply that answers no query teaches nothing.
in_ns out "$PY" -c "
from scapy.all import IP, UDP, DNS, DNSQR, DNSRR, send
send(IP(src='$DNS4', dst='$SRV4')/UDP(sport=53, dport=33333)/DNS(id=7, qr=1, qd=DNSQR(qname='app.example.test'), an=DNSRR(rrname='app.example.test', rdata='203.0.113.33', ttl=60)), verbose=0)
" 2>/dev/null
check_not "a forged, unasked reply opens nothing" tcp_echo srv 203.0.113.33 443 0.5

# A reload that moves the host-name rule to another port ends its live
# flows to the learned address (judged again in the kernel after the
# names' update); the name keeps its address, now on the new port.
sed 's/^    ports: \[443\]$/    ports: [8443]/' "$PC_ROOT/tests/policies/names.yaml" >"$PC_TMP/names-8443.yaml"
dns_start
dns_answer 203.0.113.35
"$PC" run --iface srv0 --netns "$SRV" >"$PC_TMP/run2.log" 2>&1 &
runner=$!
for _ in $(seq 40); do
	tcp_echo srv 203.0.113.35 443 0.5 && break
	sleep 0.25
done
in_ns srv "$PY" "$PC_ROOT/tests/e2e/flowkeeper.py" 203.0.113.35 443 3 tcp >"$PC_TMP/keep" 2>&1 &
k=$!
sleep 0.7
"$PC" reload --iface srv0 --netns "$SRV" --policy "$PC_TMP/names-8443.yaml" >"$PC_TMP/reload.out"
wait $k
cat "$PC_TMP/keep" "$PC_TMP/reload.out"
check "the reload ends the flows to the learned address on the port the rule lost" grep -q "; [1-9][0-9]* flows its changed rules no longer allow ended" "$PC_TMP/reload.out"
check "  ... the live connection passed, then stops" grep -q '^tcp ok=[1-9][0-9]* failed=[1-9]' "$PC_TMP/keep"
on_new_port=no
for _ in $(seq 20); do
	tcp_echo srv 203.0.113.35 8443 0.5 && { on_new_port=yes; break; }
	sleep 0.25
done
expect_eq "  ... the name's address is allowed on the new port (from its next answer)" "$on_new_port" yes
kill "$runner"
wait "$runner" 2>/dev/null
summary
