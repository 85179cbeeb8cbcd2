#!/usr/bin/env bash
# Publishing-plane benchmark: what signing costs the server when patches are published, revoked and re-signed, and
# whether the anonymous routes can starve the hosts' manifest GETs. One run measures, each next to its reference and
# target:
#   1. openssl speed ecdsap256 (one core): the signing reference; the server's manifest key type; openssl speed rsaN for the
#      module key (the verification each publish makes)
#   2. one module published for BULK kernels in one request: kernels/s (a clean request; then one with revokes inside)
#   3. SINGLES single-kernel publishes (a vendor's CI), one client with keep-alive, then CONCURRENCY clients: publishes/s;
#      then a vendor's CI run as batches (POST /v1/patches/batch) of BATCH single-kernel patches, each its own module
#   4. revoke latency while a bulk publish runs, and while a full re-sign runs
#   5. full re-sign time at N kernels (a restart with a longer ManifestLifetime makes every document due)
#   6. start-up time at N kernels (to /healthz 200 and /v1/index 200)
#   7. memory per kernel (VmRSS at N minus VmRSS empty, over N) and the LiteDB file size
#   8. manifest GET latency (a light, paced wrk) while a second wrk floods each anonymous route in turn
# Writes bench/publish-results.md. Not part of CI. Everything talks to 127.0.0.1 only; every loop is bounded.
#
#   bench/publish.sh                             N=100000 BULK=10000 SINGLES=1000
#   N=2000 BULK=1000 SINGLES=100 SERVER_WARM=0 FLOOD_DURATION=5 bench/publish.sh    a quick look (a few minutes)
#
# Settings (environment): N=100000 BULK=10000 SINGLES=1000 CONCURRENCY=4 WARM=20 SERVER_WARM=2000 BATCH=1000 BATCH_WARM=3
#   BATCH_RUNS=3 REVOKES=3 REVOKE_DELAY=0.5 BULK_REVOKE_DELAY=0.1
#   LIFETIME=7.00:00:00 RESIGN_LIFETIME=30.00:00:00 IDLE=5 FLOOD_DURATION=10 FLOOD_CONNS=64 LEGIT_CONNS=4
#   LEGIT_DELAY_MS=10 OPENSSL_SECONDS=3 START_TIMEOUT=300 RESIGN_TIMEOUT=3600 RESULTS=bench/publish-results.md
#   KEEP_ON_FAILURE=1 keeps the temp folder of a failed run.
#   GCDUMP=PREFIX writes heap dumps of the empty server and of the server at N (dotnet-gcdump) after their VmRSS is read.
set -euo pipefail
umask 022

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=$REPO/bench
N=${N:-100000}
BULK=${BULK:-10000}
SINGLES=${SINGLES:-1000}
CONCURRENCY=${CONCURRENCY:-4}
WARM=${WARM:-20}
SERVER_WARM=${SERVER_WARM:-2000}
BATCH=${BATCH:-1000}
BATCH_WARM=${BATCH_WARM:-3}
BATCH_RUNS=${BATCH_RUNS:-3}
REVOKES=${REVOKES:-3}
REVOKE_DELAY=${REVOKE_DELAY:-0.5}
# A 10,000-kernel publish lasts about half a second now: the revokes sent into it go sooner than those into the re-sign.
BULK_REVOKE_DELAY=${BULK_REVOKE_DELAY:-0.1}
LIFETIME=${LIFETIME:-7.00:00:00}
RESIGN_LIFETIME=${RESIGN_LIFETIME:-30.00:00:00}
IDLE=${IDLE:-5}
FLOOD_DURATION=${FLOOD_DURATION:-10}
FLOOD_CONNS=${FLOOD_CONNS:-64}
LEGIT_CONNS=${LEGIT_CONNS:-4}
LEGIT_DELAY_MS=${LEGIT_DELAY_MS:-10}
OPENSSL_SECONDS=${OPENSSL_SECONDS:-3}
START_TIMEOUT=${START_TIMEOUT:-300}
RESIGN_TIMEOUT=${RESIGN_TIMEOUT:-3600}
RESULTS=${RESULTS:-$BENCH/publish-results.md}
MODULE=$REPO/tests/fixtures/modules/lp_sample.ko
DEFAULTS="N=100000 BULK=10000 SINGLES=1000"
START=$(date +%s)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

# shellcheck source=bench/lib.sh
. "$BENCH/lib.sh"

is_int() { [[ $1 =~ ^[1-9][0-9]*$ ]]; }
for v in N BULK SINGLES BATCH BATCH_RUNS CONCURRENCY REVOKES IDLE FLOOD_DURATION FLOOD_CONNS LEGIT_CONNS OPENSSL_SECONDS START_TIMEOUT RESIGN_TIMEOUT; do
  is_int "${!v}" || { echo "$v must be a positive whole number, got '${!v}'" >&2; exit 2; }
done
[[ $WARM =~ ^[0-9]+$ ]] && [[ $SERVER_WARM =~ ^[0-9]+$ ]] && [[ $LEGIT_DELAY_MS =~ ^[0-9]+$ ]] && [[ $BATCH_WARM =~ ^[0-9]+$ ]] \
  || { echo "WARM, SERVER_WARM, BATCH_WARM and LEGIT_DELAY_MS must be whole numbers" >&2; exit 2; }
[ "$BATCH" -le 1000 ] && [ $(((BATCH_WARM + BATCH_RUNS) * BATCH)) -le 100000 ] \
  || { echo "BATCH must be at most 1000 (the server's limit per batch), and (BATCH_WARM + BATCH_RUNS) x BATCH at most 100000" >&2; exit 2; }
[[ $REVOKE_DELAY =~ ^[0-9]+(\.[0-9]+)?$ ]] && [[ $BULK_REVOKE_DELAY =~ ^[0-9]+(\.[0-9]+)?$ ]] \
  || { echo "REVOKE_DELAY and BULK_REVOKE_DELAY must be seconds (e.g. 0.5)" >&2; exit 2; }
[ "$BULK" -le 10000 ] || { echo "BULK must be at most 10000 (the server's limit per request)" >&2; exit 2; }
[ "$N" -le 1000000 ] && [ "$N" -ge $((2 * BULK + SERVER_WARM)) ] \
  || { echo "N must be from 2 x BULK + SERVER_WARM ($((2 * BULK + SERVER_WARM))) to 1000000" >&2; exit 2; }
[ "$SINGLES" -gt $((2 * REVOKES)) ] || { echo "SINGLES must be more than 2 x REVOKES (single-kernel patches are what gets revoked)" >&2; exit 2; }
[ "$SINGLES" -le 100000 ] && [ "$CONCURRENCY" -le 64 ] || { echo "SINGLES at most 100000, CONCURRENCY at most 64" >&2; exit 2; }

# ---------------------------------------------------------------- clean-up: only what this script started
WORK=$(mktemp -d /tmp/livepatch-publish-bench.XXXXXX)
DATA=$WORK/data
SERVER_PID="" BULK_PID="" WATCH_PID="" FLOOD_PID=""
cleanup() {
  local rc=$?
  stop_pid "$FLOOD_PID"; stop_pid "$BULK_PID"; stop_pid "$WATCH_PID"; stop_pid "$SERVER_PID"
  FLOOD_PID="" BULK_PID="" WATCH_PID="" SERVER_PID=""
  if [ "$rc" -ne 0 ] && compgen -G "$WORK/server-*.log" >/dev/null; then
    echo "--- last lines of the server log:" >&2; tail -5 "$(ls -t "$WORK"/server-*.log | head -1)" >&2
  fi
  if [ "$rc" -ne 0 ] && [ -n "${KEEP_ON_FAILURE:-}" ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- tools and builds
install_missing wrk=wrk curl=curl jq=jq openssl=openssl
command -v dotnet >/dev/null || die "the .NET 10 SDK (dotnet) is required"
pin_cores
log "building the server and the CLI (Release), and bench/publish-driver.cs"
build_release "$WORK"
timeout 900 dotnet build "$BENCH/publish-driver.cs" -c Release -nologo -v q -o "$WORK/driver" >"$WORK/build-driver.log" 2>&1 \
  || { tail -20 "$WORK/build-driver.log"; die "driver build (a file-based app: needs the .NET 10 SDK)"; }
DRIVER=(dotnet "$WORK/driver/publish-driver.dll")
timeout 900 dotnet build "$BENCH/batch-modules.cs" -c Release -nologo -v q -o "$WORK/batch-modules" >"$WORK/build-batch-modules.log" 2>&1 \
  || { tail -20 "$WORK/build-batch-modules.log"; die "batch-modules build (a file-based app: needs the .NET 10 SDK)"; }

# ---------------------------------------------------------------- helpers
COMMANDS=$WORK/commands.txt
: >"$COMMANDS"
cmd() { printf '%s\n' "$*" >>"$COMMANDS"; } # the exact commands, for the results file
now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"%.${2:-2}f\", ($1) }"; } # calc EXPR [DECIMALS]
verdict() { if awk "BEGIN { exit !($1) }"; then echo "met"; else echo "NOT met"; fi; }
kv() { sed -n "s/.*[[:space:]]$1=\([^[:space:]]*\).*/\1/p" <<<" $2"; } # kv KEY "k=v k=v…"
phase_load() { cut -d' ' -f1 /proc/loadavg; }

random_ids() { # random_ids COUNT FILE: distinct random 40-hex build IDs
  head -c $(($1 * 20)) /dev/urandom | od -An -v -tx1 -w20 | tr -d ' ' >"$2"
  [ "$(sort -u "$2" | wc -l)" -eq "$1" ] || die "random build IDs not distinct"
}

# start_server LABEL LIFETIME NOTE: starts the server on the data folder and a free port, times it to /healthz 200 and to
# /v1/index 200 (polled every 50 ms). Sets SERVER_PID, BASE, T_LAUNCH, UP_HEALTHZ and UP_INDEX (seconds).
start_server() {
  local label=$1 lifetime=$2 note=$3 port code
  port=$(free_port)
  BASE=http://127.0.0.1:$port
  SERVER_LOG=$WORK/server-$label.log
  T_LAUNCH=$(now)
  ASPNETCORE_ENVIRONMENT=Production DOTNET_CLI_TELEMETRY_OPTOUT=1 LivePatch__DataDirectory=$DATA LivePatch__Channels__0=stable \
    LivePatch__ManifestLifetime=$lifetime \
    LivePatch__Signing__Certificate=$DATA/keys/manifest-signing.pem LivePatch__Signing__Key=$DATA/keys/manifest-signing.key \
    LivePatch__Signing__Roots__0=$DATA/keys/root.pem LivePatch__ModuleKeyring__0=$DATA/keys/module-signing.pem \
    "${PIN_SUT[@]}" dotnet "$SERVER_DLL" --urls "$BASE" >"$SERVER_LOG" 2>&1 &
  SERVER_PID=$!
  echo "$SERVER_PID" >"$WORK/server.pid"
  UP_HEALTHZ="" UP_INDEX=""
  for _ in $(seq 1 $((START_TIMEOUT * 20))); do
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$BASE/healthz" || true)
    if [ "$code" = 200 ]; then UP_HEALTHZ=$(calc "$(now) - $T_LAUNCH" 2); break; fi
    kill -0 "$SERVER_PID" 2>/dev/null || { tail -30 "$SERVER_LOG"; die "server ($label) exited while starting"; }
    sleep 0.05
  done
  [ -n "$UP_HEALTHZ" ] || die "server ($label): no /healthz 200 within $START_TIMEOUT s"
  for _ in $(seq 1 $((START_TIMEOUT * 20))); do
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$BASE/v1/index" || true)
    if [ "$code" = 200 ]; then UP_INDEX=$(calc "$(now) - $T_LAUNCH" 2); break; fi
    sleep 0.05
  done
  [ -n "$UP_INDEX" ] || die "server ($label): no /v1/index 200 within $START_TIMEOUT s"
  log "server ($label) on $BASE: /healthz 200 after $UP_HEALTHZ s, /v1/index 200 after $UP_INDEX s"
  cmd "ASPNETCORE_ENVIRONMENT=Production LivePatch__DataDirectory=\$DATA LivePatch__Channels__0=stable LivePatch__ManifestLifetime=$lifetime LivePatch__Signing__Certificate=\$DATA/keys/manifest-signing.pem LivePatch__Signing__Key=\$DATA/keys/manifest-signing.key LivePatch__Signing__Roots__0=\$DATA/keys/root.pem LivePatch__ModuleKeyring__0=\$DATA/keys/module-signing.pem ${PIN_SUT[*]} dotnet $SERVER_DLL --urls $BASE   # $note"
}

# settle_rss: the same few requests on every server whose memory is compared, then IDLE seconds, then VmRSS (KiB).
settle_rss() {
  local p
  for p in /healthz /v1/index /v1/coverage/stable/00 $(head -3 "$WORK/rss-paths.txt"); do
    curl -s -o /dev/null --max-time 30 "$BASE$p" || true
  done
  sleep "$IDLE"
  rss_kib "$SERVER_PID"
}

# gcdump LABEL: with GCDUMP=PREFIX, a heap dump of the server as measured (dotnet-gcdump: PREFIX-LABEL.gcdump), after VmRSS
# was read; for finding what the memory per kernel is made of. Off by default (it forces a full GC).
gcdump() {
  [ -n "${GCDUMP:-}" ] || return 0
  dotnet-gcdump collect -p "$SERVER_PID" -o "$GCDUMP-$1.gcdump" >/dev/null 2>&1 || log "   dotnet-gcdump failed (installed? dotnet tool install -g dotnet-gcdump)"
}

# bulk_cfg IDS_FILE: a curl config with one 'form = "buildId=…"' line per ID (repeated fields, one request)
bulk_cfg() { sed 's/.*/form = "buildId=&"/' "$1" >"$1.cfg"; }
# bulk_publish IDS_FILE OUT: one publish request for all the IDs; OUT.json (the answer) and OUT.w ("code seconds")
bulk_curl() { BULK_CURL=(curl -s -o "$2.json" -w '%{http_code} %{time_total}\n' --max-time 3600 -K "$1.cfg" \
  -H "Authorization: Bearer $KEY" -F "module=@$WORK/lp.ko" "$BASE/v1/patches"); }
bulk_publish() { bulk_curl "$1" "$2"; "${BULK_CURL[@]}" >"$2.w"; }

# revoke ID REASON: POST /v1/patches/ID/revoke; prints "code seconds" (curl's time_total: no process start-up)
revoke() {
  curl -s -o "$WORK/revoke-$1.json" -w '%{http_code} %{time_total}' --max-time 120 -X POST \
    -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' -d "{\"reason\":\"$2\"}" "$BASE/v1/patches/$1/revoke"
}

# warm_revoke: an authenticated revoke of a patch that does not exist (404), so the timed revoke is not the first
# request through that endpoint (JIT, auth, JSON binding) in this process
warm_revoke() {
  local code
  code=$(revoke 999999999 warm-up | cut -d' ' -f1)
  [ "$code" = 404 ] || die "warm-up revoke of a missing patch answered $code"
}

# watch_resign: a background poll of the server log (every 50 ms) that writes the time the re-sign line appears
watch_resign() {
  local log_file=$1 out=$2
  (
    for _ in $(seq 1 $((RESIGN_TIMEOUT * 20))); do
      if grep -qE 'Re-signed [0-9]+ manifest' "$log_file" 2>/dev/null; then
        echo "$(now) $(cpu_ticks "$(cat "$WORK/server.pid")")" >"$out"; exit 0
      fi
      sleep 0.05
    done
    exit 1
  ) &
  WATCH_PID=$!
}

server_cpu_s() { calc "$(cpu_ticks "$SERVER_PID") / $(getconf CLK_TCK)" 2; }

# ================================================================ 1. the signing reference
log "1. openssl speed -seconds $OPENSSL_SECONDS ecdsap256 (${PIN_SUT[*]:-unpinned}, one core)"
"${PIN_SUT[@]}" timeout 120 openssl speed -seconds "$OPENSSL_SECONDS" ecdsap256 >"$WORK/openssl.txt" 2>"$WORK/openssl.err" \
  || { cat "$WORK/openssl.err"; die "openssl speed"; }
OPENSSL_SIGN=$(awk '/ecdsa \(nistp256\)/ { s = $(NF - 1) } END { print s }' "$WORK/openssl.txt")
OPENSSL_VERIFY=$(awk '/ecdsa \(nistp256\)/ { s = $NF } END { print s }' "$WORK/openssl.txt")
[[ $OPENSSL_SIGN =~ ^[0-9.]+$ ]] || { cat "$WORK/openssl.txt"; die "no sign/s in openssl's output"; }
TARGET_RATE=$(calc "0.15 * $OPENSSL_SIGN" 0)
log "   openssl: $OPENSSL_SIGN sign/s, $OPENSSL_VERIFY verify/s; 0.15x = $TARGET_RATE/s"
cmd "${PIN_SUT[*]} openssl speed -seconds $OPENSSL_SECONDS ecdsap256"

# ---------------------------------------------------------------- keys, module, build IDs
timeout 120 dotnet "$CLI_DLL" keys init --out "$DATA/keys" >/dev/null || die "keys init"
cmd "dotnet $CLI_DLL keys init --out \$DATA/keys"
KEY_TYPE=$(openssl x509 -in "$DATA/keys/manifest-signing.pem" -noout -text | awk '
  /Public Key Algorithm/ { a = $NF } /Public-Key:/ { b = $2 } /ASN1 OID/ { o = $NF } /NIST CURVE/ { c = $NF }
  END { if (a == "id-ecPublicKey") printf "ECDSA %s (%s)", c, o; else printf "%s %s bits", a, substr(b, 2) }')
timeout 120 dotnet "$CLI_DLL" module sign "$MODULE" --key "$DATA/keys/module-signing.key" \
  --cert "$DATA/keys/module-signing.pem" --out "$WORK/lp.ko" >/dev/null || die "module sign"
cmd "dotnet $CLI_DLL module sign $MODULE --key \$DATA/keys/module-signing.key --cert \$DATA/keys/module-signing.pem --out lp.ko"
log "   server's manifest key: $KEY_TYPE"

# The second reference: every publish verifies its module's signature, with the module key 'lpatch keys init' made. An
# RSA key is measured with openssl speed on the same core (one verification and one manifest signature are the public-key
# work no single-kernel publish avoids); another key type is named but not measured.
MODULE_KEY=$(openssl x509 -in "$DATA/keys/module-signing.pem" -noout -text | awk '
  /Public Key Algorithm/ { a = $NF } /Public-Key:/ { b = substr($2, 2) } END { printf "%s %s", a, b }')
MODULE_VERIFY="" FLOOR_MS="" BUDGET_MS=$(calc "1000 / (0.15 * $OPENSSL_SIGN)" 3)
if [[ $MODULE_KEY =~ ^rsaEncryption\ (2048|3072|4096)$ ]]; then
  MODULE_BITS=${BASH_REMATCH[1]}
  "${PIN_SUT[@]}" timeout 120 openssl speed -seconds "$OPENSSL_SECONDS" "rsa$MODULE_BITS" >"$WORK/openssl-rsa.txt" 2>"$WORK/openssl-rsa.err" \
    || { cat "$WORK/openssl-rsa.err"; die "openssl speed rsa$MODULE_BITS"; }
  MODULE_VERIFY=$(awk -v b="$MODULE_BITS" '$1 == "rsa" && $2 == b && $3 == "bits" { v = $NF } END { print v }' "$WORK/openssl-rsa.txt")
  [[ $MODULE_VERIFY =~ ^[0-9.]+$ ]] || { cat "$WORK/openssl-rsa.txt"; die "no verify/s in openssl's rsa output"; }
  FLOOR_MS=$(calc "1000 / $MODULE_VERIFY + 1000 / $OPENSSL_SIGN" 3)
  cmd "${PIN_SUT[*]} openssl speed -seconds $OPENSSL_SECONDS rsa$MODULE_BITS   # the module key's verification rate"
  log "   module key: RSA $MODULE_BITS, $MODULE_VERIFY verify/s: one verification and one manifest signature take $FLOOR_MS ms (the 0.15x budget: $BUDGET_MS ms a publish)"
else
  log "   module key: $MODULE_KEY (its verification rate is not measured here)"
fi

SEQ_COUNT=$((WARM + SINGLES))
BATCH_TOTAL=$(((BATCH_WARM + BATCH_RUNS) * BATCH))
EXTRA=$((2 * SEQ_COUNT + BATCH_TOTAL)) # kernels published besides N: singles from 1 and from CONCURRENCY clients, batches
TOTAL_IDS=$((N + EXTRA))
random_ids "$TOTAL_IDS" "$WORK/all-ids.txt"
# then one clean measured bulk request, and one with revokes sent into it; the server warm-up's kernels count towards N
BUILDUP=$((N - 2 * BULK - SERVER_WARM))
head -n "$BUILDUP" "$WORK/all-ids.txt" >"$WORK/buildup-ids.txt"
sed -n "$((BUILDUP + 1)),$((BUILDUP + BULK))p" "$WORK/all-ids.txt" >"$WORK/bulk-ids.txt"
sed -n "$((BUILDUP + BULK + 1)),$((BUILDUP + 2 * BULK))p" "$WORK/all-ids.txt" >"$WORK/bulk2-ids.txt"
sed -n "$((BUILDUP + 2 * BULK + 1)),$((N))p" "$WORK/all-ids.txt" >"$WORK/server-warm-ids.txt"
sed -n "$((N + 1)),$((N + SEQ_COUNT))p" "$WORK/all-ids.txt" >"$WORK/single-ids.txt"
sed -n "$((N + SEQ_COUNT + 1)),$((N + 2 * SEQ_COUNT))p" "$WORK/all-ids.txt" >"$WORK/concurrent-ids.txt"
sed -n "$((N + 2 * SEQ_COUNT + 1)),$((N + EXTRA))p" "$WORK/all-ids.txt" | split -l "$BATCH" -d -a 3 - "$WORK/batch-ids."
random_ids 10000 "$WORK/unknown-ids.txt"
[ -z "$(sort "$WORK/all-ids.txt" "$WORK/unknown-ids.txt" | uniq -d)" ] || die "an unknown build ID is a known one"
sed 's#.*#/v1/manifests/stable/&#' "$WORK/unknown-ids.txt" >"$WORK/unknown-paths.txt"
head -3 "$WORK/unknown-paths.txt" >"$WORK/rss-paths.txt" # the empty server has no manifest: 404s

# ================================================================ the empty server: start-up and memory references
log "starting the server on an empty data folder (ManifestLifetime $LIFETIME)"
start_server empty "$LIFETIME" "an empty data folder: start-up and memory references, then every publish"
EMPTY_HEALTHZ=$UP_HEALTHZ EMPTY_INDEX=$UP_INDEX
KEY=$(cat "$DATA/admin-api-key")
RSS_EMPTY=$(settle_rss)
gcdump empty
log "   empty server: VmRSS $RSS_EMPTY KiB after the reference requests and $IDLE s idle"

# ================================================================ build-up to N - 2 x BULK kernels, BULK per request
BATCH_ROWS=$WORK/batches.txt
: >"$BATCH_ROWS"
if [ "$BUILDUP" -gt 0 ]; then
  log "building up $BUILDUP kernels: one module, $BULK build IDs per request"
  split -l "$BULK" -d -a 4 "$WORK/buildup-ids.txt" "$WORK/buildup."
  done_ids=0
  for b in "$WORK"/buildup.[0-9][0-9][0-9][0-9]; do
    count=$(wc -l <"$b")
    bulk_cfg "$b"
    c0=$(cpu_ticks "$SERVER_PID")
    bulk_publish "$b" "$b.out" || die "publish request failed"
    c1=$(cpu_ticks "$SERVER_PID")
    read -r code secs <"$b.out.w"
    [ "$code" = 201 ] || { cat "$b.out.json" >&2; die "publish returned $code"; }
    echo "$done_ids $count $secs $(calc "($c1 - $c0) / $(getconf CLK_TCK)" 2) $(phase_load)" >>"$BATCH_ROWS"
    done_ids=$((done_ids + count))
    log "   published $done_ids/$BUILDUP kernels (this request: $count in $(calc "$secs" 2) s, $(calc "$count / $secs" 0) kernels/s)"
  done
  cmd "curl -K buildup.NNNN.cfg -H \"Authorization: Bearer \$KEY\" -F module=@lp.ko $BASE/v1/patches   # $BULK lines 'form = \"buildId=…\"' per request"
fi
BLOB=$(jq -r .sha256 "$(ls "$WORK"/*.out.json 2>/dev/null | head -1)" 2>/dev/null || true)

# ================================================================ 3. single-kernel publishes (a vendor's CI)
run_driver() { # run_driver LABEL IDS CONCURRENCY → RESULT line in $WORK/LABEL.result, "patch build" lines in $WORK/LABEL.patches
  local label=$1 ids=$2 conc=$3 c0 c1 out
  c0=$(cpu_ticks "$SERVER_PID")
  out=$("${PIN_WRK[@]}" timeout 3600 "${DRIVER[@]}" "$BASE" "$DATA/admin-api-key" "$WORK/lp.ko" "$ids" "$conc" "$WARM" "$WORK/$label.patches" 2>&1) \
    || { echo "$out" >&2; die "driver ($label)"; }
  c1=$(cpu_ticks "$SERVER_PID")
  echo "$(grep '^RESULT' <<<"$out" | sed 's/^RESULT //') server_cpu_s=$(calc "($c1 - $c0) / $(getconf CLK_TCK)" 2) load=$(phase_load)" >"$WORK/$label.result"
  log "   $label: $(kv count "$(cat "$WORK/$label.result")") publishes in $(kv seconds "$(cat "$WORK/$label.result")") s: $(kv per_s "$(cat "$WORK/$label.result")")/s, p50 $(kv p50_ms "$(cat "$WORK/$label.result")") ms, p99 $(kv p99_ms "$(cat "$WORK/$label.result")") ms"
}
# A started server compiles its publish path's optimized code during its first thousand or so single publishes, which
# cost two to three times a settled one then (bench/README.md). A vendor's CI publishes to a server that has long been
# running, so SERVER_WARM publishes (2 clients) come first, untimed and not in the CPU figures.
if [ "$SERVER_WARM" -gt 0 ]; then
  log "3. warming the server up: $SERVER_WARM single-kernel publishes, untimed"
  run_driver server-warm "$WORK/server-warm-ids.txt" 2
fi
log "3. $SINGLES single-kernel publishes, one client (keep-alive), after $WARM untimed"
run_driver singles-1 "$WORK/single-ids.txt" 1
log "3. $SINGLES single-kernel publishes, $CONCURRENCY clients, after $WARM untimed"
run_driver "singles-$CONCURRENCY" "$WORK/concurrent-ids.txt" "$CONCURRENCY"
cmd "dotnet build bench/publish-driver.cs -c Release -o driver   # once; 'dotnet run bench/publish-driver.cs -- ARGS' does the same as the lines below"
cmd "${PIN_WRK[*]} dotnet driver/publish-driver.dll $BASE \$DATA/admin-api-key lp.ko server-warm-ids.txt 2 $WARM server-warm.patches   # $SERVER_WARM publishes, untimed: the server's JIT settles"
cmd "${PIN_WRK[*]} dotnet driver/publish-driver.dll $BASE \$DATA/admin-api-key lp.ko single-ids.txt 1 $WARM singles-1.patches   # $WARM untimed + $SINGLES timed, one request per build ID"
cmd "${PIN_WRK[*]} dotnet driver/publish-driver.dll $BASE \$DATA/admin-api-key lp.ko concurrent-ids.txt $CONCURRENCY $WARM singles-$CONCURRENCY.patches"
# ---------------------------------------------------------------- 3b. a vendor's CI run as one batch request
# Each patch its own module (a CI builds one per kernel): distinct signed files, made on the driver's core before timing.
log "3b. making $BATCH_TOTAL distinct signed modules for $((BATCH_WARM + BATCH_RUNS)) batches of $BATCH (bench/batch-modules.cs, CPU 1)"
for ids in "$WORK"/batch-ids.[0-9][0-9][0-9]; do
  "${PIN_WRK[@]}" timeout 1800 dotnet "$WORK/batch-modules/batch-modules.dll" "$MODULE" "$DATA/keys/module-signing.key" \
    "$DATA/keys/module-signing.pem" "$ids" "$ids.d" >/dev/null || die "batch-modules ($ids)"
done
BATCH_ROWS=$WORK/batches-ci.txt
: >"$BATCH_ROWS"
log "3b. $BATCH_WARM untimed batches, then $BATCH_RUNS timed, of $BATCH single-kernel patches each (one request per batch)"
b=0
for ids in "$WORK"/batch-ids.[0-9][0-9][0-9]; do
  b=$((b + 1))
  stored=$((BUILDUP + SERVER_WARM + 2 * SEQ_COUNT + (b - 1) * BATCH))
  c0=$(cpu_ticks "$SERVER_PID")
  read -r code secs < <("${PIN_WRK[@]}" curl -s -o "$ids.json" -w '%{http_code} %{time_total}\n' --max-time 3600 -K "$ids.d/batch.curl" \
    -H "Authorization: Bearer $KEY" "$BASE/v1/patches/batch")
  c1=$(cpu_ticks "$SERVER_PID")
  [ "$code" = 201 ] || { head -c 2000 "$ids.json" >&2; die "batch publish returned $code"; }
  [ "$(jq '.patches | length' "$ids.json")" = "$BATCH" ] || die "batch publish stored fewer than $BATCH patches"
  cpu=$(calc "($c1 - $c0) / $(getconf CLK_TCK)" 2)
  if [ "$b" -gt "$BATCH_WARM" ]; then echo "$((b - BATCH_WARM)) $stored $secs $cpu $(phase_load)" >>"$BATCH_ROWS"; fi
  log "   batch $b$([ "$b" -le "$BATCH_WARM" ] && echo " (untimed)"): $BATCH patches in $(calc "$secs" 3) s, $(calc "$BATCH / $secs" 0)/s, server CPU $cpu s"
done
# the median of the timed batches by time (the middle one; the slower middle one of an even count)
read -r _ _ BATCH_S BATCH_CPU_S _ < <(sort -k3,3g "$BATCH_ROWS" | sed -n "$(((BATCH_RUNS + 2) / 2))p")
BATCH_RATE=$(calc "$BATCH / $BATCH_S" 0)
log "   median batch: $BATCH patches in $(calc "$BATCH_S" 3) s: $BATCH_RATE/s (server CPU $BATCH_CPU_S s)"
cmd "dotnet build bench/batch-modules.cs -c Release -o batch-modules   # once"
cmd "${PIN_WRK[*]} dotnet batch-modules/batch-modules.dll $MODULE \$DATA/keys/module-signing.key \$DATA/keys/module-signing.pem batch-ids.NNN batch-ids.NNN.d   # $BATCH distinct signed modules, batch.json, batch.curl"
cmd "${PIN_WRK[*]} curl -K batch-ids.NNN.d/batch.curl -H \"Authorization: Bearer \$KEY\" $BASE/v1/patches/batch   # $BATCH_WARM untimed, then $BATCH_RUNS timed"

# the patches revoked below: single-kernel ones (a bad fix for one kernel), timed ones from the one-client run
sed -n "$((WARM + 1)),\$p" "$WORK/singles-1.patches" | cut -d' ' -f1 >"$WORK/revocable.txt"
REVOKE_IDLE_ID=$(sed -n 1p "$WORK/revocable.txt")
mapfile -t REVOKE_BULK_IDS < <(sed -n "2,$((REVOKES + 1))p" "$WORK/revocable.txt")
mapfile -t REVOKE_RESIGN_IDS < <(sed -n "$((REVOKES + 2)),$((2 * REVOKES + 1))p" "$WORK/revocable.txt")

# ================================================================ 4 (reference). a revoke with nothing else running
warm_revoke
read -r code REVOKE_IDLE_S < <(revoke "$REVOKE_IDLE_ID" "bench: revoked on an idle server"; echo)
[ "$code" = 200 ] || { cat "$WORK/revoke-$REVOKE_IDLE_ID.json" >&2; die "revoke answered $code"; }
REVOKE_IDLE_S=$(calc "$REVOKE_IDLE_S" 3)
log "4. revoke of patch $REVOKE_IDLE_ID on the idle server: $REVOKE_IDLE_S s"
cmd "curl -w '%{time_total}' -X POST -H \"Authorization: Bearer \$KEY\" -H 'Content-Type: application/json' -d '{\"reason\":\"…\"}' $BASE/v1/patches/$REVOKE_IDLE_ID/revoke   # idle; the same during the bulk and the re-sign"

# revokes_during LABEL WHAT CHECK DELAY IDS…: the first revoke is sent now, each further one DELAY s after the previous
# answer while CHECK (a command) says WHAT still runs. Rows "id seconds running-at-send running-at-answer" in revokes-LABEL.txt.
revokes_during() {
  local label=$1 what=$2 check=$3 delay=$4 id code secs at_send at_answer first=1; shift 4
  : >"$WORK/revokes-$label.txt"
  for id in "$@"; do
    if [ -z "$first" ]; then sleep "$delay"; $check || break; fi
    first=""
    if $check; then at_send=yes; else at_send=no; fi
    read -r code secs < <(revoke "$id" "bench: revoked during the $what"; echo)
    [ "$code" = 200 ] || { cat "$WORK/revoke-$id.json" >&2; die "revoke answered $code"; }
    if $check; then at_answer=yes; else at_answer=no; fi
    secs=$(calc "$secs" 3)
    echo "$id $secs $at_send $at_answer" >>"$WORK/revokes-$label.txt"
    log "   revoke of patch $id during the $what: $secs s (it was running when sent: $at_send, when answered: $at_answer)"
  done
}
# revoke_summary LABEL: "max first count" over the revokes sent while the other work ran ("- - 0" when none was)
revoke_summary() {
  awk '$3 == "yes" { n++; if ($2 > m) m = $2; if (n == 1) f = $2 } END { if (n) printf "%.3f %.3f %d\n", m, f, n; else print "- - 0" }' "$WORK/revokes-$1.txt"
}

# bulk_start LABEL IDS: one BULK-kernel request in the background, timed by curl, with the server's CPU; sets BULK_PID
bulk_start() {
  bulk_cfg "$2"
  B_C0=$(cpu_ticks "$SERVER_PID")
  bulk_curl "$2" "$WORK/$1"
  "${BULK_CURL[@]}" >"$WORK/$1.w" & # a simple command: $! is curl itself, which the clean-up can stop
  BULK_PID=$!
}
bulk_finish() { # bulk_finish LABEL → "seconds kernels/s cpu_s load" in $WORK/LABEL.row
  local rc=0 code secs c1
  wait "$BULK_PID" || rc=$?; BULK_PID=""
  [ "$rc" = 0 ] || die "bulk publish request ($1) failed (curl $rc)"
  c1=$(cpu_ticks "$SERVER_PID")
  read -r code secs <"$WORK/$1.w"
  [ "$code" = 201 ] || { cat "$WORK/$1.json" >&2; die "bulk publish ($1) returned $code"; }
  echo "$(calc "$secs" 2) $(calc "$BULK / $secs" 0) $(calc "($c1 - $B_C0) / $(getconf CLK_TCK)" 2) $(phase_load)" >"$WORK/$1.row"
}
bulk_running() { kill -0 "$BULK_PID" 2>/dev/null; }

# ================================================================ 2. the measured bulk publish
log "2. one module for $BULK kernels in one request (the repository holds $((BUILDUP + SERVER_WARM + EXTRA)) kernels)"
bulk_start bulk "$WORK/bulk-ids.txt"
bulk_finish bulk
read -r BULK_S BULK_RATE BULK_CPU_S BULK_LOAD <"$WORK/bulk.row"
log "   $BULK kernels in $BULK_S s = $BULK_RATE kernels/s (server CPU $BULK_CPU_S s)"
cmd "curl -K bulk-ids.txt.cfg -H \"Authorization: Bearer \$KEY\" -F module=@lp.ko $BASE/v1/patches   # $BULK build IDs, one request"
[ -n "$BLOB" ] || BLOB=$(jq -r .sha256 "$WORK/bulk.json")

# ================================================================ 4. revokes while another bulk publish runs
log "4. another $BULK-kernel request; up to $REVOKES revokes sent into it, the first $BULK_REVOKE_DELAY s after it started"
bulk_start bulk2 "$WORK/bulk2-ids.txt"
sleep "$BULK_REVOKE_DELAY"
revokes_during bulk "bulk publish" bulk_running "$BULK_REVOKE_DELAY" "${REVOKE_BULK_IDS[@]}"
bulk_finish bulk2
read -r BULK2_S BULK2_RATE BULK2_CPU_S BULK2_LOAD <"$WORK/bulk2.row"
read -r REVOKE_BULK_MAX REVOKE_BULK_FIRST REVOKE_BULK_N < <(revoke_summary bulk)
log "   that request: $BULK kernels in $BULK2_S s = $BULK2_RATE kernels/s with the revokes inside"
cmd "curl -K bulk2-ids.txt.cfg … &   # the same shape; revokes sent $BULK_REVOKE_DELAY s after it started and $BULK_REVOKE_DELAY s after each answer while it runs"
KERNELS=$((N + EXTRA))

# ================================================================ 5 and 6. restart with a longer lifetime: full re-sign, start-up, revoke during it
log "stopping the server; restarting on the same data ($KERNELS kernels) with ManifestLifetime $RESIGN_LIFETIME: every document is due"
T_STOP0=$(now); stop_pid "$SERVER_PID"; SERVER_PID=""; STOP_S=$(calc "$(now) - $T_STOP0" 2)
DB_BYTES=$(stat -c %s "$DATA/repository.db")
: >"$WORK/server-resign.log"
watch_resign "$WORK/server-resign.log" "$WORK/resign-done"
start_server resign "$RESIGN_LIFETIME" "the same data, every document due: start-up, then time until the log says 'Re-signed N manifest(s) before expiry'"
RESIGN_HEALTHZ=$UP_HEALTHZ RESIGN_INDEX=$UP_INDEX
warm_revoke
resign_running() { [ ! -s "$WORK/resign-done" ]; }
revokes_during resign "full re-sign" resign_running "$REVOKE_DELAY" "${REVOKE_RESIGN_IDS[@]}"
read -r REVOKE_RESIGN_MAX REVOKE_RESIGN_FIRST REVOKE_RESIGN_N < <(revoke_summary resign)
log "   waiting for 'Re-signed … manifest(s) before expiry' (at most $RESIGN_TIMEOUT s)"
rc=0; wait "$WATCH_PID" || rc=$?; WATCH_PID=""
[ "$rc" = 0 ] && [ -s "$WORK/resign-done" ] || die "no re-sign line in the log within $RESIGN_TIMEOUT s"
read -r T_RESIGN RESIGN_TICKS <"$WORK/resign-done"
RESIGN_CPU_S=$(calc "$RESIGN_TICKS / $(getconf CLK_TCK)" 2)
RESIGN_S=$(calc "$T_RESIGN - $T_LAUNCH" 2)
RESIGN_COUNT=$(grep -oE 'Re-signed [0-9]+ manifest' "$WORK/server-resign.log" | head -1 | grep -oE '[0-9]+')
RSS_AFTER_RESIGN=$(rss_kib "$SERVER_PID")
log "   re-signed $RESIGN_COUNT manifest(s) in $RESIGN_S s from process start ($(calc "$RESIGN_COUNT / $RESIGN_S" 0)/s, server CPU $RESIGN_CPU_S s); VmRSS $RSS_AFTER_RESIGN KiB"

# ================================================================ 6 and 7. a plain restart (nothing due): start-up and memory at N
log "stopping; a plain restart on the same data (nothing due now)"
stop_pid "$SERVER_PID"; SERVER_PID=""
cat "$WORK/buildup-ids.txt" "$WORK/bulk-ids.txt" "$WORK/bulk2-ids.txt" | sed 's#.*#/v1/manifests/stable/&#' >"$WORK/known-paths.txt"
shuf -n 3 "$WORK/known-paths.txt" >"$WORK/rss-paths.txt"
start_server plain "$RESIGN_LIFETIME" "the same data, nothing due: start-up, memory, floods"
PLAIN_HEALTHZ=$UP_HEALTHZ PLAIN_INDEX=$UP_INDEX
RSS_N=$(settle_rss)
PLAIN_RESIGNS=$(grep -cE 'Re-signed [0-9]+ manifest' "$WORK/server-plain.log" || true)
DB_BYTES_AFTER=$(stat -c %s "$DATA/repository.db")
DB_FILES=$(cd "$DATA" && ls -l repository*.db 2>/dev/null | awk '{ printf "%s%s %d bytes", sep, $NF, $5; sep = ", " }')
BLOBS_KIB=$(du -sk "$DATA" --exclude='repository*.db' --exclude=keys --exclude=signed | cut -f1)
SIGNED_KIB=$(du -sk "$DATA/signed" 2>/dev/null | cut -f1 || echo 0)
PER_KERNEL=$(calc "($RSS_N - $RSS_EMPTY) * 1024 / $KERNELS" 0)
gcdump n
log "   VmRSS $RSS_N KiB at $KERNELS kernels vs $RSS_EMPTY KiB empty: $PER_KERNEL bytes/kernel; repository.db $DB_BYTES_AFTER bytes"

# sanity: what is stored, and what an unknown kernel gets
# The listing is paged (docs/api.md, "Listings"): follow `next` with the largest page.
STORED=0 AFTER="" PAGES=0
while :; do
  PAGE=$(curl -s --max-time 60 "$BASE/v1/kernels?limit=1000${AFTER:+&after=$AFTER}")
  STORED=$((STORED + $(jq '.items | length' <<<"$PAGE")))
  AFTER=$(jq -r '.items[-1].buildId // empty' <<<"$PAGE")
  PAGES=$((PAGES + 1))
  [ "$(jq -r '.next // empty' <<<"$PAGE")" != "" ] && [ -n "$AFTER" ] && [ "$PAGES" -lt 100000 ] || break
done
[ "$STORED" -eq "$KERNELS" ] || die "/v1/kernels lists $STORED kernels, expected $KERNELS"
code=$(curl -s -o "$WORK/unknown.json" -w '%{http_code}' --max-time 10 "$BASE$(head -1 "$WORK/unknown-paths.txt")")
[ "$code" = 404 ] && grep -q 'kernel-not-covered' "$WORK/unknown.json" || die "an unknown kernel got $code: $(cat "$WORK/unknown.json")"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$BASE$(head -1 "$WORK/known-paths.txt")")
[ "$code" = 200 ] || die "a known manifest answered $code"

# ================================================================ 8. anonymous flood vs legitimate manifest GETs
FLOOD_ROWS=$WORK/flood.txt
: >"$FLOOD_ROWS"
LEGIT_ARGS=(-t1 -c"$LEGIT_CONNS" -d"${FLOOD_DURATION}s" --timeout 5s -s "$BENCH/paced-paths.lua" "$BASE" -- "$WORK/known-paths.txt" "$LEGIT_DELAY_MS")
# flood ROUTE: a wrk flood on the route (niced, so the light client is not queued behind it on the shared core) with
# the light client running inside it; "none" runs the light client alone (the reference)
flood() {
  local route=$1 fargs=() fout="" lout c0 c1 rc
  case $route in
    none) ;;
    manifests-unknown) fargs=(-s "$BENCH/random-paths.lua" "$BASE" -- "$WORK/unknown-paths.txt") ;;
    kernels) fargs=(-s "$BENCH/report.lua" "$BASE/v1/kernels") ;;
    patches) fargs=(-s "$BENCH/report.lua" "$BASE/v1/patches") ;;
    index) fargs=(-s "$BENCH/report.lua" "$BASE/v1/index") ;;
    blob) fargs=(-s "$BENCH/report.lua" "$BASE/v1/blobs/sha256/$BLOB") ;;
  esac
  if [ "$route" != none ]; then
    "${PIN_WRK[@]}" nice -n 10 timeout $((FLOOD_DURATION + 60)) wrk -t1 -c"$FLOOD_CONNS" -d"$((FLOOD_DURATION + 2))s" --timeout 5s "${fargs[@]}" \
      >"$WORK/flood-$route.out" 2>&1 &
    FLOOD_PID=$!
    sleep 1
  fi
  c0=$(cpu_ticks "$SERVER_PID")
  lout=$("${PIN_WRK[@]}" timeout $((FLOOD_DURATION + 60)) wrk "${LEGIT_ARGS[@]}" 2>&1) || die "legit wrk ($route): $lout"
  c1=$(cpu_ticks "$SERVER_PID")
  if [ -n "$FLOOD_PID" ]; then
    rc=0; wait "$FLOOD_PID" || rc=$?; FLOOD_PID=""
    [ "$rc" = 0 ] || die "flood wrk ($route) failed: $(cat "$WORK/flood-$route.out")"
    fout=$(grep '^RESULT' "$WORK/flood-$route.out" | sed 's/^RESULT //') || die "no RESULT from the flood: $(cat "$WORK/flood-$route.out")"
  fi
  kill -0 "$SERVER_PID" 2>/dev/null || die "the server is gone after the $route flood"
  local l
  l=$(grep '^RESULT' <<<"$lout" | sed 's/^RESULT //') || die "no RESULT from the light client: $lout"
  echo "$route cpu_pct=$(calc "($c1 - $c0) * 100 / $(getconf CLK_TCK) / $FLOOD_DURATION" 0) load=$(phase_load) | $l | $fout" >>"$FLOOD_ROWS"
  log "   $route: manifest GET p50 $(calc "$(kv p50_us "$l") / 1000" 2) ms, p99 $(calc "$(kv p99_us "$l") / 1000" 2) ms$([ -z "$fout" ] || echo "; flood $(calc "$(kv requests "$fout") / ($(kv duration_us "$fout") / 1e6)" 0) req/s")"
}
log "8. manifest GETs (wrk -c$LEGIT_CONNS, $LEGIT_DELAY_MS ms between a connection's requests) alone, then during a flood (wrk -c$FLOOD_CONNS) of each anonymous route, ${FLOOD_DURATION} s each"
for route in none manifests-unknown kernels patches index blob; do flood "$route"; done
cmd "${PIN_WRK[*]} wrk -t1 -c$LEGIT_CONNS -d${FLOOD_DURATION}s --timeout 5s -s bench/paced-paths.lua $BASE -- known-paths.txt $LEGIT_DELAY_MS   # the light client on known manifests, alone and inside each flood"
cmd "${PIN_WRK[*]} nice -n 10 wrk -t1 -c$FLOOD_CONNS -d$((FLOOD_DURATION + 2))s --timeout 5s -s bench/random-paths.lua $BASE -- unknown-paths.txt   # flood: random unknown kernels"
cmd "${PIN_WRK[*]} nice -n 10 wrk -t1 -c$FLOOD_CONNS -d$((FLOOD_DURATION + 2))s --timeout 5s -s bench/report.lua $BASE/v1/kernels   # the same for /v1/patches, /v1/index, /v1/blobs/sha256/$BLOB"
stop_pid "$SERVER_PID"; SERVER_PID=""

# ================================================================ publish-results.md
log "writing $RESULTS"
ELAPSED=$(($(date +%s) - START))
KEEP=$(kept_analysis "$RESULTS")
SIZES="N=$N BULK=$BULK SINGLES=$SINGLES"
S1=$(cat "$WORK/singles-1.result")
SC=$(cat "$WORK/singles-$CONCURRENCY.result")
S1_RATE=$(kv per_s "$S1") SC_RATE=$(kv per_s "$SC")
ratio() { calc "$1 / $OPENSSL_SIGN" 3; }
rate_verdict() { verdict "$1 >= 0.15 * $OPENSSL_SIGN"; }
revoke_verdict() { # revoke_verdict MAX COUNT
  if [ "$2" -eq 0 ]; then echo "not measured (it had ended before the first revoke was sent)"; else verdict "$1 < 1"; fi
}
revoke_value() { # revoke_value MAX FIRST COUNT
  if [ "$3" -eq 0 ]; then echo "—"; else echo "$1 s, the slowest of $3 (the first: $2 s)"; fi
}
WORST_UP=$(awk -v a="$RESIGN_HEALTHZ" -v b="$PLAIN_HEALTHZ" 'BEGIN { print (a > b ? a : b) }')
# flood rows → markdown (the route names as paths)
FLOOD_AWK='
  function v(s, k,   i, n, a, kv) { n = split(s, a, " "); for (i = 1; i <= n; i++) { split(a[i], kv, "="); if (kv[1] == k) return kv[2] } return "" }
  BEGIN { name["none"] = "(none: the reference)"; name["manifests-unknown"] = "/v1/manifests/stable/{random unknown}"; name["kernels"] = "/v1/kernels"
          name["patches"] = "/v1/patches"; name["index"] = "/v1/index"; name["blob"] = "/v1/blobs/sha256/{the module}" }
  { split($1, h, " "); route = h[1]; split(h[2], c, "="); split(h[3], l, "=") }'
{
  echo "# Publishing-plane benchmark: signing, revoking, re-signing, start-up, memory, floods"
  echo
  if [ "$SIZES" != "$DEFAULTS" ]; then
    echo "> **Development run at small sizes ($SIZES), not the measurement**: the targets are about"
    echo "> $DEFAULTS (\`bench/publish.sh\` with no settings), and a full run overwrites this file. Re-sign, start-up"
    echo "> and memory at this N say little about N=100,000."
    echo
  fi
  cat <<EOF
Written by \`$( [ "$SIZES" = "$DEFAULTS" ] || echo "$SIZES ")bench/publish.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC') (run took $((ELAPSED / 60)) min $((ELAPSED % 60)) s).
Built from commit: \`${BUILT_FROM%% *}\`${BUILT_FROM#"${BUILT_FROM%% *}"}.

## Machine

| | |
|---|---|
$(machine_rows)
| OpenSSL | $(openssl version) |
| wrk | $(wrk -v 2>&1 | head -1 | awk '{ print $1, $2 }') |
| pinning | $PINNING; the publish driver and curl on CPU 1 too |
| load average at start / end | $LOAD_START / $(cut -d' ' -f1-3 /proc/loadavg) |

The machine is shared with other builds and tests: the *load* figures are the 1-minute load average at the end of each
phase (2.0 = both cores busy on average, this benchmark included). Wall-clock rates move with that load; the server CPU
seconds next to them (utime+stime from /proc/PID/stat) say what the work cost.

## Targets

| # | measurement | reference | value | target | verdict |
|---|---|---|---|---|---|
| 1 | signing, one core | \`openssl speed ecdsap256\` | $OPENSSL_SIGN sign/s | — | the server signs with $KEY_TYPE |$(if [ -n "$MODULE_VERIFY" ]; then printf '\n%s' "| 1 | module verification, one core | \`openssl speed rsa$MODULE_BITS\` | $MODULE_VERIFY verify/s | — | one verification + one signature: $FLOOR_MS ms, of a $BUDGET_MS ms budget per publish at 0.15× |"; fi)
| 2 | one module for $BULK kernels, one request | 0.15 × openssl = $TARGET_RATE/s | $BULK_RATE kernels/s ($(ratio "$BULK_RATE")×) | ≥ 0.15× openssl | $(rate_verdict "$BULK_RATE") |
| 3 | single-kernel publishes, 1 client | 0.15 × openssl = $TARGET_RATE/s | $S1_RATE/s ($(ratio "$S1_RATE")×) | ≥ 0.15× openssl | $(rate_verdict "$S1_RATE") |
| 3 | single-kernel publishes, $CONCURRENCY clients | 0.15 × openssl = $TARGET_RATE/s | $SC_RATE/s ($(ratio "$SC_RATE")×) | ≥ 0.15× openssl | $(rate_verdict "$SC_RATE") |
| 3 | $BATCH single-kernel publishes as one batch request (median of $BATCH_RUNS) | 0.15 × openssl = $TARGET_RATE/s | $BATCH_RATE/s ($(ratio "$BATCH_RATE")×) | ≥ 0.15× openssl | $(rate_verdict "$BATCH_RATE") |
| 4 | revoke while a $BULK-kernel publish runs | idle: $REVOKE_IDLE_S s | $(revoke_value "$REVOKE_BULK_MAX" "$REVOKE_BULK_FIRST" "$REVOKE_BULK_N") | < 1 s | $(revoke_verdict "$REVOKE_BULK_MAX" "$REVOKE_BULK_N") |
| 4 | revoke while a full re-sign runs | idle: $REVOKE_IDLE_S s | $(revoke_value "$REVOKE_RESIGN_MAX" "$REVOKE_RESIGN_FIRST" "$REVOKE_RESIGN_N") | < 1 s | $(revoke_verdict "$REVOKE_RESIGN_MAX" "$REVOKE_RESIGN_N") |
| 5 | full re-sign, $KERNELS kernels | — | $RESIGN_S s ($RESIGN_COUNT manifests) | ≤ 30 s | $(verdict "$RESIGN_S <= 30") |
| 6 | start-up, $KERNELS kernels (/healthz 200) | empty: $EMPTY_HEALTHZ s | $PLAIN_HEALTHZ s; $RESIGN_HEALTHZ s with everything due | ≤ 10 s | $(verdict "$WORST_UP <= 10") |
| 7 | memory per kernel (VmRSS) | empty: $RSS_EMPTY KiB | $PER_KERNEL bytes ($RSS_N KiB at $KERNELS) | ≤ 3 KiB | $(verdict "$PER_KERNEL <= 3072") |
EOF
  awk -F' [|] ' "$FLOOD_AWK"'
    route == "none" { base = sprintf("alone: %.2f ms", v($2, "p50_us") / 1000) }
    route != "none" { p50 = v($2, "p50_us") / 1000; to = v($2, "timeout")
      printf "| 8 | manifest GET p50, flood on %s | %s | %.2f ms (p99 %.2f ms%s) | < 50 ms | %s |\n", name[route], base, p50, v($2, "p99_us") / 1000, \
        (to > 0 ? ", " to " timeouts" : ""), (p50 < 50 ? "met" : "NOT met") }' "$FLOOD_ROWS"
  cat <<EOF

- target: one module for $BULK kernels in one request ≥ 0.15 × openssl sign/s ($TARGET_RATE kernels/s) — $(rate_verdict "$BULK_RATE") ($BULK_RATE kernels/s, $(ratio "$BULK_RATE")×)
- target: single-kernel publishes, 1 client, ≥ 0.15 × openssl sign/s — $(rate_verdict "$S1_RATE") ($S1_RATE/s, $(ratio "$S1_RATE")×)
- target: single-kernel publishes, $CONCURRENCY clients, ≥ 0.15 × openssl sign/s — $(rate_verdict "$SC_RATE") ($SC_RATE/s, $(ratio "$SC_RATE")×)
- target: $BATCH single-kernel publishes as one batch request, ≥ 0.15 × openssl sign/s — $(rate_verdict "$BATCH_RATE") ($BATCH_RATE/s, $(ratio "$BATCH_RATE")×, the median of $BATCH_RUNS)
- target: revoke < 1 s while a $BULK-kernel publish runs — $(revoke_verdict "$REVOKE_BULK_MAX" "$REVOKE_BULK_N") ($(revoke_value "$REVOKE_BULK_MAX" "$REVOKE_BULK_FIRST" "$REVOKE_BULK_N"); idle: $REVOKE_IDLE_S s)
- target: revoke < 1 s while a full re-sign runs — $(revoke_verdict "$REVOKE_RESIGN_MAX" "$REVOKE_RESIGN_N") ($(revoke_value "$REVOKE_RESIGN_MAX" "$REVOKE_RESIGN_FIRST" "$REVOKE_RESIGN_N"))
- target: full re-sign ≤ 30 s at $KERNELS kernels — $(verdict "$RESIGN_S <= 30") ($RESIGN_S s)
- target: start-up ≤ 10 s at $KERNELS kernels — $(verdict "$WORST_UP <= 10") (/healthz 200 after $PLAIN_HEALTHZ s, /v1/index after $PLAIN_INDEX s; with everything due for re-signing: $RESIGN_HEALTHZ s and $RESIGN_INDEX s)
- target: memory ≤ 3 KiB per kernel — $(verdict "$PER_KERNEL <= 3072") ($PER_KERNEL bytes)
EOF
  awk -F' [|] ' "$FLOOD_AWK"'
    route != "none" { p50 = v($2, "p50_us") / 1000
      printf "- target: manifest GET p50 < 50 ms during a flood on %s — %s (%.2f ms)\n", name[route], (p50 < 50 ? "met" : "NOT met"), p50 }' "$FLOOD_ROWS"
  cat <<EOF

## 1. Signing reference

\`${PIN_SUT[*]} openssl speed -seconds $OPENSSL_SECONDS ecdsap256\` (one process, on the server's core): **$OPENSSL_SIGN sign/s**,
$OPENSSL_VERIFY verify/s. The server's manifest signing key from \`lpatch keys init\` is **$KEY_TYPE**; the server signs
CMS SignedData (SHA-256 digest): one signature per manifest, per coverage bin touched and for the index.
0.15 × openssl = $TARGET_RATE signatures/s.
$(if [ -n "$MODULE_VERIFY" ]; then cat <<VERIFY

Every publish also verifies its module's signature; the module key from \`lpatch keys init\` is **RSA $MODULE_BITS**, and
\`${PIN_SUT[*]} openssl speed -seconds $OPENSSL_SECONDS rsa$MODULE_BITS\` verifies **$MODULE_VERIFY signatures/s** on the same
core. One verification and one manifest signature, the public-key work no single-kernel publish can share with another,
take **$FLOOR_MS ms** at these rates; the 0.15× target leaves $BUDGET_MS ms per publish for everything.
VERIFY
else echo; echo "The module key from \`lpatch keys init\` is $MODULE_KEY; its verification rate is not measured here."; fi)

## 2. One module for many kernels

One signed module (\`lp_sample.ko\`, $(stat -c %s "$WORK/lp.ko") bytes) with $BULK build IDs (repeated \`buildId\` form fields) per request;
the request returns once every manifest, bin and the index are signed.

| request | kernels stored before | kernels | seconds | kernels/s | × openssl | server CPU s | kernels per CPU-s | load |
|---|---:|---:|---:|---:|---:|---:|---:|---:|
EOF
  awk -v o="$OPENSSL_SIGN" '{ printf "| build-up %d | %d | %d | %.2f | %.0f | %.3f | %.2f | %.0f | %s |\n", NR, $1, $2, $3, $2 / $3, $2 / $3 / o, $4, ($4 > 0 ? $2 / $4 : 0), $5 }' "$BATCH_ROWS"
  cat <<EOF
| **measured** | $((BUILDUP + SERVER_WARM + EXTRA)) | $BULK | $BULK_S | **$BULK_RATE** | $(ratio "$BULK_RATE") | $BULK_CPU_S | $(calc "$BULK / $BULK_CPU_S" 0) | $BULK_LOAD |
| with revokes inside (4) | $((BUILDUP + BULK + SERVER_WARM + EXTRA)) | $BULK | $BULK2_S | $BULK2_RATE | $(ratio "$BULK2_RATE") | $BULK2_CPU_S | $(calc "$BULK / $BULK2_CPU_S" 0) | $BULK2_LOAD |

## 3. Single-kernel publishes (a vendor's CI)

One request per build ID, the same module each time, over keep-alive connections from \`bench/publish-driver.cs\`
(HttpClient; one connection per client), after $WARM untimed publishes; latency per request, client side. Before both,
$SERVER_WARM single-kernel publishes from 2 clients, untimed: the server's tiered JIT settles only after a thousand or so.

| clients | publishes | seconds | publishes/s | × openssl | p50 ms | p90 ms | p99 ms | max ms | server CPU s | CPU ms per publish | load |
|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|
| 1 | $(kv count "$S1") | $(kv seconds "$S1") | **$S1_RATE** | $(ratio "$S1_RATE") | $(kv p50_ms "$S1") | $(kv p90_ms "$S1") | $(kv p99_ms "$S1") | $(kv max_ms "$S1") | $(kv server_cpu_s "$S1") | $(calc "$(kv server_cpu_s "$S1") * 1000 / ($(kv count "$S1") + $WARM)" 2) | $(kv load "$S1") |
| $CONCURRENCY | $(kv count "$SC") | $(kv seconds "$SC") | **$SC_RATE** | $(ratio "$SC_RATE") | $(kv p50_ms "$SC") | $(kv p90_ms "$SC") | $(kv p99_ms "$SC") | $(kv max_ms "$SC") | $(kv server_cpu_s "$SC") | $(calc "$(kv server_cpu_s "$SC") * 1000 / ($(kv count "$SC") + $WARM)" 2) | $(kv load "$SC") |

(CPU ms per publish includes the $WARM untimed publishes: the CPU reading spans the whole driver run.)

### 3b. The same CI run as batches

\`POST /v1/patches/batch\` (\`lpatch publish-batch\`) with $BATCH patches per request, each for one kernel and each its own
module: distinct files signed with the module key as \`lpatch module sign\` signs (\`bench/batch-modules.cs\`: the sample
module with a numbered description), so the server checks, hashes and stores $BATCH modules per request, as for a CI that
builds one per kernel. $BATCH_WARM batches untimed (the batch path's JIT), then $BATCH_RUNS timed by curl (time_total: the upload
included); the verdict takes the median.

| batch | kernels stored before | seconds | publishes/s | × openssl | server CPU s | CPU ms per publish | load |
|---:|---:|---:|---:|---:|---:|---:|---:|
EOF
  awk -v batch="$BATCH" -v sign="$OPENSSL_SIGN" '{ printf "| %d | %d | %.3f | %.0f | %.3f | %.2f | %.3f | %s |\n", $1, $2, $3, batch / $3, batch / $3 / sign, $4, $4 * 1000 / batch, $5 }' "$BATCH_ROWS"
  cat <<EOF

## 4. Revoke latency

\`POST /v1/patches/{id}/revoke\` of a single-kernel patch, timed by curl (time_total), after one revoke of a patch that
does not exist (404) so that the timed ones are not the endpoint's first request in the process. During the bulk
publish the first revoke is sent $BULK_REVOKE_DELAY s after the request started and each next one $BULK_REVOKE_DELAY s after the
previous answer; during the re-sign, the first once /healthz and /v1/index answered and each next one $REVOKE_DELAY s after the
previous answer; up to $REVOKES each, while the other work still runs. The verdicts take the slowest revoke sent while it ran.

| while | patch | seconds | it ran when the revoke was sent / answered |
|---|---:|---:|---|
| nothing (the reference) | $REVOKE_IDLE_ID | $REVOKE_IDLE_S | — |
EOF
  awk -v w="the $BULK-kernel publish" '{ printf "| %s | %s | %s | %s / %s |\n", w, $1, $2, $3, $4 }' "$WORK/revokes-bulk.txt"
  awk -v w="the full re-sign" '{ printf "| %s | %s | %s | %s / %s |\n", w, $1, $2, $3, $4 }' "$WORK/revokes-resign.txt"
  cat <<EOF

## 5. Full re-sign

Everything was published with \`LivePatch__ManifestLifetime=$LIFETIME\`; the server was stopped (in $STOP_S s) and started
on the same data folder with \`$RESIGN_LIFETIME\`, so every stored manifest and bin had less than half its lifetime
left. From process start to the log line \`Re-signed $RESIGN_COUNT manifest(s) before expiry\` (logged after the manifests,
the bins and the index, polled every 50 ms): **$RESIGN_S s** at $KERNELS kernels: $(calc "$RESIGN_COUNT / $RESIGN_S" 0) manifests/s
including start-up, server CPU $RESIGN_CPU_S s by then ($(calc "$RESIGN_COUNT / $RESIGN_CPU_S" 0) manifests per CPU-second, start-up
included). The revokes above ran inside it. VmRSS just after: $RSS_AFTER_RESIGN KiB.

## 6. Start-up

From process start (\`dotnet LivePatch.Server.dll\`) until the first 200, polled every 50 ms:

| data | /healthz 200 | /v1/index 200 |
|---|---:|---:|
| empty (first start: creates the database and the admin key) | $EMPTY_HEALTHZ s | $EMPTY_INDEX s |
| $KERNELS kernels, every document due (the re-signer starts with the server) | $RESIGN_HEALTHZ s | $RESIGN_INDEX s |
| $KERNELS kernels, nothing due | $PLAIN_HEALTHZ s | $PLAIN_INDEX s |

The plain restart logged $PLAIN_RESIGNS re-sign line(s) (0 expected). The verdict takes the slower of the two restarts at N.

## 7. Memory and storage

VmRSS of the server after start, the same requests (/healthz, /v1/index, /v1/coverage/stable/00 and three manifests:
404s on the empty server, known kernels at N) and $IDLE s idle:

| | VmRSS |
|---|---:|
| empty | $RSS_EMPTY KiB |
| $KERNELS kernels (the plain restart) | $RSS_N KiB |
| difference per kernel | **$PER_KERNEL bytes** |

LiteDB at the end: $DB_FILES ($(calc "$DB_BYTES_AFTER / $KERNELS" 0) bytes per kernel; repository.db was $DB_BYTES bytes before
the re-sign). Signed manifests and bins (\`signed/\`, after the plain restart deleted the segments the re-sign emptied):
$SIGNED_KIB KiB ($(calc "$SIGNED_KIB * 1024 / $KERNELS" 0) bytes per kernel). Everything else in the data folder but the keys (the blob
store): $BLOBS_KIB KiB.

## 8. Anonymous floods vs manifest GETs

The light client: \`wrk -t1 -c$LEGIT_CONNS\` on random known manifests with a $LEGIT_DELAY_MS ms pause after each response on a
connection (\`bench/paced-paths.lua\`), ${FLOOD_DURATION} s. The flood: \`wrk -t1 -c$FLOOD_CONNS\` on one anonymous route, niced (10) so
the light client is not queued behind it on the load generators' core, started 1 s before the light client and ending
after it. Unknown kernels on /v1/manifests answer 404, which wrk counts as non-2xx. Server CPU % is over the light client's run.

| flood on | manifest GETs | p50 ms | p90 ms | p99 ms | max ms | timeouts | flood req/s | flood MB/s | flood non-2xx | flood timeouts | server CPU % | load |
|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|
EOF
  awk -F' [|] ' "$FLOOD_AWK"'
    { fl = ($3 == "" ? "| — | — | — | —" : sprintf("| %.0f | %.1f | %d | %d", v($3, "requests") / (v($3, "duration_us") / 1e6), \
        v($3, "bytes") / (v($3, "duration_us") / 1e6) / 1e6, v($3, "status"), v($3, "timeout")))
      printf "| %s | %d | %.2f | %.2f | %.2f | %.2f | %d %s | %s | %s |\n", name[route], v($2, "requests"), v($2, "p50_us") / 1000, \
        v($2, "p90_us") / 1000, v($2, "p99_us") / 1000, v($2, "max_us") / 1000, v($2, "timeout"), fl, c[2], l[2] }' "$FLOOD_ROWS"
  cat <<EOF

## Settings

\`N=$N BULK=$BULK SINGLES=$SINGLES CONCURRENCY=$CONCURRENCY WARM=$WARM SERVER_WARM=$SERVER_WARM BATCH=$BATCH BATCH_WARM=$BATCH_WARM BATCH_RUNS=$BATCH_RUNS REVOKES=$REVOKES REVOKE_DELAY=$REVOKE_DELAY BULK_REVOKE_DELAY=$BULK_REVOKE_DELAY LIFETIME=$LIFETIME
RESIGN_LIFETIME=$RESIGN_LIFETIME IDLE=$IDLE FLOOD_DURATION=$FLOOD_DURATION FLOOD_CONNS=$FLOOD_CONNS LEGIT_CONNS=$LEGIT_CONNS LEGIT_DELAY_MS=$LEGIT_DELAY_MS
OPENSSL_SECONDS=$OPENSSL_SECONDS\`

Order of the run: openssl; an empty server (start-up and memory references); $BUILDUP kernels in requests of $BULK;
$SERVER_WARM single-kernel publishes to warm the server up (untimed); $WARM + $SINGLES from 1 client, then $WARM + $SINGLES
from $CONCURRENCY; $((BATCH_WARM + BATCH_RUNS)) batches of $BATCH; a revoke on the idle server; the measured
$BULK-kernel request; another with revokes sent into it; stop, restart with the longer lifetime (re-sign, start-up,
revokes); stop, plain restart (start-up, memory, then the floods). Server: \`ASPNETCORE_ENVIRONMENT=Production\`, keys
from \`lpatch keys init\`, one channel (stable), the repository's appsettings.json, Release build. Build IDs are random
40-hex strings.

## Commands

\`\`\`sh
$(cat "$COMMANDS")
\`\`\`
EOF
  if [ -n "$KEEP" ]; then echo; echo "$KEEP"; fi
} >"$RESULTS.tmp"
mv "$RESULTS.tmp" "$RESULTS"
log "done: $RESULTS"
