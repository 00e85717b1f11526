# Shared by scripts/test.sh and scripts/demo.sh (sourced, not run): the virtualenv and local services.
# Both scripts must work on a fresh machine with only python3.11 and package registries reachable.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 DEBIAN_FRONTEND=noninteractive

log() { printf '\n==> %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

find_python() {
    local candidate
    for candidate in "${AI_ETL_PYTHON:-}" python3.11 python3; do
        [[ -n "$candidate" ]] && command -v "$candidate" >/dev/null 2>&1 || continue
        if "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] < (3, 11))' 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}

# Create (or reuse) .venv and install the package with its dev extra. The install is skipped when
# pyproject.toml has not changed since the last successful one: a rerun then costs nothing.
ensure_venv() {
    if ! "$PY" -c 'import sys' >/dev/null 2>&1; then
        local python
        python="$(find_python)" || die "python3.11 (or newer) is needed on PATH"
        log "creating $VENV with $python"
        "$python" -m venv "$VENV"
    fi
    local stamp="$VENV/.ai-etl-installed" want
    want="$(sha256sum "$ROOT/pyproject.toml" | cut -d' ' -f1)"
    # (Asks for the installed distribution: `import airflow_ai_etl` would also succeed from the cwd.)
    if [[ "$(cat "$stamp" 2>/dev/null)" == "$want" ]] &&
        "$PY" -c 'import importlib.metadata as m; m.distribution("airflow-ai-etl")' 2>/dev/null; then
        return 0
    fi
    # torch first and pinned: the CPU build on this disk, not a larger one the memory extra could pull
    log "installing airflow-ai-etl[dev] into $VENV (a few minutes on a fresh machine)"
    local pip_log="$VENV/pip-install.log"
    if ! { "$PY" -m pip install --upgrade pip && "$PY" -m pip install torch==2.13.0 &&
        "$PY" -m pip install -e "$ROOT[dev]"; } >"$pip_log" 2>&1; then
        tail -n 40 "$pip_log" >&2
        die "pip install failed; full log: $pip_log"
    fi
    echo "$want" >"$stamp"
}

as_root() {
    if [[ "$(id -u)" == 0 ]]; then "$@"; elif command -v sudo >/dev/null; then sudo -n "$@"; else
        die "need root to run: $*"
    fi
}

apt_install() {
    log "installing $* with apt"
    as_root apt-get update -qq
    as_root apt-get install -y -qq --no-install-recommends "$@"
}

wait_for() { # wait_for SECONDS DESCRIPTION COMMAND...
    local seconds="$1" what="$2"
    shift 2
    for ((i = 0; i < seconds * 4; i++)); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.25
    done
    die "$what did not come up within ${seconds}s"
}

pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 && psql -h 127.0.0.1 -U postgres -d postgres -Atqc 'select 1'; }

# PostgreSQL at 127.0.0.1:5432, user postgres, trust auth (what the tests expect).
ensure_postgres() {
    command -v pg_isready >/dev/null && pg_up >/dev/null 2>&1 && return 0
    command -v pg_ctlcluster >/dev/null || apt_install postgresql postgresql-client
    if ! ls -d /etc/postgresql/*/main >/dev/null 2>&1; then
        as_root pg_createcluster "$(ls /usr/lib/postgresql | sort -V | tail -1)" main
    fi
    local version hba
    version="$(ls /etc/postgresql | sort -V | tail -1)"
    hba="/etc/postgresql/$version/main/pg_hba.conf"
    if grep -Eq '^[^#]*(peer|md5|scram-sha-256)[[:space:]]*$' "$hba"; then
        # A fresh cluster asks for passwords over TCP; the tests connect as postgres without one.
        log "setting trust authentication in $hba (local test database)"
        as_root sed -i -E '/^[[:space:]]*#/!s/(peer|md5|scram-sha-256)[[:space:]]*$/trust/' "$hba"
        as_root pg_ctlcluster --skip-systemctl-redirect "$version" main stop >/dev/null 2>&1 || true
    fi
    log "starting PostgreSQL $version"
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    wait_for 60 "PostgreSQL at 127.0.0.1:5432" pg_up
}

# Redis at 127.0.0.1:6379 (cache; nothing persisted).
ensure_redis() {
    command -v redis-cli >/dev/null && redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG && return 0
    command -v redis-server >/dev/null || apt_install redis-server
    log "starting Redis"
    as_root mkdir -p /var/lib/redis /var/log/redis
    as_root redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
        --dir /var/lib/redis --logfile /var/log/redis/ci.log
    wait_for 30 "Redis at 127.0.0.1:6379" sh -c 'redis-cli -h 127.0.0.1 -p 6379 ping | grep -q PONG'
}

# Debian's headless Chromium for the browser end-to-end test (Playwright drives it; never
# `playwright install`, which downloads a browser).
ensure_chromium() {
    [[ -x /usr/bin/chromium ]] && return 0
    apt_install chromium chromium-driver
}
