#!/usr/bin/env bash
# Observability: the drop log accounts for every drop under a bounded
# flood, its pcap opens in tcpdump, trace agrees with real traffic, metrics
# parse as Prometheus text and carry every rule, stats JSON has totals.
set -u
. "$(dirname "$0")/../lib.sh"
trap pc_cleanup EXIT

world_setup
SRV=$(ns srv)
echo_server out $EDGE4 7844
wait_port out tcp 7844
"$PC" up --iface srv0 --netns "$SRV" --xdp >/dev/null
expect_eq "up" "$?" 0

drops() {
	"$PC" stats --netns "$SRV" --json | $PY -c '
import json, sys
s = json.load(sys.stdin)[0]
t = s["totals"]
print(t["ingress_drop"]["packets"] + t["egress_drop"]["packets"],
      s["log"]["logged"], s["log"]["suppressed"], s["log"]["lost"])'
}

# --- The log under a bounded flood: logged + suppressed + lost == drops.
"$PC" log --netns "$SRV" >/dev/null # empty the buffer
in_ns out timeout 20 hping3 -q -S -p 80 -c 3000 -i u100 $SRV4 >/dev/null 2>&1
"$PC" log --netns "$SRV" --json --pcap "$PC_TMP/drops.pcap" >"$PC_TMP/log.json"
read -r total logged suppressed lost <<<"$(drops)"
read_n=$(wc -l <"$PC_TMP/log.json")
echo "# flood: drops=$total logged=$logged suppressed=$suppressed lost=$lost read=$read_n"
expect_eq "logged + suppressed + lost equals the drop counters" "$((logged + suppressed + lost))" "$total"
check "the rate limit held the log back under the flood" test "$suppressed" -gt 0
check "every logged event was read back (read $read_n of $logged)" test "$read_n" -eq "$logged"
check "log lines are JSON objects with reason and addresses" "$PY" -c "
import json
for line in open('$PC_TMP/log.json'):
    e = json.loads(line)
    assert e['reason'] and e['direction'] in ('ingress', 'egress') and e['from'] and e['to']
"
check "the flood's SYNs are in the log" grep -q '"to":"192.0.2.1:80"' "$PC_TMP/log.json"
n=$(tcpdump -r "$PC_TMP/drops.pcap" -n 'tcp dst port 80 and tcp[tcpflags] & tcp-syn != 0' 2>/dev/null | wc -l)
check "tcpdump -r opens the pcap and finds the dropped SYNs ($n)" test "$n" -ge 1
check "the pcap holds as many packets as were logged" test "$(tcpdump -r "$PC_TMP/drops.pcap" -n 2>/dev/null | wc -l)" -eq "$read_n"
ratio=$("$PC_ROOT/build/pc-bench" --log-cost | grep "^drop log cost")
echo "# $ratio"
check "log on costs at most 1.5x log off on the drop path ($ratio)" \
	sh -c "echo '$ratio' | grep -qE 'ratio [0-9.]+$' && echo '$ratio' | awk '{ exit !(\$NF <= 1.5) }'"

# --- trace agrees with real traffic.
tr() { "$PC" trace --iface srv0 --netns "$SRV" --json "$@" | $PY -c 'import json,sys; t=json.load(sys.stdin); print(t["verdict"], t["reason"], t["rule"])'; }
expect_eq "trace: SYN to 80 from outside" "$(tr in tcp from $OTHER4 to $SRV4 dport 80)" "drop in_default_drop -"
before=$(counter srv srv0 in_default_drop)
in_ns out timeout 5 hping3 -q -S -p 80 -c 1 $SRV4 >/dev/null 2>&1
expect_eq "  ... and a real one moves in_default_drop by 1" "$(($(counter srv srv0 in_default_drop) - before))" 1
expect_eq "trace: ACK to 443 from outside" "$(tr in tcp from $OTHER4 to $SRV4 dport 443 flags A)" "drop in_no_flow -"
before=$(counter srv srv0 in_no_flow)
in_ns out timeout 5 hping3 -q -A -p 443 -c 1 $SRV4 >/dev/null 2>&1
expect_eq "  ... and a real one moves in_no_flow by 1" "$(($(counter srv srv0 in_no_flow) - before))" 1
expect_eq "trace: new SSH" "$(tr in tcp from $OTHER4 to $SRV4 dport 22)" "pass in_ssh_new -"
expect_eq "trace: out to the edge" "$(tr out tcp from $SRV4 to $EDGE4 sport 41000 dport 7844)" "pass out_new_flow tunnel-region1"
check "  ... and a real connection gets through" tcp_echo srv $EDGE4 7844
lport=$("$PC" flows --netns "$SRV" --json | $PY -c 'import json,sys; print([f["local"].rsplit(":", 1)[1] for f in json.load(sys.stdin) if f["remote"] == "'$EDGE4':7844"][0])')
"$PC" trace --iface srv0 --netns "$SRV" in tcp from $EDGE4 to $SRV4 sport 7844 dport "$lport" flags A >"$PC_TMP/trf.txt"
check "trace of a reply on that connection names its flow and the time left" \
	grep -qE '^flow: +(established|fin-wait|closed), expires in [0-9]+ s$' "$PC_TMP/trf.txt"
left=$("$PC" trace --iface srv0 --netns "$SRV" --json in tcp from $EDGE4 to $SRV4 sport 7844 dport "$lport" flags A | $PY -c 'import json,sys; t=json.load(sys.stdin); print(int(0 < t["flow_expires_in_s"] <= 7440 and not t["flow_expired"]))')
expect_eq "trace --json has the flow's time left" "$left" 1
expect_eq "trace: out to a stranger" "$(tr out tcp from $SRV4 to $OTHER4 dport 443)" "drop out_default_drop -"
check_not "  ... and a real connection does not" tcp_echo srv $OTHER4 443 0.5
expect_eq "trace: spoofed loopback source" "$(tr in tcp from 127.0.0.1 to $SRV4 dport 22)" "drop in_martian -"
flows_before=$("$PC" flows --netns "$SRV" --json | $PY -c 'import json,sys; print(len(json.load(sys.stdin)))')
tr out udp from $SRV4 to $EDGE4 sport 45000 dport 7844 >/dev/null
flows_after=$("$PC" flows --netns "$SRV" --json | $PY -c 'import json,sys; print(len(json.load(sys.stdin)))')
expect_eq "trace creates no flow" "$flows_after" "$flows_before"
"$PC" trace --iface srv0 --netns "$SRV" in tcp from $OTHER4 to $SRV4 dport 80 >"$PC_TMP/tr.txt"
check "trace for people names verdict, reason and rule" sh -c "grep -q '^verdict: DROP' '$PC_TMP/tr.txt' && grep -q '^reason:  in_default_drop' '$PC_TMP/tr.txt'"

# --- metrics.
"$PC" metrics >"$PC_TMP/metrics.prom"
expect_eq "metrics exits 0" "$?" 0
check "metrics parse as Prometheus text and carry every rule of stats" "$PY" -c "
import json, subprocess
from prometheus_client.parser import text_string_to_metric_families
fams = {f.name: f for f in text_string_to_metric_families(open('$PC_TMP/metrics.prom').read())}
for n in ('portcullis_rule_packets', 'portcullis_rule_bytes', 'portcullis_flows', 'portcullis_flow_capacity', 'portcullis_log_events', 'portcullis_info'):
    assert n in fams, n
got = {s.labels['rule'] for s in fams['portcullis_rule_packets'].samples if s.labels['netns'] == '$SRV'}
stats = json.loads(subprocess.check_output(['$PC', 'stats', '--netns', '$SRV', '--json']))
want = {r['name'] for r in stats[0]['rules']}
assert want == got, (want ^ got)
"
check "metrics have HELP and TYPE lines" sh -c "grep -q '^# HELP portcullis_rule_packets_total' '$PC_TMP/metrics.prom' && grep -q '^# TYPE portcullis_rule_packets_total counter' '$PC_TMP/metrics.prom'"
mkdir -p "$PC_TMP/textfile"
"$PC" metrics --textfile "$PC_TMP/textfile"
check "--textfile writes DIR/portcullis.prom and leaves no temporary file" sh -c "test -s '$PC_TMP/textfile/portcullis.prom' && test \$(ls -A '$PC_TMP/textfile' | wc -l) -eq 1"

# --- stats for people.
"$PC" stats --netns "$SRV" >"$PC_TMP/stats.txt"
check "stats shows totals" grep -q '^TOTAL .*in  pass' "$PC_TMP/stats.txt"
check "stats lists rules that never matched" grep -q '^NEVER MATCHED since load:.* pqtunnels' "$PC_TMP/stats.txt"
check "stats uses human units" grep -qE ' [0-9.]+k ' "$PC_TMP/stats.txt"
check "no colour when not a terminal" sh -c "! grep -q \$'\\033' '$PC_TMP/stats.txt'"
first=$("$PC" stats --netns "$SRV" --sort packets | sed -n 3p | awk '{print $1}')
expect_eq "--sort packets puts the busiest rule first" "$first" in_default_drop
summary
