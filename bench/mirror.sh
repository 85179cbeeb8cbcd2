#!/usr/bin/env bash
# Mirror benchmark (issue 13): what `lpatch mirror sync` costs on a 10,000-kernel repository, next to wget fetching the same
# tree from the same server in the same run. One run measures:
#   1. full sync of the tree into a fresh folder: lpatch (Native AOT, and the Release JIT build) against
#      `wget -x -nH -i URLS` (the same files, one keep-alive connection, no verification), ROUNDS rounds, alternating order
#   2. incremental sync after one more kernel is published (a new manifest, bin, blob and the index), and a no-change sync
#   3. export/import of the whole tree as a bundle (`lpatch mirror export` / `lpatch mirror import`, then diff -r against the
#      full sync): skipped, with a line saying so, when this lpatch has no `mirror export`
# Writes bench/mirror-results.md. Not part of CI. Everything talks to 127.0.0.1 only; every loop is bounded.
#
#   bench/mirror.sh                       N=10000 ROUNDS=3: about 6-10 minutes on 2 cores (with the Native AOT build)
#   N=2000 ROUNDS=1 AOT=0 bench/mirror.sh a quick look
#
# Settings (environment): N=10000 ROUNDS=3 AOT=1 (0: only the Release JIT lpatch, no Native AOT publish) JIT=1 (0: not the
#   JIT lpatch, when there is an AOT one) START_TIMEOUT=120
#   SYNC_TIMEOUT=1800 RESULTS=bench/mirror-results.md; KEEP_ON_FAILURE=1 keeps the temp folder of a failed run.
set -euo pipefail
umask 022

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=$REPO/bench
N=${N:-10000}
ROUNDS=${ROUNDS:-3}
AOT=${AOT:-1}
JIT=${JIT:-1}
START_TIMEOUT=${START_TIMEOUT:-120}
SYNC_TIMEOUT=${SYNC_TIMEOUT:-1800}
RESULTS=${RESULTS:-$BENCH/mirror-results.md}
MODULE=$REPO/tests/fixtures/modules/lp_sample.ko
START=$(date +%s)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

# shellcheck source=bench/lib.sh
. "$BENCH/lib.sh"

[[ $N =~ ^[0-9]+$ ]] && [ "$N" -ge 1100 ] && [ "$N" -le 100000 ] || { echo "N must be from 1100 to 100000" >&2; exit 2; }
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] && [ "$ROUNDS" -le 20 ] || { echo "ROUNDS must be 1..20" >&2; exit 2; }
[[ $AOT =~ ^[01]$ ]] && [[ $JIT =~ ^[01]$ ]] && [ "$AOT$JIT" != 00 ] || { echo "AOT and JIT must be 0 or 1, not both 0" >&2; exit 2; }

# ---------------------------------------------------------------- clean-up: only what this script started
WORK=$(mktemp -d /tmp/livepatch-mirror-bench.XXXXXX)
DATA=$WORK/data
SERVER_PID="" SHM=""
cleanup() {
  local rc=$?
  stop_pid "$SERVER_PID"
  SERVER_PID=""
  [ -z "$SHM" ] || rm -rf "$SHM"
  if [ "$rc" -ne 0 ] && [ -f "$WORK/server.log" ]; then echo "--- last lines of the server log:" >&2; tail -5 "$WORK/server.log" >&2; fi
  if [ "$rc" -ne 0 ] && [ -n "${KEEP_ON_FAILURE:-}" ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- tools and builds
install_missing wget=wget curl=curl jq=jq objcopy=binutils diff=diffutils
command -v dotnet >/dev/null || die "the .NET 10 SDK (dotnet) is required"
pin_cores
log "building the server and the CLI (Release)"
build_release "$WORK"
COMMANDS=$WORK/commands.txt
: >"$COMMANDS"
cmd() { printf '%s\n' "$*" >>"$COMMANDS"; } # the exact commands, for the results file
now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"%.${2:-2}f\", ($1) }"; }
verdict() { if awk "BEGIN { exit !($1) }"; then echo "met"; else echo "NOT met"; fi; }

# The clients compared: lpatch as hosts run it (Native AOT, the publish command of .ci/run), lpatch on the JIT (the Release
# build, `dotnet lpatch.dll`: adds runtime start-up and JIT), and wget.
declare -A LPATCH
LPATCH[jit]="dotnet $CLI_DLL"
SIDES=(aot jit wget)
AOT_NOTE=""
if [ "$AOT" = 1 ]; then
  linker=()
  command -v clang >/dev/null || linker=(-p:CppCompilerAndLinker=clang-14)
  log "publishing lpatch as Native AOT (as .ci/run does; a few minutes the first time)"
  if (cd "$REPO" && timeout 1800 dotnet publish src/LivePatch.Cli -c Release -r linux-x64 -p:PublishAot=true "${linker[@]}" \
      -o "$REPO/artifacts/lpatch-aot" >"$WORK/build-aot.log" 2>&1); then
    LPATCH[aot]=$REPO/artifacts/lpatch-aot/lpatch
    cmd "dotnet publish src/LivePatch.Cli -c Release -r linux-x64 -p:PublishAot=true ${linker[*]} -o artifacts/lpatch-aot"
  else
    tail -5 "$WORK/build-aot.log" >&2
    AOT_NOTE="The Native AOT publish failed on this machine (see the build log); only the JIT build was measured."
    log "   Native AOT publish failed: measuring the JIT build only"
    SIDES=(jit wget)
  fi
else
  AOT_NOTE="AOT=0: only the Release JIT build of lpatch was measured."
  SIDES=(jit wget)
fi
if [ "$JIT" = 0 ] && [ "${SIDES[0]}" = aot ]; then SIDES=(aot wget); AOT_NOTE="${AOT_NOTE:+$AOT_NOTE }JIT=0: the Release JIT build of lpatch was not measured."; fi
LP_SIDES=()
for s in "${SIDES[@]}"; do [ "$s" = wget ] || LP_SIDES+=("$s"); done
# the tmpfs profile side, when there is an AOT lpatch and /dev/shm has room for the tree (a few tens of MB)
if [ -n "${LPATCH[aot]:-}" ] && [ -d /dev/shm ] && [ "$(df -Pk /dev/shm | awk 'NR == 2 { print $4 }')" -gt 1048576 ]; then
  SHM=$(mktemp -d /dev/shm/livepatch-mirror-bench.XXXXXX)
  SIDES+=(shm)
fi
side_name() { case $1 in aot) echo "lpatch (Native AOT)";; jit) echo "lpatch (Release, JIT: \`dotnet lpatch.dll\`)";; wget) echo "wget";;
  shm) echo "lpatch (Native AOT), target and staging on tmpfs (profile)";; esac; }
MAIN=${LP_SIDES[0]} # the lpatch the targets are read from: AOT when there is one
lpatch() { local side=$1; shift; ${LPATCH[$side]} "$@"; } # word-split on purpose: "dotnet …/lpatch.dll" or one path

# ---------------------------------------------------------------- server
start_server() {
  local port
  port=$(free_port)
  BASE=http://127.0.0.1:$port
  ASPNETCORE_ENVIRONMENT=Production DOTNET_CLI_TELEMETRY_OPTOUT=1 LivePatch__DataDirectory=$DATA LivePatch__Channels__0=stable \
    LivePatch__Signing__Certificate=$DATA/keys/manifest-signing.pem LivePatch__Signing__Key=$DATA/keys/manifest-signing.key \
    LivePatch__Signing__Roots__0=$DATA/keys/root.pem LivePatch__ModuleKeyring__0=$DATA/keys/module-signing.pem \
    "${PIN_SUT[@]}" dotnet "$SERVER_DLL" --urls "$BASE" >"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  wait_http "$BASE/healthz" "$START_TIMEOUT" "$SERVER_PID" || die "server did not answer within $START_TIMEOUT s"
  log "server on $BASE (pid $SERVER_PID)"
  cmd "ASPNETCORE_ENVIRONMENT=Production LivePatch__DataDirectory=\$DATA LivePatch__Channels__0=stable LivePatch__Signing__Certificate=\$DATA/keys/manifest-signing.pem LivePatch__Signing__Key=\$DATA/keys/manifest-signing.key LivePatch__Signing__Roots__0=\$DATA/keys/root.pem LivePatch__ModuleKeyring__0=\$DATA/keys/module-signing.pem ${PIN_SUT[*]} dotnet $SERVER_DLL --urls $BASE"
}

random_ids() { # random_ids COUNT FILE: distinct random 40-hex build IDs
  head -c $(($1 * 20)) /dev/urandom | od -An -v -tx1 -w20 | tr -d ' ' >"$2"
  [ "$(sort -u "$2" | wc -l)" -eq "$1" ] || die "random build IDs not distinct"
}

# variant NAME PAD_BYTES: the fixture module with PAD_BYTES of random bytes in an extra section, signed: a distinct blob
variant() {
  local name=$1 pad=$2 src=$MODULE
  if [ "$pad" -gt 0 ]; then
    head -c "$pad" /dev/urandom >"$WORK/$name.pad"
    objcopy --add-section .bench_pad="$WORK/$name.pad" --set-section-flags .bench_pad=noload,readonly "$MODULE" "$WORK/$name.raw.ko"
    src=$WORK/$name.raw.ko
  fi
  timeout 120 dotnet "$CLI_DLL" module sign "$src" --key "$DATA/keys/module-signing.key" --cert "$DATA/keys/module-signing.pem" \
    --out "$WORK/$name.ko" >/dev/null || die "module sign ($name)"
}

# publish MODULE IDS_FILE: one request per 10,000 build IDs (the server's limit), repeated buildId fields (curl -K)
publish() {
  local module=$1 ids=$2 part code
  split -l 10000 -d -a 3 "$ids" "$ids.part."
  for part in "$ids".part.*; do
    sed 's/.*/form = "buildId=&"/' "$part" >"$part.cfg"
    code=$(curl -s -o "$part.json" -w '%{http_code}' --max-time 1800 -K "$part.cfg" -H "Authorization: Bearer $KEY" \
      -F "module=@$module" "$BASE/v1/patches") || die "publish request failed"
    [ "$code" = 201 ] || { head -c 500 "$part.json" >&2; die "publish answered $code"; }
  done
}

# timed LABEL COMMAND…: runs it (output to $WORK/LABEL.out/.err); appends "LABEL wall user sys server_cpu" to $WORK/times.txt
timed() {
  local label=$1 t0 t1 c0 c1 rc=0 tf=$WORK/$1.time
  shift
  c0=$(cpu_ticks "$SERVER_PID")
  t0=$(now)
  { TIMEFORMAT='%U %S'; time "$@" >"$WORK/$label.out" 2>"$WORK/$label.err"; } 2>"$tf" || rc=$?
  t1=$(now)
  c1=$(cpu_ticks "$SERVER_PID")
  [ "$rc" = 0 ] || { cat "$WORK/$label.err" >&2; die "$label exited $rc"; }
  LAST="$label $(calc "$t1 - $t0" 3) $(cat "$tf") $(calc "($c1 - $c0) / $(getconf CLK_TCK)" 2)"
  echo "$LAST" >>"$WORK/times.txt"
}

# sync_side SIDE DIR: one sync (or wget) of the whole tree into DIR, pinned with the load generators. Side "shm" is the
# Native AOT lpatch with its target and its staging folder (TMPDIR) on tmpfs (/dev/shm): no disk, fsync nearly free, so
# its difference from "aot" is what the disk costs (a profile, not a compared side).
sync_side() {
  local side=$1 dir=$2
  if [ "$side" = shm ]; then
    TMPDIR=$SHM "${PIN_WRK[@]}" timeout "$SYNC_TIMEOUT" "${LPATCH[aot]}" mirror sync --from "$BASE" --to "$SHM/tree" --root "$DATA/keys/root.pem"
  elif [ "$side" = wget ]; then
    "${PIN_WRK[@]}" timeout "$SYNC_TIMEOUT" wget -q -x -nH -P "$dir" -i "$WORK/urls.txt"
  else
    # shellcheck disable=SC2086
    "${PIN_WRK[@]}" timeout "$SYNC_TIMEOUT" ${LPATCH[$side]} mirror sync --from "$BASE" --to "$dir" --root "$DATA/keys/root.pem"
  fi
}

tree_kind() { # tree_kind DIR SUBPATH: "files bytes" under DIR/SUBPATH
  find "$1/$2" -type f -printf "%s\n" 2>/dev/null | awk '{ n++; b += $1 } END { printf "%d %d", n, b }'
}

# ================================================================ the repository
mkdir -p "$DATA"
timeout 120 dotnet "$CLI_DLL" keys init --out "$DATA/keys" >/dev/null || die "keys init"
cmd "dotnet $CLI_DLL keys init --out \$DATA/keys"
start_server
KEY=$(cat "$DATA/admin-api-key")

# Four blobs: the fixture module (7.6 KB) for most kernels, and three padded variants (+64 KiB, +256 KiB, +1 MiB) for 1,000,
# 10 and 1 kernels; later one more variant (+16 KiB) per incremental round, each for one new kernel.
N_SMALL=$((N - 1011))
random_ids "$((N + ROUNDS))" "$WORK/all-ids.txt"
head -n "$N_SMALL" "$WORK/all-ids.txt" >"$WORK/ids-small.txt"
sed -n "$((N_SMALL + 1)),$((N_SMALL + 1000))p" "$WORK/all-ids.txt" >"$WORK/ids-64k.txt"
sed -n "$((N_SMALL + 1001)),$((N_SMALL + 1010))p" "$WORK/all-ids.txt" >"$WORK/ids-256k.txt"
sed -n "$((N_SMALL + 1011))p" "$WORK/all-ids.txt" >"$WORK/ids-1m.txt"
sed -n "$((N + 1)),$((N + ROUNDS))p" "$WORK/all-ids.txt" >"$WORK/ids-incremental.txt"
log "signing the module and its variants"
variant small 0
variant m64k 65536
variant m256k 262144
variant m1m 1048576
for r in $(seq 1 "$ROUNDS"); do variant "inc$r" 16384; done
cmd "dotnet $CLI_DLL module sign MODULE --key \$DATA/keys/module-signing.key --cert \$DATA/keys/module-signing.pem --out VARIANT.ko   # $MODULE, and copies with a random .bench_pad section of 64 KiB, 256 KiB, 1 MiB, 16 KiB (objcopy --add-section)"

log "publishing $N kernels: $N_SMALL + 1000 + 10 + 1 for four modules (at most 10,000 build IDs per request)"
T0=$(now)
publish "$WORK/small.ko" "$WORK/ids-small.txt"
publish "$WORK/m64k.ko" "$WORK/ids-64k.txt"
publish "$WORK/m256k.ko" "$WORK/ids-256k.txt"
publish "$WORK/m1m.ko" "$WORK/ids-1m.txt"
PUBLISH_S=$(calc "$(now) - $T0" 1)
log "   published in $PUBLISH_S s"
cmd "curl -K ids.part.NNN.cfg -H \"Authorization: Bearer \$KEY\" -F module=@VARIANT.ko $BASE/v1/patches   # one request per module and 10,000 IDs, lines 'form = \"buildId=…\"'"

# ================================================================ warm-up: one untimed sync, the URL list for wget
: >"$WORK/times.txt"
log "warm-up: one untimed lpatch sync (the reference tree, and the URL list wget is given)"
timed warmup sync_side "$MAIN" "$WORK/ref"
(cd "$WORK/ref" && find v1 -type f | sort) >"$WORK/paths.txt"
sed "s#^#$BASE/#" "$WORK/paths.txt" >"$WORK/urls.txt"
TREE_FILES=$(wc -l <"$WORK/paths.txt")
read -r IDX_N IDX_B <<<"$(tree_kind "$WORK/ref" v1/index)"
read -r BIN_N BIN_B <<<"$(tree_kind "$WORK/ref" v1/coverage)"
read -r MAN_N MAN_B <<<"$(tree_kind "$WORK/ref" v1/manifests)"
read -r BLOB_N BLOB_B <<<"$(tree_kind "$WORK/ref" v1/blobs)"
TREE_BYTES=$((IDX_B + BIN_B + MAN_B + BLOB_B))
DOCS=$((IDX_N + BIN_N + MAN_N))
log "   tree: $TREE_FILES files, $TREE_BYTES bytes ($DOCS signed documents, $BLOB_N blobs); warm-up: $(cut -d' ' -f2 <<<"$LAST") s"
# wget is measured a first time too (untimed), so both have met the server once before the rounds
sync_side wget "$WORK/wget-warm" || die "wget warm-up"
# (the folders' lock file, .lpatch-mirror.lock, is no part of the tree: wget has none)
diff -r -x .lpatch-mirror.lock "$WORK/ref" "$WORK/wget-warm" >/dev/null || die "wget's tree differs from lpatch's"

# ================================================================ 1. full sync, ROUNDS rounds, alternating order
# No tree is deleted until every round has run: each side syncs into a folder of its own per round. On ext4 without a
# journal (this machine's root file system), creating files shortly after thousands were deleted is much dearer: the
# inode allocator skips inodes freed within the last minute (five when their table block is not yet written back),
# reading each one's table entry. A side that ran right after another's old tree was removed paid for that removal
# (measured: wget 5.6 s just after an rm -rf of a 10,000-file tree, 3.3 s without one).
: >"$WORK/full.txt"
for r in $(seq 1 "$ROUNDS"); do
  # rotate the order each round, so no side is always first after the previous one's writes
  order=()
  n=${#SIDES[@]}
  for i in $(seq 0 $((n - 1))); do order+=("${SIDES[$(((i + r - 1) % n))]}"); done
  log "full sync, round $r/$ROUNDS: ${order[*]}"
  for side in "${order[@]}"; do
    [ "$side" != shm ] || { rm -rf "$SHM/tree"; mkdir -p "$SHM/tree"; ln -sfn "$SHM/tree" "$WORK/full-shm-$r"; }
    sync 2>/dev/null || true # the previous side's dirty pages are not this side's writeback
    timed "full-$side-$r" sync_side "$side" "$WORK/full-$side-$r"
    echo "$r $side $LAST $(loadavg)" >>"$WORK/full.txt"
    log "   $side: $(cut -d' ' -f2 <<<"$LAST") s wall, $(cut -d' ' -f3 <<<"$LAST") s user, $(cut -d' ' -f4 <<<"$LAST") s sys (server CPU $(cut -d' ' -f5 <<<"$LAST") s)"
  done
done
cmd "${PIN_WRK[*]} ${LPATCH[$MAIN]} mirror sync --from $BASE --to DIR --root \$DATA/keys/root.pem   # into a fresh DIR each round$( [ "${SIDES[1]}" = jit ] && echo "; the same with 'dotnet $CLI_DLL'")"
cmd "${PIN_WRK[*]} wget -q -x -nH -P DIR -i urls.txt   # urls.txt: $BASE/PATH for every file of the synced tree ($TREE_FILES)"
# Each side's last tree is where its incremental syncs start; the others stay until the end (the clean-up removes them), so
# that no deletion makes the export and import below dearer either.
for side in "${SIDES[@]}"; do mv -T "$WORK/full-$side-$ROUNDS" "$WORK/full-$side"; done
SAME_TREES="yes"
for side in "${SIDES[@]}"; do diff -r -x .lpatch-mirror.lock "$WORK/ref" "$WORK/full-$side" >/dev/null || SAME_TREES="NO ($side differs)"; done
cmd "diff -r ref full-SIDE   # every side's last tree against the warm-up's: $SAME_TREES"

# stats SIDE COLUMN: "median min max" of COLUMN (4 wall, 5 user, 6 sys, 7 server CPU) over the rounds
stats() {
  awk -v s="$1" -v c="$2" '$2 == s { print $c }' "$WORK/full.txt" | sort -g | awk '{ v[NR] = $1 }
    END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.2f %.2f %.2f", m, v[1], v[NR] }'
}
med() { stats "$1" "$2" | cut -d' ' -f1; }

# ================================================================ 2. incremental: one more kernel, then a no-change sync
: >"$WORK/inc.txt"
for r in $(seq 1 "$ROUNDS"); do
  id=$(sed -n "${r}p" "$WORK/ids-incremental.txt")
  echo "$id" >"$WORK/inc-$r.txt"
  publish "$WORK/inc$r.ko" "$WORK/inc-$r.txt"
  order=("${LP_SIDES[@]}")
  [ $((r % 2)) = 0 ] && [ ${#order[@]} = 2 ] && order=("${order[1]}" "${order[0]}")
  for side in "${order[@]}"; do
    timed "inc-$side-$r" sync_side "$side" "$WORK/full-$side"
    echo "$r $side one $LAST $(tr '\n' ' ' <"$WORK/inc-$side-$r.out")" >>"$WORK/inc.txt"
    log "incremental round $r, $side, after one publish: $(cut -d' ' -f2 <<<"$LAST") s"
    timed "same-$side-$r" sync_side "$side" "$WORK/full-$side"
    echo "$r $side none $LAST $(tr '\n' ' ' <"$WORK/same-$side-$r.out")" >>"$WORK/inc.txt"
    log "incremental round $r, $side, nothing new: $(cut -d' ' -f2 <<<"$LAST") s"
  done
done
cmd "curl -H \"Authorization: Bearer \$KEY\" -F module=@inc1.ko -F buildId=ID $BASE/v1/patches   # one more kernel, new 16 KiB-padded module; then:"
cmd "${PIN_WRK[*]} ${LPATCH[$MAIN]} mirror sync --from $BASE --to DIR --root \$DATA/keys/root.pem   # into the DIR of the last full sync; then again, nothing new"
incstats() { # incstats SIDE KIND(one|none): "median min max" wall
  awk -v s="$1" -v k="$2" '$2 == s && $3 == k { print $5 }' "$WORK/inc.txt" | sort -g | awk '{ v[NR] = $1 }
    END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.2f %.2f %.2f", m, v[1], v[NR] }'
}
INC_SUMMARY=$(awk -v s="$MAIN" '$2 == s && $3 == "one"' "$WORK/inc.txt" | head -1 | cut -d' ' -f9- | sed 's/ *$//')
SAME_SUMMARY=$(awk -v s="$MAIN" '$2 == s && $3 == "none"' "$WORK/inc.txt" | head -1 | cut -d' ' -f9- | sed 's/ *$//')

# ================================================================ 3. export/import of the bundle
# `lpatch mirror export --from URL --out FILE.tar.zst --root …` (the whole tree, verified, into one bundle) and
# `lpatch mirror import FILE --to DIR --root …` (unpacked and verified again, into a fresh folder), once each; the
# imported folder must be the full sync's folder exactly (which the incremental rounds brought to the same kernels).
# Skipped, with a line in the results, when this lpatch has no `mirror export` (an unknown subcommand's --help prints
# `lpatch mirror`'s help and exits 0, so the check looks for the command's own usage line).
EXPORT_ROW="| export the whole tree to a bundle | — | — | — | skipped: \`lpatch mirror export\` does not exist in this build |"
IMPORT_ROW="| import the bundle into a fresh folder | — | — | — | skipped: \`lpatch mirror import\` does not exist in this build |"
EXPORT_NOTE="Not measured: this build of lpatch has no \`mirror export\` / \`mirror import\` (\`lpatch mirror export --help\` does not show it). The script runs this step once they exist."
bench_export_import() {
  if ! lpatch "$MAIN" mirror export --help 2>&1 | grep -q 'lpatch mirror export'; then
    log "export/import: skipped (lpatch mirror export --help does not show the command: it does not exist in this build)"
    return 0
  fi
  local bundle=$WORK/bundle.tar.zst same kernels ex im
  kernels=$((N + ROUNDS))
  log "export of the whole tree ($kernels kernels) to a bundle, $(side_name "$MAIN")"
  # shellcheck disable=SC2086
  timed "export-$MAIN" "${PIN_WRK[@]}" timeout "$SYNC_TIMEOUT" ${LPATCH[$MAIN]} mirror export --from "$BASE" --out "$bundle" --root "$DATA/keys/root.pem"
  ex=$LAST
  BUNDLE_BYTES=$(stat -c %s "$bundle")
  log "   $(cut -d' ' -f2 <<<"$ex") s, bundle $BUNDLE_BYTES bytes"
  log "import of the bundle into a fresh folder"
  # shellcheck disable=SC2086
  timed "import-$MAIN" "${PIN_WRK[@]}" timeout "$SYNC_TIMEOUT" ${LPATCH[$MAIN]} mirror import "$bundle" --to "$WORK/imported" --root "$DATA/keys/root.pem"
  im=$LAST
  if diff -r "$WORK/full-$MAIN" "$WORK/imported" >"$WORK/import.diff" 2>&1; then same="no difference"; else same="**DIFFERS** ($(wc -l <"$WORK/import.diff") lines of diff)"; fi
  log "   $(cut -d' ' -f2 <<<"$im") s; diff -r against the full sync's folder: $same"
  EXPORT_ROW="| export the whole tree ($kernels kernels) to a bundle | **$(cut -d' ' -f2 <<<"$ex")** | $BUNDLE_BYTES | — | user $(cut -d' ' -f3 <<<"$ex") s, sys $(cut -d' ' -f4 <<<"$ex") s, server CPU $(cut -d' ' -f5 <<<"$ex") s; the tree is $(du -sb "$WORK/full-$MAIN" | cut -f1) bytes of files |"
  IMPORT_ROW="| import the bundle into a fresh folder | **$(cut -d' ' -f2 <<<"$im")** | — | $same | user $(cut -d' ' -f3 <<<"$im") s, sys $(cut -d' ' -f4 <<<"$im") s |"
  EXPORT_NOTE="One export and one import, $(side_name "$MAIN"), after the incremental rounds (so $kernels kernels); the export reads from the server like a sync, the import reads only the bundle. lpatch's output: export \`$(tr '\n' ' ' <"$WORK/export-$MAIN.out" | sed 's/ *$//')\`; import \`$(tr '\n' ' ' <"$WORK/import-$MAIN.out" | sed 's/ *$//')\`."
  cmd "${PIN_WRK[*]} ${LPATCH[$MAIN]} mirror export --from $BASE --out bundle.tar.zst --root \$DATA/keys/root.pem"
  cmd "${PIN_WRK[*]} ${LPATCH[$MAIN]} mirror import bundle.tar.zst --to imported --root \$DATA/keys/root.pem"
  cmd "diff -r full-$MAIN imported   # $same"
}
bench_export_import

# ================================================================ results
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
ELAPSED=$(($(date +%s) - START))
KEEP=$(kept_analysis "$RESULTS")
WGET_MED=$(med wget 4)
MAIN_MED=$(med "$MAIN" 4)
INC_MED=$(incstats "$MAIN" one | cut -d' ' -f1)
SAME_MED=$(incstats "$MAIN" none | cut -d' ' -f1)
{
  cat <<EOF
# Mirror benchmark: \`lpatch mirror sync\` of a $N-kernel repository against wget

Written by \`bench/mirror.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC') (run took $((ELAPSED / 60)) min $((ELAPSED % 60)) s).
Built from commit: \`$BUILT_FROM\`.$( [ -n "$AOT_NOTE" ] && printf '\n%s' "$AOT_NOTE")

## Machine

| | |
|---|---|
$(machine_rows)
| wget | $(wget --version | head -1) |
| pinning | $( [ ${#PIN_SUT[@]} -gt 0 ] && echo "the server on CPU 0, the clients (lpatch, wget) on CPU 1 (taskset)" || echo "$PINNING") |
| load average at start / end | $LOAD_START / $LOAD_END |

The machine is shared with other builds: every number below comes from one run in which the sides alternate, so compare
sides within the run; the CPU seconds (user+sys of the client, and of the server during that sync) move less than wall time.

## The tree

One Release server (Production, keys from \`lpatch keys init\`, one channel \`stable\`, a temp data folder), $N kernels
published in $PUBLISH_S s: $N_SMALL for the fixture module (\`lp_sample.ko\`, signed), 1,000 for a copy with a 64 KiB
section added, 10 for one with 256 KiB, 1 for one with 1 MiB (\`objcopy --add-section\`, signed). The tree a sync copies:

| kind | files | bytes | bytes per file |
|---|---:|---:|---:|
| index (\`v1/index\`) | $IDX_N | $IDX_B | $IDX_B |
| coverage bins (\`v1/coverage/stable/XX\`) | $BIN_N | $BIN_B | $((BIN_B / BIN_N)) |
| manifests (\`v1/manifests/stable/ID\`) | $MAN_N | $MAN_B | $((MAN_B / MAN_N)) |
| blobs (\`v1/blobs/sha256/HEX\`) | $BLOB_N | $BLOB_B | $((BLOB_B / BLOB_N)) |
| **total** | **$TREE_FILES** | **$TREE_BYTES** | $DOCS signed documents |

## Targets

| # | measurement | reference | value (median of $ROUNDS) | target | verdict |
|---|---|---|---|---|---|
| 1 | full sync, $(side_name "$MAIN") | wget: $WGET_MED s | $MAIN_MED s ($(calc "$WGET_MED / $MAIN_MED" 2)× wget's speed) | ≤ wget | $(verdict "$MAIN_MED <= $WGET_MED") |
| 2 | incremental sync after one publish, $(side_name "$MAIN") | — | $INC_MED s | < 2 s | $(verdict "$INC_MED < 2") |
| 2 | no-change sync, $(side_name "$MAIN") | — | $SAME_MED s | — | — |
| 3 | export / import of the whole tree as a bundle | — | see section 3 | — | — |

lpatch verifies every one of the $DOCS signed documents (CMS signature, chain to the pinned root, freshness, identity) and the
size and SHA-256 of every blob before it writes anything, and writes every file durably (per phase: temp files, one syncfs, the
renames, each folder fsynced once). wget verifies nothing, writes without fsync, and is handed the complete URL list (it does not have to discover
the tree through the index and the bins); its tree was checked identical to lpatch's (\`diff -r\`: $SAME_TREES).

## 1. Full sync into a fresh folder

Each round runs every side once, in an order that rotates by one each round, into a folder of its own (no tree is deleted
while the rounds run: see bench/README.md); \`sync\` (flush of dirty pages) before each.
Wall seconds; client CPU = user + sys of the client process tree; server CPU = the server's utime+stime during that run.

| client | median s | min s | max s | files/s (median) | client CPU s (median) | server CPU s (median) |
|---|---:|---:|---:|---:|---:|---:|
EOF
  for side in "${SIDES[@]}"; do
    read -r m lo hi <<<"$(stats "$side" 4)"
    printf '| %s | **%s** | %s | %s | %s | %s | %s |\n' "$(side_name "$side")" "$m" "$lo" "$hi" "$(calc "$TREE_FILES / $m" 0)" \
      "$(calc "$(med "$side" 5) + $(med "$side" 6)" 2)" "$(med "$side" 7)"
  done
  cat <<EOF

Every round:

| round | client | wall s | user s | sys s | server CPU s | load |
|---:|---|---:|---:|---:|---:|---:|
EOF
  awk '{ printf "| %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $4, $5, $6, $7, $8 }' "$WORK/full.txt"
  cat <<EOF

## 2. Incremental sync

Each round publishes one more kernel with a new module (a 16 KiB-padded copy: a new blob), then syncs each lpatch's folder
from the last full sync (changed: one manifest, one bin, one blob, the index), then syncs again with nothing new (only the
index is read from the server, and the bins' sizes from the folder).

| client | after one publish: median s (min-max) | nothing new: median s (min-max) |
|---|---:|---:|
EOF
  for side in "${LP_SIDES[@]}"; do
    read -r m lo hi <<<"$(incstats "$side" one)"
    read -r m2 lo2 hi2 <<<"$(incstats "$side" none)"
    printf '| %s | **%s** (%s-%s) | **%s** (%s-%s) |\n' "$(side_name "$side")" "$m" "$lo" "$hi" "$m2" "$lo2" "$hi2"
  done
  cat <<EOF

Every round (wall, user, sys, server CPU seconds):

| round | client | change | wall s | user s | sys s | server CPU s |
|---:|---|---|---:|---:|---:|---:|
EOF
  awk '{ printf "| %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, ($3 == "one" ? "one publish" : "nothing new"), $5, $6, $7, $8 }' "$WORK/inc.txt"
  cat <<EOF

lpatch's summary line, first round: after one publish \`$INC_SUMMARY\`; nothing new \`$SAME_SUMMARY\`.

## 3. Export and import of the bundle

| step | seconds | bundle bytes | diff -r against the full sync | note |
|---|---:|---:|---|---|
$EXPORT_ROW
$IMPORT_ROW

$EXPORT_NOTE

## Settings

\`N=$N ROUNDS=$ROUNDS AOT=$AOT JIT=$JIT\`. Order of the run: keys, server, module variants, the publishes; one untimed lpatch sync
(the reference tree and wget's URL list) and one untimed wget; $ROUNDS rounds of full syncs; $ROUNDS rounds of incremental and
no-change syncs; export/import when the commands exist.

## Commands

\`\`\`sh
$(cat "$COMMANDS")
\`\`\`
EOF
  if [ -n "$KEEP" ]; then echo; echo "$KEEP"; fi
} >"$RESULTS.tmp"
mv "$RESULTS.tmp" "$RESULTS"
log "done: $RESULTS"
