# shellcheck shell=bash
# Shared helpers of the end-to-end tests: results, the namespace world,
# counters. Every namespace a test makes is named with $PC_TAG and removed
# by pc_cleanup, which the test registers with `trap pc_cleanup EXIT`.

PC_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PC="$PC_ROOT/build/portcullis"
PC_TAG=${PC_TAG:-pce$$}
PY=/usr/bin/python3
PASSED=0
FAILED=0
PC_NETNS=()
PC_PIDS=()
PC_TMP=$(mktemp -d /tmp/portcullis-e2e.XXXXXX)

ok() {
	PASSED=$((PASSED + 1))
	echo "ok     $*"
}

fail() {
	FAILED=$((FAILED + 1))
	echo "FAIL   $*"
}

# check NAME CMD...: CMD must succeed.
check() {
	local name=$1
	shift
	if "$@" >"$PC_TMP/out" 2>&1; then
		ok "$name"
	else
		fail "$name (command: $*; output: $(tail -c 300 "$PC_TMP/out"))"
	fi
}

# check_not NAME CMD...: CMD must fail.
check_not() {
	local name=$1
	shift
	if "$@" >"$PC_TMP/out" 2>&1; then
		fail "$name (expected failure: $*)"
	else
		ok "$name"
	fi
}

# expect_eq NAME GOT WANT
expect_eq() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		fail "$1 (got '$2', want '$3')"
	fi
}

summary() {
	echo "$PASSED passed, $FAILED failed"
	[ "$FAILED" -eq 0 ]
}

ns() { echo "$PC_TAG-$1"; }
in_ns() {
	local n=$1
	shift
	ip netns exec "$(ns "$n")" "$@"
}

add_ns() {
	local n
	n=$(ns "$1")
	ip netns add "$n"
	PC_NETNS+=("$n")
	ip -n "$n" link set lo up
	# No router solicitations or DAD delays in the test world.
	ip netns exec "$n" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
		net.ipv6.conf.default.accept_dad=0 \
		net.ipv6.conf.all.router_solicitations=0 \
		net.ipv6.conf.default.router_solicitations=0
}

# link_ns A IFA B IFB: a veth pair between two namespaces.
link_ns() {
	ip link add "$2" netns "$(ns "$1")" type veth peer name "$4" netns "$(ns "$3")"
	ip -n "$(ns "$1")" link set "$2" up
	ip -n "$(ns "$3")" link set "$4" up
}

# bg NS CMD...: run in the background inside a namespace, killed at exit.
bg() {
	local n=$1
	shift
	in_ns "$n" "$@" >>"$PC_TMP/bg.log" 2>&1 &
	PC_PIDS+=($!)
}

pc_cleanup() {
	local n d
	for p in "${PC_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	for n in "${PC_NETNS[@]}"; do
		for d in /sys/fs/bpf/portcullis/"$n"/*; do
			[ -d "$d" ] && "$PC" down --netns "$n" --iface "$(basename "$d")" >/dev/null 2>&1
		done
		rm -rf "/sys/fs/bpf/portcullis/$n" "/etc/netns/$n"
		rm -f "/run/portcullis/$n:"*.lock
		ip netns del "$n" 2>/dev/null
	done
	rm -rf "$PC_TMP"
}

# counter NS IFACE RULE [packets|bytes]: from `stats --json`.
counter() {
	"$PC" stats --netns "$(ns "$1")" --iface "$2" --json | "$PY" -c '
import json, sys
rule, field = sys.argv[1], sys.argv[2]
for iface in json.load(sys.stdin):
    for r in iface["rules"]:
        if r["name"] == rule:
            print(r[field]); sys.exit(0)
print("missing"); sys.exit(1)' "$3" "${4:-packets}"
}

# tcp_echo NS HOST PORT [SECONDS]: connect, send a line, expect it back.
tcp_echo() {
	local out t=${4:-2}
	out=$(echo "hello-$3" | in_ns "$1" timeout 3 socat -T2 - "TCP:$2:$3,connect-timeout=$t" 2>/dev/null)
	[ "$out" = "hello-$3" ]
}

udp_echo() {
	local out
	out=$(echo "hello-$3" | in_ns "$1" timeout 3 socat -T1 - "UDP:$2:$3" 2>/dev/null)
	[ "$out" = "hello-$3" ]
}

# echo_server NS ADDR PORT: TCP and UDP echo on ADDR:PORT.
echo_server() {
	local a=$2
	case "$a" in *:*) a="[$a]" ;; esac
	local fam=4
	case "$2" in *:*) fam=6 ;; esac
	bg "$1" socat "TCP$fam-LISTEN:$3,bind=$a,reuseaddr,fork" EXEC:cat
	bg "$1" socat "UDP$fam-RECVFROM:$3,bind=$a,reuseaddr,fork" EXEC:cat
}

# wait_port NS PROTO PORT: until a listener exists (max 3 s).
wait_port() {
	for _ in $(seq 30); do
		in_ns "$1" ss -Hln"${2:0:1}" "sport = :$3" | grep -q . && return 0
		sleep 0.1
	done
	return 1
}

# The test world. srv: the protected server (srv0, 192.0.2.1, 2001:db8::1).
# out: everything outside, with the Cloudflare edge and API addresses, a
# stranger (203.0.113.9, 2001:db8:ff::9) and the resolver (192.0.2.53).
# srv2 (optional): a second protected server (198.51.100.1, 2001:db8:2::1).
EDGE4=198.41.192.167
EDGE6=2606:4700:a0::1
API4=104.19.192.29
API6=2606:4700:300a::6813:c0af
OTHER4=203.0.113.9
OTHER6=2001:db8:ff::9
SRV4=192.0.2.1
SRV6=2001:db8::1
SRV2_4=198.51.100.1
SRV2_6=2001:db8:2::1
DNS4=192.0.2.53

world_setup() {
	add_ns srv
	add_ns out
	link_ns srv srv0 out o0
	ip -n "$(ns srv)" addr add $SRV4/24 dev srv0
	ip -n "$(ns srv)" addr add $SRV6/64 dev srv0 nodad
	ip -n "$(ns out)" addr add 192.0.2.254/24 dev o0
	ip -n "$(ns out)" addr add $DNS4/24 dev o0
	ip -n "$(ns out)" addr add 2001:db8::fe/64 dev o0 nodad
	ip -n "$(ns srv)" route add default via 192.0.2.254
	ip -n "$(ns srv)" -6 route add default via 2001:db8::fe
	for a in $EDGE4 $API4 $OTHER4; do
		ip -n "$(ns out)" addr add $a/32 dev lo
	done
	for a in $EDGE6 $API6 $OTHER6; do
		ip -n "$(ns out)" addr add $a/128 dev lo nodad
	done
	mkdir -p "/etc/netns/$(ns srv)"
	echo "nameserver $DNS4" >"/etc/netns/$(ns srv)/resolv.conf"
}

world_add_srv2() {
	add_ns srv2
	link_ns srv2 srv2s0 out o1
	ip -n "$(ns srv2)" addr add $SRV2_4/24 dev srv2s0
	ip -n "$(ns srv2)" addr add $SRV2_6/64 dev srv2s0 nodad
	ip -n "$(ns out)" addr add 198.51.100.254/24 dev o1
	ip -n "$(ns out)" addr add 2001:db8:2::fe/64 dev o1 nodad
	ip -n "$(ns srv2)" route add default via 198.51.100.254
	ip -n "$(ns srv2)" -6 route add default via 2001:db8:2::fe
}

# sshd NS PORT: a real OpenSSH server accepting one key; sets SSH_KEY.
start_sshd() {
	local d="$PC_TMP/ssh-$1"
	mkdir -p "$d" /run/sshd
	ssh-keygen -q -t ed25519 -N '' -f "$d/host_key"
	ssh-keygen -q -t ed25519 -N '' -f "$d/client_key"
	cp "$d/client_key.pub" "$d/authorized_keys"
	cat >"$d/sshd_config" <<EOC
Port $2
ListenAddress 0.0.0.0
ListenAddress ::
HostKey $d/host_key
AuthorizedKeysFile $d/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PidFile $d/sshd.pid
EOC
	bg "$1" /usr/sbin/sshd -D -e -f "$d/sshd_config"
	SSH_KEY="$d/client_key"
	wait_port "$1" tcp "$2"
}

# ssh_run NS HOST PORT CMD: a real ssh session, 5 s limit.
ssh_run() {
	in_ns "$1" timeout 8 ssh -i "$SSH_KEY" -p "$3" -o BatchMode=yes \
		-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
		-o ConnectTimeout=3 -o LogLevel=ERROR "root@$2" "$4"
}
