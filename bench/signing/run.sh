#!/usr/bin/env bash
# Signing benchmark: how many manifests per second the server can sign on one core, next to OpenSSL's raw ECDSA P-256
# signing rate on the same core, in the same run (the publish-rate target is >= 0.15x `openssl speed ecdsap256`, and
# re-signing 100,000 kernels within 30 s).
#
#   bench/signing/run.sh
#
# Builds bench/signing (Release), runs it pinned to one core with taskset (openssl speed, started by it, inherits the
# pinning) and writes its section of bench/results.md between the lines <!-- signing:begin --> and
# <!-- signing:end -->. The section sits below <!-- analysis -->, so bench/run.sh keeps it when it rewrites the file;
# hand-written notes go after <!-- signing:end -->, which this script leaves alone.
# Not part of CI. Starts no server and opens no port; every loop is bounded by time or count.
#
# Settings (environment): SECONDS_PER_CASE=3 ROUNDS=3 KERNELS=100000 CPU=0 RESULTS=bench/results.md
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SECONDS_PER_CASE=${SECONDS_PER_CASE:-3}
ROUNDS=${ROUNDS:-3}
KERNELS=${KERNELS:-100000}
CPU=${CPU:-0}
RESULTS=${RESULTS:-$REPO/bench/results.md}
DLL=$REPO/bench/signing/bin/Release/net10.0/SigningBench.dll

for v in SECONDS_PER_CASE ROUNDS KERNELS CPU; do
  [[ ${!v} =~ ^[0-9]+$ ]] || { echo "$v must be a number" >&2; exit 2; }
done
[ "$ROUNDS" -ge 1 ] && [ "$ROUNDS" -le 20 ] || { echo "ROUNDS must be 1..20" >&2; exit 2; }
[ "$KERNELS" -le 1000000 ] || { echo "KERNELS must be at most 1,000,000" >&2; exit 2; }
command -v openssl >/dev/null || { echo "needs openssl (apt-get install openssl)" >&2; exit 1; }

PIN=()
if command -v taskset >/dev/null; then PIN=(taskset -c "$CPU"); fi
WORK=$(mktemp -d /tmp/livepatch-signing.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

echo "building bench/signing (Release)" >&2
dotnet build "$REPO/bench/signing/SigningBench.csproj" -c Release -v quiet -nologo >"$WORK/build.log" 2>&1 \
  || { cat "$WORK/build.log" >&2; exit 1; }

START=$(date +%s)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
ARGS=(--seconds "$SECONDS_PER_CASE" --rounds "$ROUNDS" --kernels "$KERNELS")
"${PIN[@]}" dotnet "$DLL" "${ARGS[@]}" >"$WORK/tables.md"
ELAPSED=$(($(date +%s) - START))
BUILT_FROM="$(git -C "$REPO" rev-parse --short HEAD)$(git -C "$REPO" diff --quiet HEAD -- src bench/signing || echo ' plus uncommitted changes')"

{
  echo '<!-- signing:begin -->'
  cat <<EOF
## Signing rate: manifests per second on one core, against \`openssl speed\`

Written by \`bench/signing/run.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC') (run took $ELAPSED s), built from \`$BUILT_FROM\`.
Targets: publishing signs at **≥ 0.15×** this machine's own \`openssl speed ecdsap256\` signing rate, and re-signs
**100,000 kernels in ≤ 30 s** on one core.

| | |
|---|---|
| cores (\`nproc\`) | $(nproc) |
| CPU | $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//') |
| kernel | $(uname -sr) |
| .NET | SDK $(dotnet --version) |
| OpenSSL | $(openssl version) |
| pinning | ${PIN[*]:-none (no taskset)} |
| load average at start / end | $LOAD_START / $(cut -d' ' -f1-3 /proc/loadavg) |

Commands:

\`\`\`sh
dotnet build bench/signing/SigningBench.csproj -c Release
${PIN[*]} dotnet bench/signing/bin/Release/net10.0/SigningBench.dll ${ARGS[*]}
#   which runs, in each round: openssl speed -seconds $SECONDS_PER_CASE ecdsap256, then each .NET case for $SECONDS_PER_CASE s
\`\`\`

Each round runs every case back to back (the order alternates between rounds); ratios are the median of the per-round
ratios, so the drift of a shared machine between rounds cancels. Rates are compared **per CPU second**: \`openssl speed\`
divides its count by the user CPU time it used (it does without \`-elapsed\`), the .NET cases by the process's CPU time
(user + system, so the runtime's own threads count against them). On a shared machine that moves much less with other
load than signatures per wall-clock second, which are shown too.

EOF
  cat "$WORK/tables.md"
  echo '<!-- signing:end -->'
} >"$WORK/section.md"

if [ -f "$RESULTS" ] && grep -q '^<!-- signing:begin -->' "$RESULTS"; then
  awk -v section="$WORK/section.md" '
    /^<!-- signing:begin -->/ { while ((getline line < section) > 0) print line; skip = 1; next }
    /^<!-- signing:end -->/ { skip = 0; next }
    !skip { print }' "$RESULTS" >"$WORK/results.md"
else
  { if [ -f "$RESULTS" ]; then cat "$RESULTS"; echo; fi; cat "$WORK/section.md"; } >"$WORK/results.md"
fi
cp "$WORK/results.md" "$RESULTS"
echo "done: $RESULTS" >&2
