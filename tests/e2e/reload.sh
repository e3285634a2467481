#!/usr/bin/env bash
# Policy changes under load: 100 atomic reloads with live flows, confirm or
# rollback (also with the CLI killed), the anti-lockout refusal, a failed
# reload, audit mode and the SSH rate limit.
set -u
. "$(dirname "$0")/../lib.sh"
trap pc_cleanup EXIT

world_setup
SRV=$(ns srv)
P=$PC_ROOT/tests/policies
echo_server out $EDGE4 7844
echo_server out $OTHER4 443
echo_server out $OTHER6 443
wait_port out tcp 7844 && wait_port out tcp 443

reload() { "$PC" reload --iface srv0 --netns "$SRV" "$@"; }
probe() { tcp_echo srv $OTHER4 443 0.5; }
digest() { "$PC" status --json | $PY -c 'import json,sys; print(json.load(sys.stdin)[0]["policy_sha256"][:12])'; }
confirm_state() { "$PC" status --json | $PY -c 'import json,sys; print(json.load(sys.stdin)[0]["confirm"])'; }

"$PC" up --iface srv0 --netns "$SRV" --xdp --policy "$P/reload-a.yaml" >/dev/null
expect_eq "up with policy A" "$?" 0

# --- 100 reloads alternating A and B under live TCP and UDP flows.
in_ns srv "$PY" "$PC_ROOT/tests/e2e/flowkeeper.py" $EDGE4 7844 3600 >"$PC_TMP/keeper" 2>&1 &
keeper=$!
sleep 0.5
wrong=0 backwards=0 failed_reloads=0 last=0
for i in $(seq 1 100); do
	if [ $((i % 2)) -eq 1 ]; then pol=b; else pol=a; fi
	reload --policy "$P/reload-$pol.yaml" >/dev/null 2>&1 || failed_reloads=$((failed_reloads + 1))
	if probe; then got=b; else got=a; fi
	[ "$got" = "$pol" ] || wrong=$((wrong + 1))
	n=$(counter srv srv0 edge)
	[ "$n" -ge "$last" ] || backwards=$((backwards + 1))
	last=$n
done
pkill -TERM -f flowkeeper.py
wait $keeper 2>/dev/null
cat "$PC_TMP/keeper"
check "TCP flow: no round trip lost across the 100 reloads" grep -q '^tcp ok=[1-9][0-9]* failed=0' "$PC_TMP/keeper"
check "UDP flow: no round trip lost across the 100 reloads" grep -q '^udp ok=[1-9][0-9]* failed=0' "$PC_TMP/keeper"
expect_eq "100 reloads all succeeded" "$failed_reloads" 0
expect_eq "each probe saw exactly the policy in force (100 of 100)" "$wrong" 0
expect_eq "the edge rule's counter never went backwards" "$backwards" 0
# And once more with reloads every 100 ms while both flows are busy.
in_ns srv "$PY" "$PC_ROOT/tests/e2e/flowkeeper.py" $EDGE4 7844 4 >"$PC_TMP/keeper2" &
k2=$!
for i in $(seq 1 20); do
	reload --policy "$P/reload-$([ $((i % 2)) -eq 1 ] && echo b || echo a).yaml" >/dev/null
	sleep 0.1
done
wait $k2
cat "$PC_TMP/keeper2"
check "TCP flow: no round trip lost across 20 more reloads" grep -q '^tcp ok=[1-9][0-9]* failed=0' "$PC_TMP/keeper2"
check "UDP flow: no round trip lost across 20 more reloads" grep -q '^udp ok=[1-9][0-9]* failed=0' "$PC_TMP/keeper2"
n=$("$PC" flows --netns "$SRV" --json | $PY -c 'import json,sys; print(sum(1 for f in json.load(sys.stdin) if f["remote"].endswith(":7844")))')
check "flows to the edge survived the reloads" test "$n" -ge 2

# --- Two reloads at once (A and B): one lock per interface serialises
# them, so what is in force is all of one of them, never a mix.
digest_of() { "$PC" check "$1" | sed -n '1s/.*(sha256 \([0-9a-f]*\)).*/\1/p'; }
da=$(digest_of "$P/reload-a.yaml")
db=$(digest_of "$P/reload-b.yaml")
mixed=0 won_a=0 won_b=0 failed_reloads=0
for i in $(seq 1 20); do
	reload --policy "$P/reload-a.yaml" >/dev/null 2>&1 &
	ra=$!
	reload --policy "$P/reload-b.yaml" >/dev/null 2>&1 &
	rb=$!
	wait $ra || failed_reloads=$((failed_reloads + 1))
	wait $rb || failed_reloads=$((failed_reloads + 1))
	d=$(digest)
	if probe; then got=$db; else got=$da; fi
	if [ "$d" != "$got" ]; then
		mixed=$((mixed + 1))
	elif [ "$d" = "$da" ]; then
		won_a=$((won_a + 1))
	else
		won_b=$((won_b + 1))
	fi
done
expect_eq "40 concurrent reloads all succeeded" "$failed_reloads" 0
expect_eq "after each pair, status and the packets agree on one policy (A last $won_a, B last $won_b)" "$mixed" 0

# Another holder of the lock (flock(1) here, for 2 s): reload waits, says
# so, and goes on when it is free.
flock "/run/portcullis/$SRV:srv0.lock" sleep 2 &
holder=$!
sleep 0.2
start=$(date +%s.%N)
reload --policy "$P/reload-a.yaml" >/dev/null 2>"$PC_TMP/wait.err"
expect_eq "a reload behind a held lock succeeds" "$?" 0
took=$(echo "$(date +%s.%N) - $start" | bc)
wait $holder
check "it waited for the holder (took $took s)" sh -c "echo '$took >= 1.5' | bc | grep -q 1"
check "it said it was waiting" grep -q "waiting for another portcullis command on srv0" "$PC_TMP/wait.err"

# --- A failed reload leaves the running policy untouched.
reload --policy "$P/reload-a.yaml" >/dev/null
before=$(digest)
reload --policy "$P/bad/bad-prefix.yaml" >/dev/null 2>&1
expect_eq "reload of a broken policy exits 3" "$?" 3
expect_eq "after a failed reload the digest is unchanged" "$(digest)" "$before"
check_not "after a failed reload policy A still holds" probe

# --- Anti-lockout: a session on port 22 through srv0.
SSH_CONNECTION="192.0.2.254 50123 $SRV4 22" reload --policy "$P/reload-ssh2222.yaml" >"$PC_TMP/lock" 2>&1
expect_eq "reload that would cut the caller's SSH session exits 6" "$?" 6
check "the refusal says why" grep -q "does not allow SSH on port 22, and your session" "$PC_TMP/lock"
expect_eq "refused reload left the policy unchanged" "$(digest)" "$before"
SSH_CONNECTION="192.0.2.254 50123 $SRV4 22" reload --policy "$P/reload-ssh2222.yaml" --force >/dev/null 2>&1
expect_eq "--force overrides the refusal" "$?" 0
SSH_CONNECTION="192.0.2.254 50123 10.99.0.1 22" reload --policy "$P/reload-ssh2222.yaml" >/dev/null 2>&1
expect_eq "a session that does not come through srv0 is not in the way" "$?" 0
reload --policy "$P/reload-a.yaml" >/dev/null

# --- confirm: without it, the kernel rolls back at the deadline.
start=$(date +%s.%N)
reload --policy "$P/reload-b.yaml" --confirm 5 >/dev/null
check "during the confirm window the new policy holds" probe
expect_eq "status shows the pending confirm" "$(confirm_state)" pending
while [ "$(confirm_state)" = pending ]; do sleep 0.05; done
took=$(echo "$(date +%s.%N) - $start" | bc)
check "rolled back between 5 and 6 s after the reload (took $took s)" \
	sh -c "echo '$took >= 4.95 && $took <= 6.0' | bc | grep -q 1"
expect_eq "status shows the rollback" "$(confirm_state)" rolled-back
check_not "after the rollback policy A holds again" probe
"$PC" confirm --iface srv0 --netns "$SRV" >/dev/null 2>&1
expect_eq "confirm after the rollback exits 5 (too late)" "$?" 5

# --- The CLI killed with SIGKILL right after applying still rolls back.
start=$(date +%s.%N)
reload --policy "$P/reload-b.yaml" --confirm 3 >"$PC_TMP/kill.out" 2>&1 &
cli=$!
while ! grep -q reloaded "$PC_TMP/kill.out" 2>/dev/null && kill -0 $cli 2>/dev/null; do sleep 0.01; done
kill -9 $cli 2>/dev/null
wait $cli 2>/dev/null
check "after the kill the new policy holds" probe
while [ "$(confirm_state)" = pending ]; do sleep 0.05; done
took=$(echo "$(date +%s.%N) - $start" | bc)
check "rolled back within a second of the deadline despite SIGKILL (took $took s)" \
	sh -c "echo '$took >= 2.95 && $took <= 4.0' | bc | grep -q 1"
check_not "after that rollback policy A holds again" probe

# --- With confirm, the new policy stays.
reload --policy "$P/reload-b.yaml" --confirm 2 --json >"$PC_TMP/confirm.json"
"$PC" confirm --iface srv0 --netns "$SRV" >/dev/null
expect_eq "confirm in time exits 0" "$?" 0
check "reload --json --confirm says when and what" $PY -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["confirm_within_s"] == 2 and r["unconfirmed"] == "rolls back", r' "$PC_TMP/confirm.json"
sleep 2.5
expect_eq "after the deadline nothing rolled back" "$(confirm_state)" none
check "the confirmed policy B holds" probe

# --- Audit mode: what would drop passes, and is counted.
reload --policy "$P/reload-audit.yaml" >/dev/null
before=$(counter srv srv0 out_default_drop)
check "audit: a connection the policy would drop gets through" tcp_echo srv "[$OTHER6]" 443
after=$(counter srv srv0 out_default_drop)
check "audit: out_default_drop counted it ($before -> $after)" test "$after" -gt "$before"
check "audit: stats marks the rule" sh -c "'$PC' stats --netns '$SRV' | grep -q 'out_default_drop .*drop(audit)'"
reload --policy "$P/reload-a.yaml" >/dev/null
check_not "audit off again: the same connection drops" tcp_echo srv "[$OTHER6]" 443

# --- A rule that goes takes its live flows with it; so does audit mode.
# A TCP connection busy every 50 ms: it works before the reload and its
# round trips fail after it.
keep_across() { # POLICY-BEFORE OUTFILE: keep OTHER4:443 busy, reload to A
	reload --policy "$P/$1" >/dev/null
	in_ns srv "$PY" "$PC_ROOT/tests/e2e/flowkeeper.py" $OTHER4 443 3 tcp >"$2" 2>&1 &
	local k=$!
	sleep 1
	reload --policy "$P/reload-a.yaml" >"$2.reload"
	wait $k
	cat "$2"
}
keep_across reload-b.yaml "$PC_TMP/gone"
check "a live flow of 'probe' passes, then stops when A drops the rule" grep -q '^tcp ok=[1-9][0-9]* failed=[1-9]' "$PC_TMP/gone"
check "the reload says it ended that flow" grep -q "1 flows of rules it no longer has ended" "$PC_TMP/gone.reload"
keep_across reload-audit.yaml "$PC_TMP/audited"
check "a live flow audit mode let out stops when A enforces again" grep -q '^tcp ok=[1-9][0-9]* failed=[1-9]' "$PC_TMP/audited"

# --- A rule that stays but narrows: the reload judges its flows again.
# 'edge' narrowed to its IPv6 address: the flows to its IPv4 address end
# with the reload (a TCP connection busy every 50 ms), others stay.
flows_to() { "$PC" flows --netns "$SRV" --iface srv0 --to "$1" --json | $PY -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
udp_echo srv "[$EDGE6]" 7844 # no server there: a flow out, no reply
n_v6=$(flows_to $EDGE6)
in_ns srv "$PY" "$PC_ROOT/tests/e2e/flowkeeper.py" $EDGE4 7844 3 >"$PC_TMP/cut" 2>&1 &
k=$!
sleep 0.7
n_before=$(flows_to $EDGE4/32)
reload --policy "$P/reload-narrow.yaml" >"$PC_TMP/cut.reload"
expect_eq "the narrowing reload exits 0" "$?" 0
n_after=$(flows_to $EDGE4)
wait $k
cat "$PC_TMP/cut" "$PC_TMP/cut.reload"
ended=$(sed -n 's/.*; \([0-9]*\) flows its changed rules no longer allow ended.*/\1/p' "$PC_TMP/cut.reload")
check "the keeper had flows to the edge's IPv4 address ($n_before)" test "$n_before" -ge 2
check "the reload says it ended them (${ended:-none})" test "${ended:-0}" -ge 2
expect_eq "no flow to that address is left" "$n_after" 0
check "the TCP flow to the edge passed, then stops" grep -q '^tcp ok=[1-9][0-9]* failed=[1-9]' "$PC_TMP/cut"
check_not "UDP to the edge's IPv4 address is refused now" udp_echo srv $EDGE4 7844
check "the flow to the edge's IPv6 address stays ($n_v6)" test "$n_v6" -ge 1 -a "$(flows_to $EDGE6)" = "$n_v6"
reload --policy "$P/reload-narrow.yaml" >"$PC_TMP/cut.again"
check_not "the same policy again judges nothing" grep -q "no longer allow" "$PC_TMP/cut.again"
reload --policy "$P/reload-a.yaml" --json >"$PC_TMP/widen.json"
check "reload --json: widening 'edge' changes one rule and ends nothing" $PY -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["iface"] == "srv0" and r["rules"] == 1 and r["rules_changed"] == 1, r
assert r["flows_ended_changed_rules"] == 0 and r["flows_ended_removed_rules"] == 0, r
assert len(r["policy_sha256"]) == 64, r' "$PC_TMP/widen.json"

# --- flows --end: the operator ends flows now (what conntrack -D does for
# iptables), here the edge's, which the rule still allows.
reload --policy "$P/reload-a.yaml" >/dev/null
udp_echo srv $EDGE4 7844
n_before=$(flows_to $EDGE4/32)
"$PC" flows --netns "$SRV" --iface srv0 --end --to $EDGE4 >"$PC_TMP/end.out" 2>&1
expect_eq "flows --end exits 0" "$?" 0
cat "$PC_TMP/end.out"
check "flows --to lists the flow to the edge ($n_before)" test "$n_before" -ge 1
check "it says how many it ended" grep -q "srv0 (netns $SRV): ended $n_before flows" "$PC_TMP/end.out"
expect_eq "no flow to that address is left" "$(flows_to $EDGE4)" 0
expect_eq "flows to another address were not touched" "$(flows_to $EDGE6)" "$n_v6"
check "a new flow to the edge starts again (the rule allows it)" udp_echo srv $EDGE4 7844
# it takes the interface's lock, as reload does: it waits for a holder
flock -x "/run/portcullis/$SRV:srv0.lock" sleep 1 &
holder=$!
sleep 0.2
t0=$(date +%s.%N)
"$PC" flows --netns "$SRV" --iface srv0 --end --to $EDGE4 >/dev/null 2>"$PC_TMP/end.lock"
took=$(echo "$(date +%s.%N) - $t0" | bc)
wait $holder
check "flows --end waited for the interface's lock (took $took s)" \
	sh -c "echo '$took >= 0.6' | bc | grep -q 1 && grep -q 'waiting for another portcullis command' '$PC_TMP/end.lock'"
"$PC" flows --netns "$SRV" --end >/dev/null 2>&1
expect_eq "flows --end without --iface is a usage error" "$?" 2
"$PC" flows --netns "$SRV" --iface srv0 --end --rule nosuchrule >/dev/null 2>&1
expect_eq "flows --end --rule with an unknown rule exits 2" "$?" 2

# --- SSH rate limit: the 11th new connection from one source in a minute.
reload --policy "$P/reload-ratelimit.yaml" >/dev/null
ip -n "$(ns out)" addr add 192.0.2.253/24 dev o0
n0=$(counter srv srv0 in_ssh_new)
r0=$(counter srv srv0 in_ssh_ratelimit)
in_ns out timeout 10 hping3 -q -S -p 22 -c 11 -i u20000 $SRV4 >/dev/null 2>&1
n1=$(counter srv srv0 in_ssh_new)
r1=$(counter srv srv0 in_ssh_ratelimit)
expect_eq "10 new SSH connections from one source pass" "$((n1 - n0))" 10
expect_eq "the 11th is dropped as in_ssh_ratelimit" "$((r1 - r0))" 1
in_ns out timeout 10 hping3 -q -S -p 22 -c 1 -a 192.0.2.253 $SRV4 >/dev/null 2>&1
n2=$(counter srv srv0 in_ssh_new)
expect_eq "another source still gets in" "$((n2 - n1))" 1

"$PC" down --iface srv0 --netns "$SRV" >/dev/null
summary
