#!/usr/bin/env bash
# Client benchmark: how long one `lpatch check` takes as a whole process, and how much memory it
# peaks at, next to the floor of doing the same work with curl + openssl. It exists to check
# docs/architecture.md's claim for the Native AOT host binary ("starts in milliseconds, fits an initramfs")
# against numbers: targets are within 1.5x the floor in wall time and under 40 MB peak RSS.
#
# Not part of CI or `dotnet test`. Traffic goes only to a server this script starts on 127.0.0.1;
# every loop is bounded (hyperfine --runs, RSS_RUNS). Writes bench/client/results.md (the measured
# part above the ANALYSIS marker; whatever follows the marker is kept from the previous file).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
OUT_DIR=$ROOT/bench/client
RESULTS=$OUT_DIR/results.md
RUNS=${RUNS:-30}
WARMUP=${WARMUP:-3}
RSS_RUNS=${RSS_RUNS:-10}
BUILD_ID=4a5a9b0affb66c437abcd455d2738af879985fa9   # GNU build ID of tests/fixtures/notes/sys-kernel-notes.bin
RELEASE=6.1.0-56-amd64                               # vermagic of the fixture modules
MODULE=$ROOT/tests/fixtures/modules/lp_sample.rsa2048-sha256.ko
KEYRING=$ROOT/tests/fixtures/keys/rsa2048.pem
NOTES=$ROOT/tests/fixtures/notes/sys-kernel-notes.bin

TMP=$(mktemp -d /tmp/lpatch-bench-client.XXXXXX)
SERVER_PID=
cleanup() {
    local rc=$?
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 1 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$TMP"
    exit $rc
}
trap cleanup EXIT INT TERM

log() { printf '\n== %s\n' "$*" >&2; }

# ---------------------------------------------------------------- tools
missing=()
command -v hyperfine >/dev/null || missing+=(hyperfine)
[ -x /usr/bin/time ] || missing+=(time)
command -v curl >/dev/null || missing+=(curl)
command -v openssl >/dev/null || missing+=(openssl)
command -v jq >/dev/null || missing+=(jq)
command -v clang >/dev/null || command -v clang-14 >/dev/null || missing+=(clang-14)
if [ ${#missing[@]} -gt 0 ]; then
    log "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
fi
linker=()
command -v clang >/dev/null || linker=(-p:CppCompilerAndLinker=clang-14)

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
t_start=$(date +%s)

# ---------------------------------------------------------------- builds
AOT=$TMP/aot
FDD=$TMP/fdd
SERVER_DIR=$TMP/server
log "building the server (Release, framework-dependent)"
dotnet publish src/LivePatch.Server -c Release -o "$SERVER_DIR" -nologo -v quiet >"$TMP/build-server.log" || { cat "$TMP/build-server.log"; exit 1; }
log "building lpatch as Native AOT"
dotnet publish src/LivePatch.Cli -c Release -r linux-x64 -p:PublishAot=true "${linker[@]}" -o "$AOT" -nologo -v quiet >"$TMP/build-aot.log" || { cat "$TMP/build-aot.log"; exit 1; }
log "building lpatch framework-dependent (dotnet lpatch.dll)"
dotnet publish src/LivePatch.Cli -c Release -o "$FDD" -nologo -v quiet >"$TMP/build-fdd.log" || { cat "$TMP/build-fdd.log"; exit 1; }
LPATCH_AOT=$AOT/lpatch
LPATCH_FDD="dotnet $FDD/lpatch.dll"
aot_size=$(stat -c %s "$LPATCH_AOT")
fdd_size=$(du -sb "$FDD" | cut -f1)

# ---------------------------------------------------------------- server
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
URL=http://127.0.0.1:$PORT
DATA=$TMP/data
log "starting the server on $URL"
ASPNETCORE_ENVIRONMENT=Development \
LivePatch__DataDirectory=$DATA \
LivePatch__ModuleKeyring__0=$KEYRING \
Logging__LogLevel__Default=Warning \
    dotnet "$SERVER_DIR/LivePatch.Server.dll" --urls "$URL" >"$TMP/server.log" 2>&1 &
SERVER_PID=$!
healthy=
for _ in $(seq 1 600); do   # at most 60 s
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$TMP/server.log"; echo "server exited" >&2; exit 1; }
    if curl -fsS -o /dev/null --max-time 2 "$URL/healthz" 2>/dev/null; then healthy=1; break; fi
    sleep 0.1
done
[ -n "$healthy" ] || { cat "$TMP/server.log"; echo "server not healthy in 60 s" >&2; exit 1; }

log "publishing $(basename "$MODULE") for $BUILD_ID"
"$LPATCH_AOT" publish "$MODULE" --server "$URL" --api-key "$(cat "$DATA/admin-api-key")" --build-id "$BUILD_ID"

# ---------------------------------------------------------------- client.json
HOST=$TMP/host
mkdir -p "$HOST/stage"
printf '%s\n' "$RELEASE" >"$HOST/osrelease"
printf 'BOOT_IMAGE=/vmlinuz root=/dev/sda1\n' >"$HOST/cmdline"
printf '00000000-0000-0000-0000-000000000000\n' >"$HOST/boot_id"
CONFIG=$HOST/client.json
CACHE=$HOST/cache
cat >"$CONFIG" <<JSON
{
  "repositories": ["$URL"],
  "channel": "stable",
  "trustedRoots": ["$DATA/keys/root.pem"],
  "moduleKeyring": ["$KEYRING"],
  "loader": { "kind": "stage", "stageDirectory": "$HOST/stage" },
  "stateDirectory": "$HOST/state",
  "cacheDirectory": "$CACHE",
  "kernelNotesPath": "$NOTES",
  "kernelReleasePath": "$HOST/osrelease",
  "kernelCommandLinePath": "$HOST/cmdline",
  "bootIdPath": "$HOST/boot_id",
  "disableFile": "$HOST/disabled",
  "randomDelay": "00:00:00"
}
JSON

# sanity: both builds agree and say there is something to apply; the floor verifies
log "sanity checks"
"$LPATCH_AOT" check --config "$CONFIG" --json >"$TMP/check-aot.json"
$LPATCH_FDD check --config "$CONFIG" --json >"$TMP/check-fdd.json"
jq -e '.action == "would-apply"' "$TMP/check-aot.json" >/dev/null || { cat "$TMP/check-aot.json"; echo "unexpected check result" >&2; exit 1; }
jq -e '.action == "would-apply"' "$TMP/check-fdd.json" >/dev/null || { cat "$TMP/check-fdd.json"; echo "unexpected check result" >&2; exit 1; }
FLOOR="curl -s -o $TMP/m.cms $URL/v1/manifests/stable/$BUILD_ID && openssl cms -verify -inform DER -in $TMP/m.cms -CAfile $DATA/keys/root.pem -purpose any -out /dev/null"
sh -c "$FLOOR" 2>"$TMP/floor.err"
grep -q 'Verification successful' "$TMP/floor.err" || { cat "$TMP/floor.err"; echo "floor did not verify" >&2; exit 1; }
manifest_bytes=$(stat -c %s "$TMP/m.cms")
# a warm run sends If-None-Match and must get 304
etag=$(curl -s -D - -o /dev/null "$URL/v1/manifests/stable/$BUILD_ID" | tr -d '\r' | awk 'tolower($1)=="etag:"{print $2}')
code304=$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$URL/v1/manifests/stable/$BUILD_ID")
cached_files=$(find "$CACHE" -type f | wc -l)
[ "$code304" = 304 ] && [ "$cached_files" -gt 0 ] || { echo "no 304 revalidation possible (code $code304, $cached_files cached files)" >&2; exit 1; }

# ---------------------------------------------------------------- wall time
CHECK_AOT="$LPATCH_AOT check --config $CONFIG"
CHECK_FDD="$LPATCH_FDD check --config $CONFIG"
# diagnostic only: the same AOT check with OpenSSL's default trust locations pointed at nothing, so
# .NET's X509Chain (which on Linux always loads the system store, even in CustomRootTrust mode) has
# no system certificates to parse. Not a recommended setting as-is: HTTPS repositories need a CA.
CHECK_AOT_NOSTORE="SSL_CERT_FILE=/dev/null SSL_CERT_DIR=/nonexistent $CHECK_AOT"
COLD_PREP="rm -rf $CACHE"
log "hyperfine: warm (cache kept, 304), cold (cache emptied before each run, 200), startup only"
hyperfine --style basic --warmup "$WARMUP" --runs "$RUNS" \
    --export-json "$TMP/warm.json" --export-markdown "$TMP/warm.md" \
    -n "lpatch check, Native AOT (warm, 304)" "$CHECK_AOT" \
    -n "lpatch check, framework-dependent (warm, 304)" "$CHECK_FDD" \
    -n "floor: curl + openssl cms -verify (full fetch)" "$FLOOR" \
    -n "diagnostic: lpatch check, Native AOT (warm), no system trust store" "$CHECK_AOT_NOSTORE" >&2
hyperfine --style basic --warmup "$WARMUP" --runs "$RUNS" --prepare "$COLD_PREP" \
    --export-json "$TMP/cold.json" --export-markdown "$TMP/cold.md" \
    -n "lpatch check, Native AOT (cold, 200)" "$CHECK_AOT" \
    -n "lpatch check, framework-dependent (cold, 200)" "$CHECK_FDD" >&2
# what part of the time is just starting the process (no config, no network, no crypto)
hyperfine --style basic --warmup "$WARMUP" --runs "$RUNS" \
    --export-json "$TMP/startup.json" --export-markdown "$TMP/startup.md" \
    -n "lpatch --version, Native AOT" "$LPATCH_AOT --version" \
    -n "lpatch --version, framework-dependent" "$LPATCH_FDD --version" \
    -n "curl alone (full fetch)" "curl -s -o $TMP/m2.cms $URL/v1/manifests/stable/$BUILD_ID" \
    -n "openssl cms -verify alone" "openssl cms -verify -inform DER -in $TMP/m.cms -CAfile $DATA/keys/root.pem -purpose any -out /dev/null" >&2
"$LPATCH_AOT" check --config "$CONFIG" >/dev/null   # leave the cache warm again

# ---------------------------------------------------------------- peak RSS
# GNU time's %M is the child's ru_maxrss in KiB; for `sh -c "a && b"` that is the largest of sh, a, b.
median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print int((a[NR/2]+a[NR/2+1])/2)}'; }
rss() { # rss PREPARE COMMAND -> median KiB of RSS_RUNS runs
    local prep=$1 cmd=$2 f=$TMP/rss.txt
    : >"$f"
    for _ in $(seq 1 "$RSS_RUNS"); do
        [ -n "$prep" ] && sh -c "$prep"
        /usr/bin/time -f %M -a -o "$f" sh -c "$cmd" >/dev/null 2>&1
    done
    median <"$f"
}
log "peak RSS, median of $RSS_RUNS runs each"
rss_aot_warm=$(rss "" "$CHECK_AOT")
rss_fdd_warm=$(rss "" "$CHECK_FDD")
rss_aot_cold=$(rss "$COLD_PREP" "$CHECK_AOT")
rss_fdd_cold=$(rss "$COLD_PREP" "$CHECK_FDD")
rss_floor=$(rss "" "$FLOOR")
rss_aot_nostore=$(rss "" "$CHECK_AOT_NOSTORE")
rss_aot_version=$(rss "" "$LPATCH_AOT --version")
rss_fdd_version=$(rss "" "$LPATCH_FDD --version")
"$LPATCH_AOT" check --config "$CONFIG" >/dev/null

load_after=$(cut -d' ' -f1-3 /proc/loadavg)
t_total=$(( $(date +%s) - t_start ))

# ---------------------------------------------------------------- results.md
ms() { jq -r --arg n "$2" '.results[] | select(.command == $n) | .'"$3"' * 1000 | . * 10 | round / 10' "$1"; }
mean_of() { ms "$1" "$2" mean; }
sd_of() { ms "$1" "$2" stddev; }
mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

N_AOT_W="lpatch check, Native AOT (warm, 304)"
N_FDD_W="lpatch check, framework-dependent (warm, 304)"
N_FLOOR="floor: curl + openssl cms -verify (full fetch)"
N_AOT_C="lpatch check, Native AOT (cold, 200)"
N_NOSTORE="diagnostic: lpatch check, Native AOT (warm), no system trust store"
N_FDD_C="lpatch check, framework-dependent (cold, 200)"
floor_mean=$(mean_of "$TMP/warm.json" "$N_FLOOR")
ratio() { awk -v a="$1" -v b="$floor_mean" 'BEGIN { printf "%.2f", a / b }'; }
verdict_time() { awk -v a="$1" -v b="$floor_mean" 'BEGIN { r = a / b; if (r <= 1.5) printf "holds (%.2f× ≤ 1.5×)", r; else printf "**missed** by %.1f ms (%.2f× vs 1.5×; the target would be ≤ %.1f ms)", a - 1.5 * b, r, 1.5 * b }'; }
verdict_rss() { awk -v k="$1" 'BEGIN { m = k / 1024; if (m < 40) printf "holds (%.1f MiB < 40 MB)", m; else printf "**missed** by %.1f MiB (%.1f MiB)", m - 40, m }'; }

aot_w=$(mean_of "$TMP/warm.json" "$N_AOT_W"); aot_c=$(mean_of "$TMP/cold.json" "$N_AOT_C")
fdd_w=$(mean_of "$TMP/warm.json" "$N_FDD_W"); fdd_c=$(mean_of "$TMP/cold.json" "$N_FDD_C")

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
mem=$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
sdk=$(dotnet --version)
runtime=$(dotnet --list-runtimes | awk '/Microsoft.NETCore.App/ { v = $2 } END { print v }')
aot_props=$(grep -hoE '<(InvariantGlobalization|PublishReadyToRun|PublishTrimmed|TieredPGO|OptimizationPreference|IlcOptimizationPreference|UseSystemResourceKeys|StackTraceSupport)>[^<]*' Directory.Build.props src/LivePatch.Cli/LivePatch.Cli.csproj | sed 's/^<//; s/>/=/' | paste -sd, - || true)
commit=$(git rev-parse --short HEAD)

analysis=
if [ -f "$RESULTS" ] && grep -q '^<!-- ANALYSIS' "$RESULTS"; then
    analysis=$(sed -n '/^<!-- ANALYSIS/,$p' "$RESULTS" | tail -n +2)
fi

{
cat <<MD
# Client benchmark results

Generated by \`bench/client/run.sh\` on $(date -u +%Y-%m-%dT%H:%MZ) at commit \`$commit\`
(whole run ${t_total} s including builds). Not part of CI. See [README.md](README.md).

## Machine

| | |
|---|---|
| nproc | $(nproc) (shared with other work on this machine) |
| CPU | $cpu |
| memory | $mem |
| kernel | $(uname -r) |
| .NET SDK / runtime | $sdk / $runtime |
| load average (1/5/15 min) before → after | $load_before → $load_after |
| Native AOT \`lpatch\` size | $aot_size bytes ($(mb $((aot_size / 1024))) MiB) |
| framework-dependent publish folder | $fdd_size bytes (plus the shared .NET runtime) |
| manifest size (DER CMS) | $manifest_bytes bytes |

The load average shows the 2 cores were shared with other builds and tests while this ran: absolute
times are noisy; the side-by-side ratios within one run are the meaningful part.

## How the binaries were built

- AOT: \`dotnet publish src/LivePatch.Cli -c Release -r linux-x64 -p:PublishAot=true ${linker[*]} -o \$TMP/aot\`.
  Native AOT implies full trimming (ILLink, \`TrimMode=full\`) and no JIT at run time. ReadyToRun does
  not apply (it is for JIT-based deployments; AOT compiles everything ahead of time anyway).
  Build properties from \`Directory.Build.props\` / \`LivePatch.Cli.csproj\`: ${aot_props:-none}, \`IsAotCompatible=true\`.
  Invariant globalization is on (no ICU loaded). No size/speed preference, stack-trace or resource-key
  switches are set, so the defaults apply.
- Framework-dependent: \`dotnet publish src/LivePatch.Cli -c Release -o \$TMP/fdd\`, run as \`dotnet lpatch.dll\`.
  Not ReadyToRun (\`PublishReadyToRun\` is not set): the app's own IL and its packages (System.CommandLine,
  Refit, Microsoft.Extensions.Http.Resilience/Polly, …) are JIT-compiled at every start; the shared
  framework itself ships ReadyToRun. Tiered compilation default.
- Server: \`dotnet publish src/LivePatch.Server -c Release\`, run framework-dependent with
  \`ASPNETCORE_ENVIRONMENT=Development\` and \`LivePatch__ModuleKeyring__0=tests/fixtures/keys/rsa2048.pem\`,
  on \`127.0.0.1\` (free port), fresh data folder. One module published
  (\`lp_sample.rsa2048-sha256.ko\` for build ID \`$BUILD_ID\`) with the AOT \`lpatch publish\`.

## Commands

\`client.json\` (paths in a temp folder): one repository (the local server), \`stable\`,
\`trustedRoots\` = the server's \`keys/root.pem\`, \`moduleKeyring\` = \`tests/fixtures/keys/rsa2048.pem\`,
\`stage\` loader, \`kernelNotesPath\` = \`tests/fixtures/notes/sys-kernel-notes.bin\`,
\`kernelReleasePath\` = a file with \`$RELEASE\`, state and cache in temp folders, \`randomDelay\` 0.
\`lpatch check\` reports \`would-apply\` (level 1) on every run.

| variant | command |
|---|---|
| (a) AOT | \`lpatch check --config client.json\` |
| (b) framework-dependent | \`dotnet lpatch.dll check --config client.json\` |
| (c) floor | \`curl -s -o m.cms URL/v1/manifests/stable/<id> && openssl cms -verify -inform DER -in m.cms -CAfile root.pem -purpose any -out /dev/null\` (one \`sh -c\`) |

- warm: the cache is kept, so lpatch sends \`If-None-Match\`, gets 304 and verifies the cached manifest again in full.
- cold: \`hyperfine --prepare 'rm -rf CACHE'\`: lpatch fetches the whole manifest (200), like the floor always does.
- wall time: \`hyperfine --warmup $WARMUP --runs $RUNS\` (default shell; hyperfine subtracts the shell's spawn time).
- peak RSS: \`/usr/bin/time -f %M sh -c 'CMD'\`, median of $RSS_RUNS runs (ru_maxrss: for the floor the largest of sh/curl/openssl).

## Results

| variant | mean wall time (ms) | stddev (ms) | peak RSS (MiB, median) | ÷ floor (wall) |
|---|---:|---:|---:|---:|
| (a) lpatch check, Native AOT, warm (304) | $aot_w | $(sd_of "$TMP/warm.json" "$N_AOT_W") | $(mb "$rss_aot_warm") | $(ratio "$aot_w") |
| (a) lpatch check, Native AOT, cold (200) | $aot_c | $(sd_of "$TMP/cold.json" "$N_AOT_C") | $(mb "$rss_aot_cold") | $(ratio "$aot_c") |
| (b) dotnet lpatch.dll check, warm (304) | $fdd_w | $(sd_of "$TMP/warm.json" "$N_FDD_W") | $(mb "$rss_fdd_warm") | $(ratio "$fdd_w") |
| (b) dotnet lpatch.dll check, cold (200) | $fdd_c | $(sd_of "$TMP/cold.json" "$N_FDD_C") | $(mb "$rss_fdd_cold") | $(ratio "$fdd_c") |
| (c) floor: curl + openssl cms -verify | $floor_mean | $(sd_of "$TMP/warm.json" "$N_FLOOR") | $(mb "$rss_floor") | 1.00 |
| diagnostic: (a) warm with \`SSL_CERT_FILE=/dev/null SSL_CERT_DIR=/nonexistent\` | $(mean_of "$TMP/warm.json" "$N_NOSTORE") | $(sd_of "$TMP/warm.json" "$N_NOSTORE") | $(mb "$rss_aot_nostore") | $(ratio "$(mean_of "$TMP/warm.json" "$N_NOSTORE")") |

Startup alone and the floor's two halves (same run):

| command | mean (ms) | stddev (ms) | peak RSS (MiB, median) |
|---|---:|---:|---:|
| \`lpatch --version\`, Native AOT | $(mean_of "$TMP/startup.json" "lpatch --version, Native AOT") | $(sd_of "$TMP/startup.json" "lpatch --version, Native AOT") | $(mb "$rss_aot_version") |
| \`dotnet lpatch.dll --version\` | $(mean_of "$TMP/startup.json" "lpatch --version, framework-dependent") | $(sd_of "$TMP/startup.json" "lpatch --version, framework-dependent") | $(mb "$rss_fdd_version") |
| curl alone | $(mean_of "$TMP/startup.json" "curl alone (full fetch)") | $(sd_of "$TMP/startup.json" "curl alone (full fetch)") | |
| openssl cms -verify alone | $(mean_of "$TMP/startup.json" "openssl cms -verify alone") | $(sd_of "$TMP/startup.json" "openssl cms -verify alone") | |

## Targets (Native AOT lpatch)

| target | warm (304) | cold (200) |
|---|---|---|
| wall time within 1.5× the floor | $(verdict_time "$aot_w") | $(verdict_time "$aot_c") |
| peak RSS under 40 MB | $(verdict_rss "$rss_aot_warm") | $(verdict_rss "$rss_aot_cold") |

For comparison the framework-dependent build is $(ratio "$fdd_w")× (warm) / $(ratio "$fdd_c")× (cold) the floor
at $(mb "$rss_fdd_warm") / $(mb "$rss_fdd_cold") MiB peak RSS.

### hyperfine output (markdown export)

$(cat "$TMP/warm.md")

$(cat "$TMP/cold.md")

$(cat "$TMP/startup.md")

<!-- ANALYSIS: written by hand; run.sh keeps everything below this line -->
MD
printf '%s\n' "$analysis"
} >"$RESULTS.tmp"
mv "$RESULTS.tmp" "$RESULTS"
log "wrote $RESULTS (${t_total} s)"
