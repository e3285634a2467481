#!/usr/bin/env bash
# Differential test against the kernel: the seed's iptables rule set with
# conntrack in one namespace, portcullis in another, the same probes and
# the same client traffic at both. Verdicts must agree except where
# portcullis is documented as stricter (docs/design.md).
set -u
. "$(dirname "$0")/../lib.sh"
trap pc_cleanup EXIT

add_ns out
add_ns ipt
add_ns pcf
link_ns ipt e0 out oa
link_ns pcf e0 out ob
ip -n "$(ns ipt)" addr add 192.0.2.1/24 dev e0
ip -n "$(ns out)" addr add 192.0.2.254/24 dev oa
ip -n "$(ns pcf)" addr add 198.51.100.1/24 dev e0
ip -n "$(ns out)" addr add 198.51.100.254/24 dev ob
ip -n "$(ns ipt)" route add default via 192.0.2.254
ip -n "$(ns pcf)" route add default via 198.51.100.254
ip -n "$(ns out)" addr add $OTHER4/32 dev lo
echo_server out $OTHER4 7000
wait_port out tcp 7000

# The rule set we replace (seed document 2025-02-27), verbatim.
for ipt in iptables iptables-legacy; do
	command -v $ipt >/dev/null && break
done
in_ns ipt $ipt -A INPUT -i lo -j ACCEPT
in_ns ipt $ipt -A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
in_ns ipt $ipt -A INPUT -p tcp --dport ssh -j ACCEPT
in_ns ipt $ipt -A INPUT -j DROP
"$PC" up --iface e0 --netns "$(ns pcf)" --xdp --policy "$PC_ROOT/tests/policies/open-egress.yaml" >/dev/null
expect_eq "portcullis up" "$?" 0

# Where portcullis is stricter, and why (docs/design.md, "Differences").
declare -A stricter=(
	[ack-22-no-conn]="iptables accepts any TCP to port 22; portcullis needs a socket"
)

in_ns out "$PY" "$PC_ROOT/tests/e2e/probe.py" 192.0.2.1 >"$PC_TMP/ipt"
in_ns out "$PY" "$PC_ROOT/tests/e2e/probe.py" 198.51.100.1 >"$PC_TMP/pcf"
while read -r name v_ipt; do
	v_pc=$(awk -v n="$name" '$1 == n { print $2 }' "$PC_TMP/pcf")
	if [ -n "${stricter[$name]:-}" ]; then
		expect_eq "probe $name: iptables passes, portcullis drops (${stricter[$name]})" \
			"$v_ipt/$v_pc" "pass/drop"
	else
		expect_eq "probe $name: same verdict ($v_ipt)" "$v_pc" "$v_ipt"
	fi
done <"$PC_TMP/ipt"
expect_eq "probe syn-22 passes both (sanity)" "$(grep '^syn-22 ' "$PC_TMP/ipt" "$PC_TMP/pcf" | awk '{print $2}' | sort -u)" pass
expect_eq "probe syn-80 drops both (sanity)" "$(grep '^syn-80 ' "$PC_TMP/ipt" "$PC_TMP/pcf" | awk '{print $2}' | sort -u)" drop

# Client traffic from both servers: replies of their own flows come back.
check "iptables: TCP out and back" tcp_echo ipt $OTHER4 7000
check "portcullis: TCP out and back" tcp_echo pcf $OTHER4 7000
check "iptables: UDP out and back" udp_echo ipt $OTHER4 7000
check "portcullis: UDP out and back" udp_echo pcf $OTHER4 7000
check "iptables: ping out and back" in_ns ipt ping -c1 -W1 $OTHER4
check "portcullis: ping out and back" in_ns pcf ping -c1 -W1 $OTHER4
refused() {
	in_ns "$1" "$PY" -c "
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2)
s.connect(('$OTHER4', 7999)); s.send(b'x')
try:
    s.recv(9); print('answered')
except ConnectionRefusedError:
    print('refused')
except socket.timeout:
    print('timeout')"
}
expect_eq "related ICMP port unreachable: same result" "$(refused pcf)" "$(refused ipt)"

summary
