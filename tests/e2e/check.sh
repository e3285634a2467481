#!/usr/bin/env bash
# `portcullis check`: every file in tests/policies/bad/ is rejected with
# exit code 3 and the error (line:column) in its .expect file, without a
# crash; the shipped and test policies pass.
set -u
. "$(dirname "$0")/../lib.sh"
trap pc_cleanup EXIT

cd "$PC_ROOT/tests/policies/bad"
for f in *.yaml; do
	n=${f%.yaml}
	"$PC" check "$f" >"$PC_TMP/out" 2>&1
	rc=$?
	expect_eq "check $f exits 3 (invalid policy)" "$rc" 3
	want=$(cat "$n.expect")
	if grep -qF -- "$want" "$PC_TMP/out"; then
		ok "check $f reports: $want"
	else
		fail "check $f: want '$want', got '$(head -3 "$PC_TMP/out")'"
	fi
done

cd "$PC_ROOT"
for f in policies/*.yaml tests/policies/*.yaml; do
	check "check $f is valid" "$PC" check "$f"
done
check "check without a file validates the built-in default" "$PC" check
out=$("$PC" check policies/default.yaml)
check "summary names the SSH port" grep -q "SSH on port 22" <<<"$out"
check "summary lists the tunnel rule" grep -q "tunnel-region1 .*7844" <<<"$out"
"$PC" check /nonexistent.yaml >/dev/null 2>&1
expect_eq "check of a missing file exits 3" "$?" 3
"$PC" frobnicate >/dev/null 2>&1
expect_eq "unknown command exits 2" "$?" 2
"$PC" up >/dev/null 2>&1
expect_eq "up without --iface exits 2" "$?" 2
summary
