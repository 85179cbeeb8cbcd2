#!/usr/bin/env bash
# Read-path benchmark: the LivePatch server against nginx serving the same bytes as a static tree.
#
#   bench/run.sh [N...]        (default: 100 100000)
#
# For each N: a fresh server (temp data folder, free loopback port), one signed module published for N random
# build IDs (batches of at most 10,000), a static copy of the read tree fetched from that server, nginx serving the
# copy on another loopback port, then wrk against both, side by side, on the same settings. With several sizes, the
# first size's server stays up, and each later size's manifest runs are interleaved with runs against it (the "no
# slowdown" target, measured without the drift between phases minutes apart). Writes bench/results.md.
# READ_PATHS="tuned simple" measures both read-path designs (LivePatch:ReadPath) in the same run: after publishing, the
# data folder is copied once per design and one server per design runs on its copy; each round runs every design and
# nginx back to back, and the verdicts and a "tuned vs simple" table are computed for each design.
# Not part of CI. Everything talks to 127.0.0.1 only; every loop is bounded in count and time.
#
# Settings (environment): WRK_THREADS=1 WRK_CONNS=64 WRK_DURATION=10s WARMUP=8s ROUNDS=3 BATCH=10000
#   NGINX_WORKERS=1 PROFILE=1 (a dotnet-counters pass after the comparison) RESULTS=bench/results.md
#   READ_PATHS=tuned (the LivePatch:ReadPath designs to measure: tuned, simple, or "tuned simple")
set -euo pipefail
umask 022

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=$REPO/bench
if [ $# -eq 0 ]; then set -- 100 100000; fi
SIZES=("$@")
WRK_THREADS=${WRK_THREADS:-1}
WRK_CONNS=${WRK_CONNS:-64}
WRK_DURATION=${WRK_DURATION:-10s}
WARMUP=${WARMUP:-8s}
ROUNDS=${ROUNDS:-3}
BATCH=${BATCH:-10000}
NGINX_WORKERS=${NGINX_WORKERS:-1}
PROFILE=${PROFILE:-1}
RESULTS=${RESULTS:-$BENCH/results.md}
read -r -a READ_PATHS <<<"${READ_PATHS:-tuned}"
TOOLS=${XDG_CACHE_HOME:-$HOME/.cache}/livepatch-bench/tools
MODULE=$REPO/tests/fixtures/modules/lp_sample.ko
WRK_ARGS=(-t"$WRK_THREADS" -c"$WRK_CONNS" -d"$WRK_DURATION" --timeout 5s)
START=$(date +%s)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

for n in "${SIZES[@]}"; do
  [[ $n =~ ^[1-9][0-9]*$ ]] && [ "$n" -le 1000000 ] || { echo "N must be 1..1000000, got '$n'" >&2; exit 2; }
done
[ "$BATCH" -ge 1 ] && [ "$BATCH" -le 10000 ] || { echo "BATCH must be 1..10000" >&2; exit 2; }
[ "${#READ_PATHS[@]}" -ge 1 ] && [ "${#READ_PATHS[@]}" -le 2 ] || { echo "READ_PATHS: one or two of tuned, simple" >&2; exit 2; }
for v in "${READ_PATHS[@]}"; do
  [[ $v =~ ^(tuned|simple)$ ]] || { echo "READ_PATHS: '$v' is not tuned or simple" >&2; exit 2; }
done
[ "${#READ_PATHS[@]}" -eq 1 ] || [ "${READ_PATHS[0]}" != "${READ_PATHS[1]}" ] || { echo "READ_PATHS names a design twice" >&2; exit 2; }
# With one design its server is "server" in the tables, as before; with two, each is named by its design.
if [ "${#READ_PATHS[@]}" -eq 1 ]; then SIDES=(server); else SIDES=("${READ_PATHS[@]}"); fi

# shellcheck source=bench/lib.sh
. "$BENCH/lib.sh" # log, die, stop_pid, install_missing, pin_cores, build_release, free_port, wait_http, cpu_ticks, rss_mib…

# ---------------------------------------------------------------- clean-up: only what this script started
WORK=$(mktemp -d /tmp/livepatch-bench.XXXXXX)
chmod 755 "$WORK" # nginx workers run as nobody and must read the tree
SERVER_PID="" NGINX_PID="" COUNTERS_PID=""
declare -A SIDE_PID=() SIDE_BASE=() # this size's server of each side (one design, or each of two)
declare -A REF_PID=() REF_BASE=()   # the first size's servers, kept for the interleaved no-slowdown runs
REF_N="" REF_DIR=""
stop_servers() { # every server of this size
  local v
  stop_pid "$SERVER_PID"; SERVER_PID=""
  for v in "${!SIDE_PID[@]}"; do stop_pid "${SIDE_PID[$v]}"; done
  SIDE_PID=()
}
cleanup() {
  local rc=$? v
  stop_pid "$COUNTERS_PID"; stop_servers; stop_pid "$NGINX_PID"
  for v in "${!REF_PID[@]}"; do stop_pid "${REF_PID[$v]}"; done
  COUNTERS_PID="" NGINX_PID="" REF_PID=()
  if [ "$rc" -ne 0 ] && compgen -G "$WORK/n*/server*.log" >/dev/null; then
    echo "--- last lines of the server logs:" >&2; tail -5 "$WORK"/n*/server*.log >&2
  fi
  if [ "$rc" -ne 0 ] && [ -n "${KEEP_ON_FAILURE:-}" ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- tools
install_missing wrk=wrk nginx=nginx-light/nginx curl=curl # nginx-light is enough (static files, sendfile, etags)
command -v dotnet >/dev/null || die "the .NET 10 SDK (dotnet) is required"
COUNTERS=""
if [ "$PROFILE" = 1 ]; then
  if command -v dotnet-counters >/dev/null; then COUNTERS=$(command -v dotnet-counters)
  elif [ -x "$TOOLS/dotnet-counters" ]; then COUNTERS=$TOOLS/dotnet-counters
  elif timeout 300 dotnet tool install --tool-path "$TOOLS" dotnet-counters >/dev/null 2>&1; then COUNTERS=$TOOLS/dotnet-counters
  else log "dotnet-counters not available: no profile pass"; fi
fi

# Pin the load generator to one core and the server under test (or nginx) to the other.
pin_cores

log "building the server and the CLI (Release)"
build_release "$WORK"

# ---------------------------------------------------------------- helpers
# run_wrk LABEL TARGET(server|nginx) PIDS URL SCRIPT [script args...] → appends one row to $ROWS
run_wrk() {
  local label=$1 target=$2 pids=$3 url=$4 script=$5; shift 5
  local script_args=(-s "$script" "$url" -- "$@") out t0 t1 tck l0 l1 kv p
  # warm-up (JIT, caches, keep-alive), not measured
  "${PIN_WRK[@]}" timeout 120 wrk -t"$WRK_THREADS" -c"$WRK_CONNS" -d"$WARMUP" --timeout 5s "${script_args[@]}" >/dev/null
  l0=$(loadavg); t0=$(cpu_ticks $pids)
  out=$( { "${PIN_WRK[@]}" timeout 120 wrk "${WRK_ARGS[@]}" "${script_args[@]}"; times; } 2>&1 ) || die "wrk $label $target: $out"
  for p in $pids; do kill -0 "$p" 2>/dev/null || die "$target (pid $p) is gone after $label; see its log"; done
  t1=$(cpu_ticks $pids); l1=$(loadavg)
  tck=$(getconf CLK_TCK)
  kv=$(grep '^RESULT' <<<"$out" | sed 's/^RESULT //') || die "no RESULT from wrk: $out"
  # `times` prints the shell's then the children's user/sys time: wrk's CPU is the last line
  local wrk_cpu
  wrk_cpu=$(tail -1 <<<"$out" | awk '{ split($1,a,"m"); split($2,b,"m"); sub("s","",a[2]); sub("s","",b[2]); printf "%.2f", a[1]*60+a[2]+b[1]*60+b[2] }')
  echo "$label $target $kv sut_ticks=$((t1 - t0)) clk_tck=$tck wrk_cpu_s=$wrk_cpu load0=$l0 load1=$l1" >>"$ROWS"
  log "  $label $target: $(awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] } printf "%.0f req/s, p50 %.2f ms, p99 %.2f ms", v["requests"] / (v["duration_us"] / 1e6), v["p50_us"] / 1000, v["p99_us"] / 1000 }' <<<"$kv") (load $l1)"
}

# start_server DATA BASE LOG DESIGN: the server as deployed (Production, configured keys) on DATA; sets SERVER_PID
start_server() {
  local data=$1 url=$2 server_log=$3 design=$4
  ASPNETCORE_ENVIRONMENT=Production LivePatch__DataDirectory=$data DOTNET_CLI_TELEMETRY_OPTOUT=1 LivePatch__ReadPath=$design \
    LivePatch__Signing__Certificate=$data/keys/manifest-signing.pem LivePatch__Signing__Key=$data/keys/manifest-signing.key \
    LivePatch__Signing__Roots__0=$data/keys/root.pem LivePatch__ModuleKeyring__0=$data/keys/module-signing.pem \
    "${PIN_SUT[@]}" dotnet "$SERVER_DLL" --urls "$url" >"$server_log" 2>&1 &
  SERVER_PID=$!
  wait_http "$url/healthz" 120 "$SERVER_PID" || { tail -30 "$server_log"; die "server ($design) did not start"; }
}

# start_sides DIR N URL: with one design, the server that published is the one measured; with two, it is stopped and
# each design gets a server of its own on its own copy of the data folder (the same documents), started the same way
start_sides() {
  local dir=$1 n=$2 url=$3 v port
  if [ "${#SIDES[@]}" -eq 1 ]; then
    SIDE_PID[server]=$SERVER_PID SIDE_BASE[server]=$url SERVER_PID=""
    return
  fi
  stop_pid "$SERVER_PID"; SERVER_PID=""
  for v in "${SIDES[@]}"; do
    cp -a "$dir/data" "$dir/data-$v"
    port=$(free_port)
    log "N=$n: starting the $v read path on http://127.0.0.1:$port, on a copy of the data folder"
    start_server "$dir/data-$v" "http://127.0.0.1:$port" "$dir/server-$v.log" "$v"
    SIDE_PID[$v]=$SERVER_PID SIDE_BASE[$v]=http://127.0.0.1:$port SERVER_PID=""
  done
  rm -rf "$dir/data" # each design reads its own copy from here on
}

# check_side SIDE DIR: that side's server answers sample manifests with the tree's bytes, and its ETag with 304
check_side() {
  local v=$1 dir=$2 p url=${SIDE_BASE[$1]}
  for p in $(shuf -n 3 "$dir/paths.txt"); do
    cmp -s <(curl -s --max-time 30 "$url$p") "$dir/tree$p" || die "$v differs from the tree on $p"
  done
  p=$(head -1 "$dir/server-etags.txt")
  [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -H "If-None-Match: ${p#* }" "$url${p% *}")" = 304 ] || die "$v: no 304"
}

# ---------------------------------------------------------------- one size
COMMANDS=$WORK/commands.txt
: >"$COMMANDS"
bench_size() {
  local n=$1 dir=$WORK/n$n
  mkdir -p "$dir/data" "$dir/tree" "$dir/nginx/tmp"
  chmod 755 "$dir" "$dir/tree"
  local port nport base nbase key t_pub0 t_pub1
  port=$(free_port)
  base=http://127.0.0.1:$port
  log "N=$n: starting the server on $base"
  # Production, as deployed: configured keys (Production refuses generated ones), no developer exception page.
  timeout 120 dotnet "$CLI_DLL" keys init --out "$dir/data/keys" >/dev/null || die "keys init"
  start_server "$dir/data" "$base" "$dir/server.log" "${READ_PATHS[0]}"
  key=$(cat "$dir/data/admin-api-key")

  # the module, signed by the server's development module key
  timeout 120 dotnet "$CLI_DLL" module sign "$MODULE" --key "$dir/data/keys/module-signing.key" \
    --cert "$dir/data/keys/module-signing.pem" --out "$dir/lp.ko" >/dev/null || die "module sign"

  # N distinct random 40-hex build IDs
  head -c $((n * 20)) /dev/urandom | od -An -v -tx1 -w20 | tr -d ' ' >"$dir/ids.txt"
  [ "$(sort -u "$dir/ids.txt" | wc -l)" -eq "$n" ] || die "build IDs not distinct"

  log "N=$n: publishing one module for $n kernels in batches of $BATCH"
  split -l "$BATCH" -d -a 4 "$dir/ids.txt" "$dir/batch."
  local done_ids=0 b count code now
  t_pub0=$(date +%s.%N)
  for b in "$dir"/batch.*; do
    count=$(wc -l <"$b")
    sed 's/.*/form = "buildId=&"/' "$b" >"$b.cfg" # repeated buildId fields, given to curl as a config file
    code=$(curl -s -o "$b.json" -w '%{http_code}' --max-time 900 -K "$b.cfg" \
      -H "Authorization: Bearer $key" -F "module=@$dir/lp.ko" "$base/v1/patches") || die "publish request failed"
    [ "$code" = 201 ] || { cat "$b.json" >&2; die "publish returned $code"; }
    done_ids=$((done_ids + count)); now=$(date +%s.%N)
    log "N=$n:   published $done_ids/$n kernels ($(awk -v a="$t_pub0" -v b="$now" -v c="$done_ids" 'BEGIN { printf "%.0f s, %.0f kernels/s", b - a, c / (b - a) }'))"
  done
  t_pub1=$(date +%s.%N)
  local blob
  blob=$(jq -r .sha256 "$dir/batch.0000.json")

  # optional larger blob: the same module with a 1 MiB section added, signed, published for the first kernel (level 2)
  local bigblob=""
  if command -v objcopy >/dev/null; then
    head -c 1048576 /dev/urandom >"$dir/pad.bin"
    objcopy --add-section .bench_pad="$dir/pad.bin" --set-section-flags .bench_pad=noload,readonly "$MODULE" "$dir/big.ko"
    timeout 120 dotnet "$CLI_DLL" module sign "$dir/big.ko" --key "$dir/data/keys/module-signing.key" \
      --cert "$dir/data/keys/module-signing.pem" --out "$dir/big-signed.ko" >/dev/null || die "big module sign"
    code=$(curl -s -o "$dir/big.json" -w '%{http_code}' --max-time 300 -H "Authorization: Bearer $key" \
      -F "module=@$dir/big-signed.ko" -F "buildId=$(head -1 "$dir/ids.txt")" "$base/v1/patches") || die "big publish failed"
    [ "$code" = 201 ] && bigblob=$(jq -r .sha256 "$dir/big.json") || log "N=$n: large module refused ($code): skipping the large blob"
  fi

  # ------------------------------------------------ the static tree, fetched from the server (same bytes)
  log "N=$n: fetching the read tree from the server into a static folder"
  {
    while read -r id; do
      printf 'url = "%s/v1/manifests/stable/%s"\noutput = "%s/v1/manifests/stable/%s"\n' "$base" "$id" "$dir/tree" "$id"
    done <"$dir/ids.txt"
    for h in $blob $bigblob; do printf 'url = "%s/v1/blobs/sha256/%s"\noutput = "%s/v1/blobs/sha256/%s"\n' "$base" "$h" "$dir/tree" "$h"; done
    printf 'url = "%s/v1/index"\noutput = "%s/v1/index"\n' "$base" "$dir/tree"
  } >"$dir/fetch.cfg"
  timeout 1200 curl -s --no-progress-meter --parallel --parallel-max 16 --create-dirs --max-time 120 --fail -K "$dir/fetch.cfg" \
    -w '%{http_code} %{url_effective} %header{etag}\n' >"$dir/fetch.out" 2>"$dir/fetch.err" || { head "$dir/fetch.err"; die "fetching the tree"; }
  local fetched expected=$((n + 2)); [ -n "$bigblob" ] && expected=$((n + 3))
  fetched=$(grep -c '^200 ' "$dir/fetch.out" || true)
  chmod -R a+rX "$dir/tree" # curl --create-dirs makes 0750 folders; nginx workers run as nobody
  [ "$fetched" -eq "$expected" ] || die "fetched $fetched of $expected documents"
  # the server's strong ETag is the SHA-256 of the bytes: check every saved manifest against it
  grep '/v1/manifests/' "$dir/fetch.out" | awk -v base="$base" '{ p = substr($2, length(base) + 1); print p, $3 }' | sort >"$dir/server-etags.txt"
  (cd "$dir/tree" && find v1/manifests -type f -print0 | xargs -0 -n 5000 -P 2 sha256sum) \
    | awk '{ print "/" $2, "\"" $1 "\"" }' | sort >"$dir/tree-hashes.txt"
  cmp -s "$dir/server-etags.txt" "$dir/tree-hashes.txt" || die "saved manifests do not match the server's ETags"
  cut -d' ' -f1 "$dir/server-etags.txt" >"$dir/paths.txt"
  local tree_mib
  tree_mib=$(du -sm "$dir/tree" | cut -f1)

  # ------------------------------------------------ nginx on the static tree
  nport=$(free_port); while [ "$nport" = "$port" ]; do nport=$(free_port); done
  nbase=http://127.0.0.1:$nport
  cat >"$dir/nginx/nginx.conf" <<EOF
# written by bench/run.sh: the static-mirror baseline, as small as it gets
worker_processes $NGINX_WORKERS;
daemon off;
pid $dir/nginx/nginx.pid;
error_log $dir/nginx/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;               # the server logs no requests either
    sendfile on;
    tcp_nopush on;
    etag on;
    keepalive_requests 1000000;   # Kestrel does not close busy keep-alive connections; nginx's default is 1000
    client_body_temp_path $dir/nginx/tmp/body;
    proxy_temp_path $dir/nginx/tmp/proxy;
    fastcgi_temp_path $dir/nginx/tmp/fastcgi;
    uwsgi_temp_path $dir/nginx/tmp/uwsgi;
    scgi_temp_path $dir/nginx/tmp/scgi;
    default_type application/octet-stream;
    server {
        listen 127.0.0.1:$nport;
        root $dir/tree;
        location /v1/manifests/ { default_type "application/pkcs7-mime; smime-type=signed-data"; }
        location = /v1/index { default_type "application/pkcs7-mime; smime-type=signed-data"; }
    }
}
EOF
  "${PIN_SUT[@]}" nginx -p "$dir/nginx/" -c "$dir/nginx/nginx.conf" -e "$dir/nginx/error.log" &
  NGINX_PID=$!
  wait_http "$nbase/v1/index" 30 "$NGINX_PID" || { cat "$dir/nginx/error.log"; die "nginx did not start"; }
  local nginx_pids
  nginx_pids="$NGINX_PID $(pgrep -P "$NGINX_PID" | tr '\n' ' ')"

  # nginx's ETags ("mtime-size") differ from the server's: collect them from nginx itself, and check its bytes
  sed "s#.*#url = \"$nbase&\"\noutput = \"/dev/null\"#" "$dir/paths.txt" >"$dir/nginx-fetch.cfg"
  timeout 1200 curl -s --no-progress-meter --parallel --parallel-max 16 --max-time 60 --fail -K "$dir/nginx-fetch.cfg" \
    -w '%{http_code} %{url_effective} %header{etag}\n' >"$dir/nginx-fetch.out" 2>&1 || die "fetching ETags from nginx"
  awk -v base="$nbase" '$1 == 200 { print substr($2, length(base) + 1), $3 }' "$dir/nginx-fetch.out" | sort >"$dir/nginx-etags.txt"
  [ "$(wc -l <"$dir/nginx-etags.txt")" -eq "$n" ] || die "nginx ETags: $(wc -l <"$dir/nginx-etags.txt") of $n"
  local p
  for p in $(shuf -n 3 "$dir/paths.txt") "/v1/blobs/sha256/$blob" /v1/index; do
    cmp -s <(curl -s --max-time 30 "$base$p") <(curl -s --max-time 30 "$nbase$p") || die "server and nginx differ on $p"
  done
  # each side answers its own ETag with 304
  p=$(head -1 "$dir/server-etags.txt")
  [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -H "If-None-Match: ${p#* }" "$base${p% *}")" = 304 ] || die "server: no 304"
  p=$(head -1 "$dir/nginx-etags.txt")
  [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -H "If-None-Match: ${p#* }" "$nbase${p% *}")" = 304 ] || die "nginx: no 304"

  start_sides "$dir" "$n" "$base"
  base=${SIDE_BASE[${SIDES[0]}]} # what the commands below and the profile pass name
  local v rss_before="" rss_after=""
  for v in "${SIDES[@]}"; do
    [ "${#SIDES[@]}" -eq 1 ] || check_side "$v" "$dir"
    rss_before+=" rss_before_$v=$(rss_mib "${SIDE_PID[$v]}")"
  done
  cat >>"$COMMANDS" <<EOF
# N=$n
dotnet $CLI_DLL keys init --out \$DATA/keys
ASPNETCORE_ENVIRONMENT=Production LivePatch__DataDirectory=\$DATA LivePatch__ReadPath=${READ_PATHS[0]} LivePatch__Signing__Certificate=\$DATA/keys/manifest-signing.pem LivePatch__Signing__Key=\$DATA/keys/manifest-signing.key LivePatch__Signing__Roots__0=\$DATA/keys/root.pem LivePatch__ModuleKeyring__0=\$DATA/keys/module-signing.pem ${PIN_SUT[*]} dotnet $SERVER_DLL --urls $base
dotnet $CLI_DLL module sign $MODULE --key \$DATA/keys/module-signing.key --cert \$DATA/keys/module-signing.pem --out lp.ko
curl -K batch.NNNN.cfg -H "Authorization: Bearer \$KEY" -F module=@lp.ko $base/v1/patches    # $BATCH lines 'form = "buildId=…"' per batch
curl --parallel --parallel-max 16 --create-dirs --fail -K fetch.cfg -w '%{http_code} %{url_effective} %header{etag}\\n'   # url/output pairs → tree
${PIN_SUT[*]} nginx -p nginx/ -c nginx/nginx.conf -e nginx/error.log    # worker_processes $NGINX_WORKERS, sendfile on, etag on, access_log off
EOF
  if [ "${#SIDES[@]}" -gt 1 ]; then
    echo "# then that server stops; for each of ${READ_PATHS[*]}: cp -a \$DATA \$DATA-<design>, and the same server command on the copy with LivePatch__ReadPath=<design>, each on a port of its own" >>"$COMMANDS"
  fi

  # ------------------------------------------------ measurements
  log "N=$n: measuring (wrk ${WRK_ARGS[*]}, warm-up $WARMUP, $ROUNDS round(s), pinning: $PINNING)"
  ROWS=$dir/rows.txt
  : >"$ROWS"
  local round order target pid url
  for round in $(seq 1 "$ROUNDS"); do
    # alternate who goes first, so neither side always runs right after the other's load (with two designs the order
    # reverses: each runs next to nginx every other round)
    if [ $((round % 2)) -eq 1 ]; then order="${SIDES[*]} nginx"; else order="nginx $(printf '%s\n' "${SIDES[@]}" | tac | tr '\n' ' ')"; fi
    for target in $order; do
      if [ "$target" != nginx ]; then
        pid=${SIDE_PID[$target]} url=${SIDE_BASE[$target]}
        run_wrk manifest-200 "$target" "$pid" "$url" "$BENCH/random-paths.lua" "$dir/paths.txt"
        run_wrk manifest-304 "$target" "$pid" "$url" "$BENCH/random-paths.lua" "$dir/server-etags.txt" inm
        run_wrk blob-7k "$target" "$pid" "$url/v1/blobs/sha256/$blob" "$BENCH/report.lua"
        [ -z "$bigblob" ] || run_wrk blob-1m "$target" "$pid" "$url/v1/blobs/sha256/$bigblob" "$BENCH/report.lua"
      else
        run_wrk manifest-200 nginx "$nginx_pids" "$nbase" "$BENCH/random-paths.lua" "$dir/paths.txt"
        run_wrk manifest-304 nginx "$nginx_pids" "$nbase" "$BENCH/random-paths.lua" "$dir/nginx-etags.txt" inm
        run_wrk blob-7k nginx "$nginx_pids" "$nbase/v1/blobs/sha256/$blob" "$BENCH/report.lua"
        [ -z "$bigblob" ] || run_wrk blob-1m nginx "$nginx_pids" "$nbase/v1/blobs/sha256/$bigblob" "$BENCH/report.lua"
      fi
    done
  done
  cat >>"$COMMANDS" <<EOF
${PIN_WRK[*]} wrk ${WRK_ARGS[*]} -s bench/random-paths.lua $base -- paths.txt             # manifest-200 (server${READ_PATHS[1]:+: ${READ_PATHS[0]}; each design on its own port}); same against $nbase for nginx
${PIN_WRK[*]} wrk ${WRK_ARGS[*]} -s bench/random-paths.lua $base -- server-etags.txt inm  # manifest-304 (nginx: nginx-etags.txt)
${PIN_WRK[*]} wrk ${WRK_ARGS[*]} -s bench/report.lua $base/v1/blobs/sha256/$blob           # blob-7k${bigblob:+, and blob-1m: /v1/blobs/sha256/$bigblob}
EOF
  for v in "${SIDES[@]}"; do rss_after+=" rss_after_$v=$(rss_mib "${SIDE_PID[$v]}")"; done

  # ------------------------------------------------ profile pass (the first design's server only, after the comparison, so it perturbs nothing above)
  local profile="" first=${SIDES[0]}
  if [ -n "$COUNTERS" ]; then
    log "N=$n: dotnet-counters during a manifest-200 run ($first)"
    timeout 60 "$COUNTERS" collect -p "${SIDE_PID[$first]}" --format csv -o "$dir/counters.csv" --refresh-interval 1 --duration 00:00:00:12 \
      --counters System.Runtime,Microsoft.AspNetCore.Hosting,Microsoft-AspNetCore-Server-Kestrel >"$dir/counters.log" 2>&1 &
    COUNTERS_PID=$!
    sleep 1
    local pout
    pout=$("${PIN_WRK[@]}" timeout 60 wrk "${WRK_ARGS[@]}" -s "$BENCH/random-paths.lua" "$base" -- "$dir/paths.txt" 2>&1) || true
    wait "$COUNTERS_PID" 2>/dev/null || true
    COUNTERS_PID=""
    profile=$(summarise_counters "$dir/counters.csv" "$(grep '^RESULT' <<<"$pout" | sed 's/^RESULT //')")
  fi

  stop_pid "$NGINX_PID"; NGINX_PID=""

  # ------------------------------------------------ no slowdown: this size against the first size, interleaved
  if [ "${#REF_PID[@]}" -gt 0 ]; then
    log "N=$n: no-slowdown runs, interleaved with the N=$REF_N server(s) ($ROUNDS round(s))"
    local test args side suffix
    for round in $(seq 1 "$ROUNDS"); do
      for test in slowdown-200 slowdown-304; do
        if [ $((round % 2)) -eq 1 ]; then order="small large"; else order="large small"; fi
        for v in "${SIDES[@]}"; do
          kill -0 "${REF_PID[$v]}" 2>/dev/null || die "the N=$REF_N server ($v) is gone; see $REF_DIR/server*.log"
          suffix=""; [ "${#SIDES[@]}" -eq 1 ] || suffix=-$v # small-tuned, large-simple, …: one pair per design
          for side in $order; do
            if [ "$side" = small ]; then
              args=("${REF_PID[$v]}" "${REF_BASE[$v]}" "$BENCH/random-paths.lua")
              if [ "$test" = slowdown-200 ]; then args+=("$REF_DIR/paths.txt"); else args+=("$REF_DIR/server-etags.txt" inm); fi
            else
              args=("${SIDE_PID[$v]}" "${SIDE_BASE[$v]}" "$BENCH/random-paths.lua")
              if [ "$test" = slowdown-200 ]; then args+=("$dir/paths.txt"); else args+=("$dir/server-etags.txt" inm); fi
            fi
            run_wrk "$test" "$side$suffix" "${args[@]}"
          done
        done
      done
    done
    cat >>"$COMMANDS" <<EOF
${PIN_WRK[*]} wrk ${WRK_ARGS[*]} -s bench/random-paths.lua ${REF_BASE[${SIDES[0]}]} -- paths.txt    # no slowdown: N=$REF_N and N=$n (${SIDE_BASE[${SIDES[0]}]}) alternating, 200s and 304s (server-etags.txt inm)${READ_PATHS[1]:+; the same pair for each design}
EOF
  fi

  local keep=""
  if [ "${#REF_PID[@]}" -eq 0 ] && [ "$n" != "${SIZES[${#SIZES[@]}-1]}" ]; then
    keep=1 REF_N=$n REF_DIR=$dir
    for v in "${SIDES[@]}"; do REF_PID[$v]=${SIDE_PID[$v]} REF_BASE[$v]=${SIDE_BASE[$v]}; done
    SIDE_PID=()
    log "N=$n: the server(s) stay up for the later sizes' no-slowdown runs"
  else
    stop_servers
  fi
  {
    echo "size n=$n publish_s=$(awk -v a="$t_pub0" -v b="$t_pub1" 'BEGIN { printf "%.1f", b - a }') tree_mib=$tree_mib$rss_before$rss_after blob=$blob bigblob=${bigblob:-none} manifest_bytes=$(head -1 "$dir/paths.txt" | xargs -I{} stat -c %s "$dir/tree{}") index_bytes=$(stat -c %s "$dir/tree/v1/index")"
    sed "s/^/row n=$n /" "$ROWS"
    [ -z "$profile" ] || echo "profile n=$n $profile"
  } >>"$WORK/all.txt"
  if [ -n "$keep" ]; then
    rm -rf "$dir/tree" "$dir/nginx" # its data folder stays: the server still runs on it
  else
    cp "$dir/server.log" "$WORK/server-n$n.log"
    rm -rf "$dir"
  fi
}

# dotnet-counters CSV → "key=value ..." (mean over the samples taken while wrk ran)
summarise_counters() {
  local csv=$1 kv=$2
  [ -s "$csv" ] || { echo "counters=none"; return; }
  local rps
  rps=$(awk '{ for (i = 1; i <= NF; i++) { split($i, a, "="); v[a[1]] = a[2] } printf "%.0f", v["requests"] / (v["duration_us"] / 1e6) }' <<<"$kv")
  # columns: Timestamp,Provider,Counter Name,Counter Type,Mean/Increment
  awk -F, -v rps="$rps" '
    NR > 1 {
      name = $3; val = $5 + 0
      if (name ~ /gc.heap.total_allocated|Allocation Rate/) { alloc += val; na++ }
      else if (name ~ /gc.collections/ || name ~ /Gen 0 GC Count/) { gcs += val; ng++ }
      else if (name ~ /process.cpu.time|CPU Usage/) { cpu += val; nc++ }
      else if (name ~ /thread_pool.thread.count|ThreadPool Thread Count/) { if (val > tp) tp = val }
      else if (name ~ /thread_pool.work_item.count/) { wi += val }
      else if (name ~ /monitor.lock_contentions/) { lc += val }
      else if (name ~ /gc.pause.time|Time paused by GC/) { pause += val }
      if ($1 != last) { samples++; last = $1 }
    }
    END {
      s = samples > 2 ? samples - 1 : 1
      printf "rps=%s samples=%d alloc_per_s=%.0f alloc_per_req=%.0f gcs_per_s=%.1f gc_pause_s=%.3f threadpool_max=%d workitems_per_req=%.2f lock_contentions_per_s=%.0f", \
        rps, samples, alloc / s, (rps > 0 ? alloc / s / rps : 0), gcs / s, pause, tp, (rps > 0 ? wi / s / rps : 0), lc / s
    }' "$csv"
}

for n in "${SIZES[@]}"; do bench_size "$n"; done
for v in "${!REF_PID[@]}"; do stop_pid "${REF_PID[$v]}"; done
REF_PID=()

# ---------------------------------------------------------------- results.md
log "writing $RESULTS"
ELAPSED=$(($(date +%s) - START))
KEEP=$(kept_analysis "$RESULTS") # the hand-written analysis below the marker survives a re-run
{
  cat <<EOF
# Read-path benchmark: LivePatch server vs nginx on the same bytes

Written by \`bench/run.sh ${SIZES[*]}\` on $(date -u '+%Y-%m-%d %H:%M UTC') (run took $((ELAPSED / 60)) min $((ELAPSED % 60)) s).
Built from commit: \`${BUILT_FROM%% *}\`${BUILT_FROM#"${BUILT_FROM%% *}"}.

## Machine

| | |
|---|---|
$(machine_rows)
| nginx | $(nginx -v 2>&1 | sed 's/^nginx version: //') |
| wrk | $(wrk -v 2>&1 | head -1 | awk '{ print $1, $2 }') |
| pinning | $PINNING |
| load average at start / end | $LOAD_START / $(cut -d' ' -f1-3 /proc/loadavg) |

The machine is shared with other builds: the *load* column below is the 1-minute load average after each run
(2.0 means both cores were busy on average, including the benchmark itself). Server and nginx alternate who goes
first in each round and run on the same core, so both see the same background, but absolute numbers are noisy.

## Settings

- wrk: \`${WRK_ARGS[*]}\` after a ${WARMUP} warm-up on the same URL set; $ROUNDS round(s) per side. A round runs
  the server and nginx back to back (who goes first alternates), so the **verdicts use the median of the per-round
  ratios**: drift of the shared machine between rounds cancels, and one disturbed run cannot decide. The per-size
  tables show each side's best round; all rounds are listed at the end.
- no slowdown: the first size's server stays up; after each later size's comparison, manifest-200 and manifest-304
  runs alternate between the two servers (same settings, same core), $ROUNDS round(s), and the verdict takes the
  median of the per-round ratios of CPU µs/req.
- server: \`ASPNETCORE_ENVIRONMENT=Production\` with keys from \`lpatch keys init\`, the repository's appsettings.json (Microsoft.AspNetCore at Warning,
  so no per-request log lines), Release build, \`dotnet LivePatch.Server.dll\`; one channel (stable).
- nginx: \`worker_processes $NGINX_WORKERS\` (one worker, as the server gets one core), sendfile on, tcp_nopush on, etag on,
  access_log off, keepalive_requests 1000000, no open_file_cache; the configuration is written by the script.
- manifest-200: GET a random \`/v1/manifests/stable/<id>\` of the N; manifest-304: the same with If-None-Match carrying
  that side's own ETag for the path (server: SHA-256 of the bytes; nginx: mtime-size). blob-7k: GET the published
  module (\`/v1/blobs/sha256/<hex>\`); blob-1m: the same module with a 1 MiB section added (objcopy), signed and
  published as level 2 for one kernel.
- CPU µs/req: CPU time (user+sys, /proc/PID/stat) the server process (or nginx master+worker) used during the
  measured run, divided by the requests served; it is less sensitive to the background load than requests/s.
- The static tree is fetched from the server (curl --parallel), each manifest checked against the server's ETag
  (SHA-256), and nginx's bytes compared with the server's on sample paths.

## Commands

\`\`\`sh
$(cat "$COMMANDS")
\`\`\`
EOF
  awk -v sides="${SIDES[*]}" -f "$BENCH/report.awk" "$WORK/all.txt"
  if [ -n "$KEEP" ]; then echo; echo "$KEEP"; fi
} >"$RESULTS.tmp"
mv "$RESULTS.tmp" "$RESULTS"
log "done: $RESULTS"
