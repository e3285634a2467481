#!/usr/bin/env bash
# up --confirm, the dead man's switch of a lockdown: a policy that cuts SSH
# (sshd on 22, the policy allows 2222) locks a real ssh client out until
# the deadline, then the kernel stops dropping by itself (every drop
# audited, still counted); confirmed in time, the lockdown stays; a
# confirm at the deadline is either kept or too late, never both.
set -u
. "$(dirname "$0")/../lib.sh"
trap pc_cleanup EXIT

world_setup
SRV=$(ns srv)
P=$PC_ROOT/tests/policies
start_sshd srv 22 || fail "sshd did not start"
echo_server srv 0.0.0.0 8080
echo_server out $OTHER4 443
wait_port srv tcp 8080 && wait_port out tcp 443

up() { "$PC" up --iface srv0 --netns "$SRV" --xdp "$@"; }
down() { "$PC" down --iface srv0 --netns "$SRV" >/dev/null; }
confirm() { "$PC" confirm --iface srv0 --netns "$SRV" "$@"; }
field() { "$PC" status --json | $PY -c 'import json,sys; print(json.load(sys.stdin)[0][sys.argv[1]])' "$1"; }
ssh_in() { ssh_run out $SRV4 22 true; }
in_8080() { tcp_echo out $SRV4 8080 0.5; }
out_443() { tcp_echo srv $OTHER4 443 0.5; }

check "before up: ssh gets in" ssh_in

# --- Not confirmed: locked out until the deadline, then nothing drops.
up --policy "$P/reload-ssh2222.yaml" --confirm 8 >"$PC_TMP/up.out" 2>&1
expect_eq "up --confirm exits 0" "$?" 0
start=$(date +%s.%N) # armed just before attaching, so just before this
check "up says when drops stop" grep -q "drops stop in 8 s" "$PC_TMP/up.out"
expect_eq "status: the confirm is pending" "$(field confirm)" pending
expect_eq "status: it is the confirm of an up" "$(field confirm_of_up)" True
check "status (table) says drops stop unless confirmed" \
	sh -c "'$PC' status | grep -q 'drops stop in [0-9]* s unless confirmed'"
# when the kernel rolls back, told by status (polled beside the checks)
(while [ "$(field confirm)" = pending ]; do sleep 0.05; done
	date +%s.%N >"$PC_TMP/rolled") &
poller=$!
check_not "pending: the policy locks ssh on 22 out" ssh_in
check_not "pending: inbound 8080 drops" in_8080
check_not "pending: an unlisted destination drops" out_443
wait $poller
took=$(echo "$(cat "$PC_TMP/rolled") - $start" | bc)
check "the kernel stopped dropping 7-9 s after up returned (took $took s)" \
	sh -c "echo '$took >= 7.0 && $took <= 9.0' | bc | grep -q 1"
expect_eq "status: rolled back" "$(field confirm)" rolled-back
expect_eq "status: the policy in force is audit only" "$(field policy)" "(audit only: up not confirmed)"
before=$(counter srv srv0 in_default_drop)
check "after the deadline ssh gets in again" ssh_in
check "after the deadline inbound 8080 gets in" in_8080
check "after the deadline the unlisted destination answers" out_443
after=$(counter srv srv0 in_default_drop)
check "what passes is still counted as what it is ($before -> $after in_default_drop)" \
	test "$after" -gt "$before"
check "stats marks every drop rule audited" \
	sh -c "'$PC' stats --netns '$SRV' | grep -q 'in_default_drop .*drop(audit)'"
confirm >/dev/null 2>"$PC_TMP/late.err"
expect_eq "confirm after the deadline exits 5" "$?" 5
check "it says the up was not confirmed in time" grep -q "up was not confirmed in time" "$PC_TMP/late.err"
"$PC" reload --iface srv0 --netns "$SRV" --policy "$P/reload-a.yaml" >/dev/null
expect_eq "reload enforces again" "$?" 0
expect_eq "status: the reload cleared the rollback" "$(field confirm)" none
check_not "after the reload inbound 8080 drops" in_8080
check "after the reload ssh on 22 gets in (policy A)" ssh_in
down

# --- Confirmed in time: the lockdown stays.
up --policy "$P/reload-a.yaml" --confirm 2 >/dev/null 2>&1
confirm >"$PC_TMP/ok.out"
expect_eq "confirm in time exits 0" "$?" 0
check "confirm says the policy stays" grep -q "confirmed, the policy stays" "$PC_TMP/ok.out"
confirm >/dev/null 2>&1
expect_eq "a second confirm exits 5 (nothing pending)" "$?" 5
sleep 2.5
expect_eq "after the deadline nothing rolled back" "$(field confirm)" none
check_not "the confirmed lockdown still drops inbound 8080" in_8080
check "and ssh still gets in" ssh_in
down

# --- A reload while the up is not confirmed. With --confirm, nothing has
# been confirmed yet: unconfirmed, it falls back to audit-only too. Without,
# it supersedes the up's confirm (and says so).
reload() { "$PC" reload --iface srv0 --netns "$SRV" "$@"; }
up --policy "$P/reload-a.yaml" --confirm 60 >/dev/null 2>&1
reload --policy "$P/reload-ssh2222.yaml" --confirm 2 >"$PC_TMP/r.out" 2>&1
expect_eq "reload --confirm during a pending up exits 0" "$?" 0
check "it says drops stop, the up not being confirmed" grep -q "drops stop (the up is not confirmed yet) in 2 s" "$PC_TMP/r.out"
for _ in $(seq 60); do [ "$(field confirm)" = pending ] || break; sleep 0.1; done
expect_eq "2 s later: rolled back" "$(field confirm)" rolled-back
expect_eq "  ... to audit only, not to the unconfirmed up's policy" "$(field policy)" "(audit only: up not confirmed)"
check "  ... ssh gets in" ssh_in
check "  ... inbound 8080 too" in_8080
down
up --policy "$P/reload-a.yaml" --confirm 60 >/dev/null 2>&1
reload --policy "$P/reload-a.yaml" >/dev/null 2>"$PC_TMP/r.err"
check "a plain reload says it supersedes the pending up" grep -q "superseded: this policy stays" "$PC_TMP/r.err"
expect_eq "  ... and nothing is pending any more" "$(field confirm)" none
check_not "  ... the policy drops inbound 8080" in_8080
down

# --- A confirm at the deadline: kept (exit 0, still enforcing) or too late
# (exit 5, rolled back), never both. Six tries around the deadline.
mixed=0 kept=0 late=0
for d in 0.70 0.80 0.85 0.90 0.95 1.00; do
	up --policy "$P/reload-a.yaml" --confirm 1 >/dev/null 2>&1
	sleep "$d"
	confirm >/dev/null 2>&1
	rc=$?
	sleep 1.2 # past the deadline either way
	state=$(field confirm)
	if [ $rc -eq 0 ] && [ "$state" = none ] && ! in_8080; then
		kept=$((kept + 1))
	elif [ $rc -eq 5 ] && [ "$state" = rolled-back ] && in_8080; then
		late=$((late + 1))
	else
		mixed=$((mixed + 1))
		echo "# confirm at $d s: exit $rc, status $state"
	fi
	down
done
echo "# at the deadline: $kept kept, $late too late"
expect_eq "every confirm at the deadline agrees with the kernel ($kept kept, $late too late)" "$mixed" 0

summary
