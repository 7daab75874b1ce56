#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The example DaemonSet (packaging/examples/rootcache-daemonset.yaml) against
# the Kubernetes API schema of an apps/v1 DaemonSet, offline: the strict JSON
# Schema beside this script (daemonset-apps-v1.schema.json, made by
# make-schema.mjs), checked with Debian's python3-jsonschema and
# python3-yaml (tests/vm/install-host-deps installs them). Then broken copies
# of the manifest, one mistake each, must fail: so the check can fail.
# Skipped (exit 77) when no python3 has both modules.
#   daemonset_schema_test.sh REPO_DIR
set -u
REPO=${1:?usage: daemonset_schema_test.sh REPO_DIR}
HERE=$REPO/tests/unit/k8s
SCHEMA=$HERE/daemonset-apps-v1.schema.json
MANIFEST=$REPO/packaging/examples/rootcache-daemonset.yaml
T=$(mktemp -d "${TMPDIR:-/tmp}/rootcache-k8s.XXXXXX")
trap 'rm -rf "$T"' EXIT

py=
for p in /usr/bin/python3 python3; do
	if "$p" -c 'import jsonschema, yaml' 2>/dev/null; then
		py=$p
		break
	fi
done
if [ -z "$py" ]; then
	echo "ok - # SKIP no python3 with jsonschema and yaml (Debian python3-jsonschema python3-yaml, or tests/vm/install-host-deps)"
	exit 77
fi

# validate FILE: every YAML document in FILE against the schema; prints each
# error as "FILE: path: message"; exit 1 when there is one.
validate() {
	"$py" - "$SCHEMA" "$1" <<'PY'
import json, sys
import jsonschema, yaml
schema = json.load(open(sys.argv[1]))
jsonschema.Draft7Validator.check_schema(schema)
validator = jsonschema.Draft7Validator(schema)
docs = [d for d in yaml.safe_load_all(open(sys.argv[2])) if d is not None]
errors = 0
if not docs:
    print(f"{sys.argv[2]}: no document")
    errors = 1
for doc in docs:
    for e in sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path)):
        where = "/".join(str(p) for p in e.absolute_path) or "(top)"
        print(f"{sys.argv[2]}: {where}: {e.message}")
        errors += 1
sys.exit(1 if errors else 0)
PY
}

fail=0
if out=$(validate "$MANIFEST" 2>&1); then
	echo "ok - the example DaemonSet validates against the apps/v1 schema"
else
	echo "not ok - the example DaemonSet validates against the apps/v1 schema"
	printf '%s\n' "$out" | sed 's/^/# /'
	fail=1
fi

# broken NAME SED-EXPRESSION: the manifest with one mistake must fail, and
# the mistake must be in it (the expression matched).
broken() {
	sed "$2" "$MANIFEST" >"$T/$1.yaml"
	if cmp -s "$MANIFEST" "$T/$1.yaml"; then
		echo "not ok - broken manifest '$1': the edit did not apply"
		fail=1
	elif out=$(validate "$T/$1.yaml" 2>&1); then
		echo "not ok - broken manifest '$1' is refused"
		fail=1
	else
		echo "ok - broken manifest '$1' is refused"
		printf '%s\n' "$out" | sed 's/^/# /'
	fi
}
broken misspelled-field 's/^      containers:$/      contianers:/'
broken unknown-field 's/^      hostPID: true$/      hostPID: true\n      hostPIDs: true/'
broken wrong-type 's/^      hostPID: true$/      hostPID: "yes"/'
broken bad-enum 's/imagePullPolicy: IfNotPresent/imagePullPolicy: Sometimes/'
broken missing-selector '/^  selector:$/,/^      app.kubernetes.io\/name: rootcache$/d'
broken wrong-kind 's/^kind: DaemonSet$/kind: Daemonset/'
exit $fail
