#!/usr/bin/env bash
# scripts/bench-targets on the CSVs of a real bench run (tests/bench/fixtures,
# trimmed from the Intel VM run of 2026-12-01T20:18Z in docs/performance.md's
# history, the iperf3 arms renamed as they are now): each target judged as
# the numbers say, a missing CSV "not measured", no CSV at all an error.
set -u
. "$(dirname "$0")/../lib.sh"
trap 'rm -rf "$PC_TMP"' EXIT

TARGETS="$PC_ROOT/scripts/bench-targets"
FIX="$PC_ROOT/tests/bench/fixtures"
RUN="$PC_TMP/run"

# col COLUMN TARGET: that column of the target's row of targets.csv
# ("absent" when no row has it); met TARGET is col met (yes, NO, -).
col() {
	python3 - "$RUN/targets.csv" "$1" "$2" <<'EOP'
import csv, sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if r["target"] == sys.argv[3]]
print(rows[0][sys.argv[2]] if rows else "absent")
EOP
}
met() { col met "$1"; }
measured() { col measured "$1"; }

fresh() {
	rm -rf "$RUN"
	mkdir -p "$RUN"
	cp "$FIX"/*.csv "$RUN"/
}

fresh
"$TARGETS" "$RUN" >"$PC_TMP/table" 2>&1
expect_eq "targets: exit 0 on a run that misses some" "$?" 0
check "targets: the table ends with the count" \
	grep -qE '^targets met: [0-9]+ of [0-9]+$' "$PC_TMP/table"
expect_eq "targets: a path name with a comma is read whole" \
	"$(measured 'each verdict path <= 1.3x parse + one lookup')" "7 of 13"
expect_eq "targets: established in at 1.43x misses 1.3x" \
	"$(met 'in: established (flow hit)')" NO
expect_eq "targets: established IPv6 at 1.33x misses 1.3x" \
	"$(met 'in: established IPv6')" NO
expect_eq "targets: the insert reference is context, not judged" \
	"$(met 'out: new flow allowed x parse + lookup + insert')" -
expect_eq "targets: cold flood 7.5x iptables-legacy misses 8x" \
	"$(met 'flood (cold): portcullis x iptables-legacy')" NO
expect_eq "targets: warm flood vs iptables-legacy meets 8x" \
	"$(met 'flood (warm): portcullis x iptables-legacy')" yes
expect_eq "targets: cold flood 6.9x nftables meets 5x" \
	"$(met 'flood (cold): portcullis x nftables')" yes
expect_eq "targets: an arm with no rows is not judged" \
	"$(met 'flood (cold): portcullis x iptables-nft')" absent
expect_eq "targets: flow table 0 after the floods" \
	"$(met 'flow table after every flood')" yes
expect_eq "targets: iperf in -3.1% (up's own choice, tc on a veth) is within 5%" \
	"$(met 'iperf3 in: portcullis x no firewall')" yes
expect_eq "targets: iperf out -5.2% misses 5%" \
	"$(met 'iperf3 out: portcullis x no firewall')" NO
expect_eq "targets: iperf in -1.7% of iptables is not better" \
	"$(met 'iperf3 in: portcullis x iptables')" NO
expect_eq "targets: native XDP on a veth (--xdp) is context, not judged" \
	"$(met 'iperf3 in: portcullis-xdp x no firewall')" -
check "targets: its note names the empty XDP_PASS" sh -c \
	"grep 'iperf3 in: portcullis-xdp x no firewall' '$PC_TMP/table' | grep -q 'XDP_PASS: -53.3%'"
expect_eq "targets: one frame at 1M flows 1.09x of 1k" \
	"$(measured 'established at 1M flows x 1k (one frame)')" 1.09x
expect_eq "targets: random flows at 1M 4.91x misses 3x" \
	"$(met 'established at 1M flows x 1k (random flows)')" NO
# 41-47 ns raw (1.15x) but 1.37-1.40x of the reference beside each size
expect_eq "targets: allowlist spread judged on ratios, not raw ns" \
	"$(measured 'established over allowlist sizes (allow/32)')" 1.02x

fresh
echo "flow-table-after-flood,portcullis/syn,12" >>"$RUN/flood-table.csv"
"$TARGETS" "$RUN" >/dev/null 2>&1
expect_eq "targets: a flood that grew the table misses" \
	"$(met 'flow table after every flood')" NO

fresh
# runs since 2026-12-02 carry line_ns, the cache line time before each
# cold run: the cold rows name it, the warm rows and older runs do not
python3 - "$RUN/flood.csv" <<'EOP'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
with open(sys.argv[1], "w", newline="") as f:
    w = csv.DictWriter(f, fieldnames=list(rows[0]) + ["line_ns"])
    w.writeheader()
    for r in rows:
        cold = r["placement"] == "cross"
        r["line_ns"] = ("61.5" if r["arm"] == "portcullis" else "248.0") if cold else ""
        w.writerow(r)
EOP
"$TARGETS" "$RUN" >/dev/null 2>&1
expect_eq "targets: a cold flood row names the cache line time" \
	"$(col note 'flood (cold): portcullis x nftables')" \
	"cache line CPU 0 -> 1: 62-248 ns before these runs"
expect_eq "targets: a warm flood row does not" \
	"$(col note 'flood (warm): portcullis x nftables')" ""

fresh
# runs since 2026-12-02 carry each arm's slowest and fastest rounds: a
# "better than iptables" whose rounds overlap says so, one apart does not
python3 - "$RUN/iperf.csv" <<'EOP'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
spans = {("portcullis", "out"): ("18.00", "18.50"), ("iptables", "out"): ("17.50", "18.20"),
         ("portcullis", "in"): ("16.80", "17.30"), ("iptables", "in"): ("17.40", "17.90")}
with open(sys.argv[1], "w", newline="") as f:
    w = csv.DictWriter(f, fieldnames=list(rows[0]) + ["gbit_min", "gbit_max"])
    w.writeheader()
    for r in rows:
        r["gbit_min"], r["gbit_max"] = spans.get((r["arm"], r["direction"]), ("", ""))
        w.writerow(r)
EOP
"$TARGETS" "$RUN" >/dev/null 2>&1
expect_eq "targets: iperf rounds that overlap are named" \
	"$(col note 'iperf3 out: portcullis x iptables')" \
	"rounds overlap: 18.00-18.50 against 17.50-18.20 Gbit/s"
expect_eq "targets: iperf rounds apart are not" \
	"$(col note 'iperf3 in: portcullis x iptables')" ""

fresh
# runs since 2026-12-02 also time random flows back to back: judged too
cat >>"$RUN/scaling.csv" <<'EOC'
flows,1000,ref: b2b random,15.5,
flows,1000,in: est. b2b random,22.8,1.473
flows,1000000,ref: b2b random,412.4,
flows,1000000,in: est. b2b random,444.3,1.077
EOC
"$TARGETS" "$RUN" >/dev/null 2>&1
expect_eq "targets: random flows back to back, 19.49x, miss 3x" \
	"$(met 'established at 1M flows x 1k (random, back to back)')" NO
expect_eq "  ... beside the bare lookup's growth, as context" \
	"$(measured 'reference, back to back at 1M flows x 1k')" 26.61x

fresh
: >"$RUN/flood-table.csv"
"$TARGETS" "$RUN" >/dev/null 2>&1
expect_eq "targets: an empty flood-table.csv is not measured, no crash" \
	"$(met 'flow table after every flood')" -

fresh
rm "$RUN/iperf.csv"
"$TARGETS" "$RUN" >"$PC_TMP/table" 2>&1
expect_eq "targets: without iperf.csv its target is not measured" \
	"$(met 'iperf3: portcullis x no firewall')" -
check "targets: and the table says so" \
	grep -q 'not measured (iperf.csv)' "$PC_TMP/table"

rm -rf "$RUN"
mkdir -p "$RUN"
"$TARGETS" "$RUN" >/dev/null 2>&1
expect_eq "targets: no CSV at all exits 2" "$?" 2
summary
