# shellcheck shell=bash disable=SC2034  # sets globals (PIN_SUT, SERVER_DLL…) for the scripts that source it
# Shell helpers shared by bench/run.sh and bench/publish.sh. Sourced, not run: the caller sets `set -euo pipefail`,
# START (date +%s, for the elapsed seconds in progress lines) and REPO (the repository root).

log() { printf '[%4ds] %s\n' "$(($(date +%s) - START))" "$*"; }
die() { log "FAILED: $*" >&2; exit 1; }

stop_pid() { # stop_pid PID: TERM, wait up to 10 s, then KILL (only ever a PID the caller started)
  local pid=$1 i
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# install_missing COMMAND=PACKAGE[/FALLBACK] ...: apt-installs the packages of the commands not on PATH (as root only).
# A fallback is taken when the first package does not exist (nginx=nginx-light/nginx).
install_missing() {
  local spec cmd alts pkg pkgs=() missing=()
  for spec in "$@"; do
    cmd=${spec%%=*}
    command -v "$cmd" >/dev/null || missing+=("$spec")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" -eq 0 ] || die "missing ${missing[*]%%=*}: install them (apt-get install ${missing[*]#*=}) or run as root"
  for spec in "${missing[@]}"; do
    alts=${spec#*=}
    pkg=${alts%%/*}
    if [ "$pkg" != "$alts" ] && ! apt-cache show "$pkg" >/dev/null 2>&1; then pkg=${alts##*/}; fi
    pkgs+=("$pkg")
  done
  if ! apt-cache show "${pkgs[@]}" >/dev/null 2>&1; then timeout 300 apt-get update -qq; fi
  log "installing ${pkgs[*]}"
  DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -qq "${pkgs[@]}" >/dev/null
  # a Debian package may start its own daemon (nginx on port 80) under systemd; the benchmarks never use or stop it
}

# pin_cores: the server under test on CPU 0 and the load generators on CPU 1, when there are two cores and taskset.
pin_cores() {
  if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
    PIN_SUT=(taskset -c 0) PIN_WRK=(taskset -c 1) PINNING="server/nginx on CPU 0, wrk on CPU 1 (taskset)"
  else
    PIN_SUT=() PIN_WRK=() PINNING="none (taskset missing or a single core)"
  fi
}

# build_release WORK: Release builds of the server and the CLI; sets SERVER_DLL, CLI_DLL and BUILT_FROM (the commit, and
# whether src/ had uncommitted changes: recorded now, as the tree may change while the benchmark runs).
build_release() {
  local work=$1
  SERVER_DLL=$REPO/src/LivePatch.Server/bin/Release/net10.0/LivePatch.Server.dll
  CLI_DLL=$REPO/src/LivePatch.Cli/bin/Release/net10.0/lpatch.dll
  BUILT_FROM="$(cd "$REPO" && git rev-parse --short HEAD)$(cd "$REPO" && git diff --quiet HEAD -- src || echo ' (with uncommitted changes under src/)')"
  (cd "$REPO" && timeout 900 dotnet build -c Release -nologo -v q src/LivePatch.Server/LivePatch.Server.csproj >"$work/build-server.log" 2>&1) \
    || { tail -20 "$work/build-server.log"; die "server build"; }
  (cd "$REPO" && timeout 900 dotnet build -c Release -nologo -v q src/LivePatch.Cli/LivePatch.Cli.csproj >"$work/build-cli.log" 2>&1) \
    || { tail -20 "$work/build-cli.log"; die "CLI build"; }
}

free_port() {
  local p i
  for i in $(seq 1 200); do
    p=$(shuf -i 20000-45000 -n 1)
    if ! ss -Htln "sport = :$p" | grep -q .; then echo "$p"; return 0; fi
  done
  die "no free port"
}

wait_http() { # wait_http URL SECONDS PID: until URL answers (any status), the PID exits, or SECONDS pass
  local _
  for _ in $(seq 1 $(($2 * 10))); do
    curl -s -o /dev/null --max-time 2 "$1" && return 0
    kill -0 "$3" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

cpu_ticks() { # sum of utime+stime (clock ticks) over the given PIDs
  local total=0 p f
  for p in "$@"; do
    read -r -a f <"/proc/$p/stat" || continue
    total=$((total + f[13] + f[14]))
  done
  echo "$total"
}

loadavg() { cut -d' ' -f1 /proc/loadavg; }
rss_mib() { awk '/^VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }
rss_kib() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }

# machine_rows: the rows of the results' machine table that every benchmark shares (markdown, after a "| | |" header).
machine_rows() {
  cat <<EOF
| cores (\`nproc\`) | $(nproc) |
| CPU | $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//') |
| memory | $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) |
| kernel | $(uname -sr) |
| .NET | SDK $(dotnet --version), runtime $(dotnet --list-runtimes | awk '/Microsoft.AspNetCore.App/ { v = $2 } END { print "ASP.NET Core " v }') |
EOF
}

# kept_analysis FILE: the hand-written text from a line `<!-- analysis -->` to the end, which survives a re-run.
kept_analysis() {
  if [ -f "$1" ] && grep -q '^<!-- analysis -->' "$1"; then sed -n '/^<!-- analysis -->/,$p' "$1"; fi
}
