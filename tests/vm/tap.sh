# shellcheck shell=bash
# shellcheck disable=SC2034  # EXPECTED_DIR is used by the scripts that source this
# TAP of the selftests guest runs, and their expected results (tests/vm/expected/).
# Sourced by tests/vm/check and tests/vm/update-expected, after lib.sh.

EXPECTED_DIR=${ROOTCACHE_EXPECTED_DIR:-$VM_DIR/expected}

# tap_extract: the TAP lines of a console log (stdin).
tap_extract() {
	tr -d '\r' | grep -E '^([ \t]*(not )?ok([ \t]|$)|[ \t]*1\.\.[0-9]+|TAP version|Bail out!|[ \t]*#)' || true
}

# tap_counts TAPFILE: "pass fail skip bailout plan count" over leaf results.
tap_counts() {
	awk '
		function indent(s) { match(s, /^[ \t]*/); return RLENGTH }
		/^[ \t]*(not )?ok([ \t]|$)/ {
			d = indent($0)
			if (d == 0) top++
			if (seen && d < last) { last = d; next }   # a parent of subtests
			seen = 1; last = d
			if ($0 ~ /^[ \t]*not ok/) {
				if ($0 ~ /#[ \t]*[Tt][Oo][Dd][Oo]/) skip++; else fail++
			} else if ($0 ~ /#[ \t]*[Ss][Kk][Ii][Pp]/) skip++
			else pass++
			next
		}
		/^Bail out!/ { bail = 1 }
		/^1\.\.[0-9]+/ { sub(/^1\.\./, ""); plan = $0 + 0 }
		END { printf "%d %d %d %d %d %d\n", pass, fail, skip, bail, (plan == "" ? -1 : plan), top }
	' "$1"
}

# tap_bail_reason TAPFILE: the text of its first "Bail out!" line.
tap_bail_reason() {
	sed -n 's/^Bail out![[:space:]]*//p' "$1" | head -n1
}

# expected_key NAME: "6.12-v2" for the run selftests-6.12-v2 (or its .tap file).
expected_key() {
	local k=${1##*/}
	k=${k%.tap}
	echo "${k#selftests-}"
}

# tap_release TAPFILE SERIES BUILD: the guest's `uname -r`, as run_all prints it
# ("# uname -r: ..."); for a TAP of an older run_all, BUILD/vm/SERIES/abi.
tap_release() {
	local r
	r=$(sed -n 's/^# uname -r: //p' "$1" | head -n1)
	[[ -n $r || ! -r $3/vm/$2/abi ]] || r=$(cat "$3/vm/$2/abi")
	echo "$r"
}

# tap_summary TAPFILE RELEASE: the run's results in the format of the files in
# tests/vm/expected/ (comments and blank lines aside):
#   results N                   top-level results (ok, not ok, skipped)
#   program PROGRAM N           results of each program (run_all's "# ---- PROGRAM")
#   skip NAME # REASON          each ok ... # SKIP, RELEASE in REASON as <uname -r>
#   todo NAME # REASON          each not ok ... # TODO, likewise
tap_summary() {
	awk -v rel="$2" '
		function norm(s,   i, out) {
			if (rel == "") return s
			out = ""
			while ((i = index(s, rel)) > 0) {
				out = out substr(s, 1, i - 1) "<uname -r>"
				s = substr(s, i + length(rel))
			}
			return out s
		}
		function trim(s) { sub(/^[ \t]+/, "", s); sub(/[ \t]+$/, "", s); return s }
		/^# ---- [^ \t]+$/ { prog = substr($0, 8); if (!(prog in cnt)) cnt[prog] = 0; next }
		/^(not )?ok([ \t]|$)/ {
			total++
			p = (prog == "" ? "(none)" : prog)
			cnt[p]++
			notok = ($0 ~ /^not ok/)
			line = $0
			sub(/^(not )?ok[ \t]*[0-9]*[ \t]*(-[ \t]*)?/, "", line)
			name = line; dir = ""
			if ((i = index(line, "#")) > 0) { name = substr(line, 1, i - 1); dir = substr(line, i + 1) }
			name = trim(name); dir = trim(dir)
			if (!notok && dir ~ /^[Ss][Kk][Ii][Pp]([ \t]|$)/) kind = "skip"
			else if (notok && dir ~ /^[Tt][Oo][Dd][Oo]([ \t]|$)/) kind = "todo"
			else next
			reason = trim(substr(dir, 5))
			# a sort key first: results, then programs, skips, todos by name
			print (kind == "skip" ? 2 : 3) " " kind " " name " # " norm(reason)
		}
		END {
			print "0 results " (total + 0)
			for (p in cnt) print "1 program " p " " cnt[p]
		}
	' "$1" | LC_ALL=C sort | cut -d' ' -f2-
}

# expected_body FILE [OVERLAY]: an expected file without its comments and
# blank lines. With OVERLAY (tests/vm/expected/arm64.txt: what differs on an
# architecture), its "skip NAME # REASON" and "todo NAME # REASON" lines
# replace FILE's lines of the same NAME, or are added, in tap_summary's order.
# A missing OVERLAY changes nothing.
expected_body() {
	if [[ -z ${2:-} || ! -r $2 ]]; then
		grep -Ev '^[[:space:]]*(#|$)' "$1" || true
		return 0
	fi
	awk '
		function key(kind) { return kind == "results" ? 0 : kind == "program" ? 1 : kind == "skip" ? 2 : 3 }
		/^[[:space:]]*(#|$)/ { next }
		FNR == NR { over[$2] = $0; next }
		($1 == "skip" || $1 == "todo") && ($2 in over) { next }
		{ print key($1) " " $0 }
		END { for (n in over) { split(over[n], f, " "); print key(f[1]) " " over[n] } }
	' "$2" "$1" | LC_ALL=C sort | cut -d' ' -f2-
}

# expected_files KEY DIR: the expected file of a run key and its overlay, if
# any: arm64-6.1-v2 is DIR/6.1-v2.txt (the same tests, the same kernel series)
# with DIR/arm64.txt over it; any other KEY is DIR/KEY.txt alone.
expected_files() {
	case "$1" in
	arm64-*) echo "$2/${1#arm64-}.txt $2/arm64.txt" ;;
	*) echo "$2/$1.txt" ;;
	esac
}

# ksft_to_run_all: the output of the kernel's run_kselftest.sh (stdin, after
# tap_extract) as run_all would have printed the same programs' results, so
# that it is counted and compared like a run_all run (tests/vm/README.md,
# "kselftest-6.12-v2"). kselftest reports one result per program ("ok N
# selftests: rootcache: PROG") and passes the program's own TAP on with a
# "# " prefix; here the program's results become "ok K - PROG.TEST", under a
# "# ---- PROG" header, renumbered, and the per-program line adds a "not ok"
# of its own only where run_all would: a timeout, no results, fewer results
# than the program's plan, or a failing exit status without a failed result.
# The plan is printed only when every program the top-level plan announced
# reported; otherwise "# kselftest: N of M programs reported" and no plan.
ksft_to_run_all() {
	awk '
		function emit(st, text) {
			n++
			print st " " n " - " text
		}
		function result(line, st, rest, num) {
			st = "ok"; rest = substr(line, 4)
			if (line ~ /^not ok/) { st = "not ok"; rest = substr(line, 8) }
			match(rest, /^[0-9]*/); num = substr(rest, 1, RLENGTH); rest = substr(rest, RLENGTH + 1)
			sub(/^ /, "", rest); sub(/^- /, "", rest)
			if (rest == "") rest = num
			if (st != "ok") failed++
			results++
			emit(st, prog "." rest)
		}
		BEGIN { print "TAP version 13"; tops = 0; topplan = -1 }
		prog == "" && /^TAP version/ { next }
		prog == "" && /^1\.\.[0-9]+/ { topplan = substr($0, 4) + 0; next }
		/^# selftests: [^ :]+: [^ ]+$/ {
			prog = $NF; results = 0; failed = 0; plan = ""
			print "# ---- " prog
			next
		}
		/^(not )?ok [0-9]+ selftests: [^ :]+: / {
			tops++
			p = prog; if (p == "") { split($0, f, " "); p = ($1 == "not" ? f[6] : f[5]) }
			prog = p
			notok = ($0 ~ /^not ok/)
			dir = ""; if ((i = index($0, "#")) > 0) dir = substr($0, i + 1)
			sub(/^[ \t]+/, "", dir)
			if (dir ~ /^TIMEOUT/) emit("not ok", prog ".timeout # " dir)
			else if (results == 0) emit("not ok", prog " # no results (" (dir == "" ? "ok" : dir) ")")
			else if (plan != "" && results < plan) emit("not ok", prog ".plan # " results " of " plan " results (" dir ")")
			else if (notok && failed == 0) emit("not ok", prog ".exit # " dir)
			prog = ""
			next
		}
		prog != "" && /^#( |$)/ {
			line = substr($0, 3)
			sub(/[ \t]+$/, "", line)
			if (line ~ /^(not )?ok([ \t]|$)/) result(line)
			else if (line ~ /^1\.\.[0-9]+/) plan = substr(line, 4) + 0
			else if (line ~ /^(K)?TAP version/ || line == "") ;
			else if (line ~ /^#/) print line
			else if (line ~ /^Bail out!/) { failed++; emit("not ok", prog ".bail_out # " substr(line, 10)) }
			else print "# " line
			next
		}
		/^Bail out!/ { print; next }
		/^#/ { print; next }
		END {
			if (topplan >= 0 && tops == topplan) print "1.." n
			else print "# kselftest: " tops " of " (topplan < 0 ? "?" : topplan) " programs reported"
		}
	'
}
