#!/usr/bin/env bash
#
# capture-versions.sh — capture the fixtures on every PostgreSQL version planlint is tested on:
# scripts/capture-fixtures.sh once a version, one version after the other.
#
#   scripts/capture-versions.sh               # 12, 13, 14, 16, 17 and 18 (installed by
#                                             # scripts/pg-versions.sh, cached in target/) into
#                                             # tests/fixtures/plans/<major>/; ~15 s a version
#   scripts/capture-versions.sh 12 18         # those versions only
#   scripts/capture-versions.sh 15 12         # 15 is PostgreSQL 15 (Debian's, as
#                                             # capture-fixtures.sh finds it): the flat fixtures,
#                                             # paste variants and examples
#   PLANLINT_CAPTURE_OUT=DIR scripts/capture-versions.sh
#                                             # into DIR/tests/fixtures/... (as capture-fixtures.sh)
#
# Stops at the first version whose capture fails (a failed capture leaves its files untouched).

set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/pg-versions.sh
source "$here/pg-versions.sh"

majors=("$@")
if [[ ${#majors[@]} -eq 0 ]]; then
    for entry in "${PG_VERSIONS[@]}"; do majors+=("${entry%%=*}"); done
fi
others=()
for major in "${majors[@]}"; do [[ $major == 15 ]] || others+=("$major"); done
if [[ ${#others[@]} -gt 0 ]]; then
    pg_versions_install "${others[@]}" || exit 1
fi
start=$SECONDS
for major in "${majors[@]}"; do
    echo "capture-versions: PostgreSQL $major" >&2
    if [[ $major == 15 ]]; then
        "$here/capture-fixtures.sh"
    else
        "$here/capture-fixtures.sh" "$(pg_versions_bin "$major")"
    fi
done
echo "capture-versions: captured ${majors[*]} in $((SECONDS - start)) s" >&2
