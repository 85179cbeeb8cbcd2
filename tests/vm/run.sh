#!/usr/bin/env bash
# The VM proof: lpatch live-patches a real, booted Debian kernel under qemu (TCG, no KVM, no network).
#
#   bash tests/vm/run.sh          # from the repository root, as root on Debian 12 (installs what it needs)
#
# Builds samples/livepatch-cmdline against the kernel's headers, signs it with the kernel's scripts/sign-file
# and a module key made for this run (in a temp folder, never in git), starts the real server with that key as
# its module keyring, publishes the module for the build ID read from the kernel image by `lpatch kernel
# build-id`, copies the read tree, and boots the kernel three times with an initramfs holding busybox, the
# Native AOT lpatch, its client.json and the tree (served in the guest by busybox httpd on its own loopback).
# The guest prints one "VMTEST PASS/FAIL" line per check (tests/vm/guest-init.sh); this script fails on any
# FAIL or missing line.
#
# Settings (environment): LPATCH (default artifacts/lpatch-aot/lpatch, published when missing), LPATCH_VM_KERNEL
# (ABI such as 6.1.0-56; default: what linux-image-amd64 depends on), LPATCH_VM_CACHE (downloaded kernel image,
# default /var/cache/lpatch-vm), LPATCH_VM_BOOT_TIMEOUT (seconds per boot, default 900), LPATCH_VM_KEEP=1 keeps
# the work folder.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)
started=$(date +%s)
boot_timeout=${LPATCH_VM_BOOT_TIMEOUT:-900}
cache=${LPATCH_VM_CACHE:-/var/cache/lpatch-vm}
work=$(mktemp -d /tmp/lpatch-vm.XXXXXX)
server_pid=""
qemu_pid=""

cleanup() {
    local rc=$?
    [ -n "$qemu_pid" ] && kill "$qemu_pid" 2>/dev/null && wait "$qemu_pid" 2>/dev/null
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
    if [ "${LPATCH_VM_KEEP:-0}" = 1 ] || [ $rc -ne 0 ]; then
        echo "vm: work folder kept: $work (the module key in keys/ is for this run only)"
    else
        rm -rf "$work"
    fi
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM
say() { echo "vm: $*"; }

# --- what it needs from Debian ------------------------------------------------------------------
kver=${LPATCH_VM_KERNEL:-$(apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/.*Depends: linux-image-\(.*\)-amd64$/\1/p' | head -n 1)}
[ -n "$kver" ] || { echo "vm: cannot tell which kernel linux-image-amd64 is (set LPATCH_VM_KERNEL)" >&2; exit 2; }
headers=/usr/src/linux-headers-$kver-amd64
need=()
command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
# The initramfs has no libraries for busybox: it must be the static build (busybox-static), with httpd.
{ [ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1 && /bin/busybox --list | grep -qx httpd; } || need+=(busybox-static)
command -v cpio >/dev/null || need+=(cpio)
[ -d "$headers" ] || need+=("linux-headers-$kver-amd64")
command -v gcc >/dev/null || need+=(gcc)
command -v make >/dev/null || need+=(make)
command -v xz >/dev/null || need+=(xz-utils)
command -v curl >/dev/null || need+=(curl)
command -v openssl >/dev/null || need+=(openssl)
if [ ${#need[@]} -gt 0 ]; then
    say "installing: ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get -o DPkg::Lock::Timeout=600 update -qq
    apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
sign_file=$(ls /usr/lib/linux-kbuild-*/scripts/sign-file | sort -V | tail -n 1)

# The kernel image is unpacked, never installed: it is only booted under qemu.
mkdir -p "$cache"
deb=$(ls "$cache"/linux-image-"$kver"-amd64-unsigned_*.deb 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$deb" ]; then
    say "downloading linux-image-$kver-amd64-unsigned"
    (cd "$cache" && { apt-get download "linux-image-$kver-amd64-unsigned" >/dev/null 2>&1 \
        || { apt-get -o DPkg::Lock::Timeout=600 update -qq && apt-get download "linux-image-$kver-amd64-unsigned" >/dev/null; }; })
    deb=$(ls "$cache"/linux-image-"$kver"-amd64-unsigned_*.deb | sort -V | tail -n 1)
fi
dpkg-deb -x "$deb" "$work/image"
vmlinuz="$work/image/boot/vmlinuz-$kver-amd64"
release="$kver-amd64"

# The build ID is in vmlinux; a bzImage holds it compressed (what the kernel's scripts/extract-vmlinux does).
extract_vmlinux() {
    local magics=($'\xfd7zXZ' $'\x1f\x8b\x08' $'\x28\xb5\x2f\xfd') tools=(xz gzip zstd) i off
    for i in 0 1 2; do
        command -v "${tools[$i]}" >/dev/null || continue
        for off in $(LC_ALL=C grep -aobF "${magics[$i]}" "$vmlinuz" | cut -d: -f1 | head -n 3); do
            if tail -c +$((off + 1)) "$vmlinuz" | "${tools[$i]}" -dc 2>/dev/null > "$work/vmlinux"; [ -s "$work/vmlinux" ] \
                && [ "$(head -c 4 "$work/vmlinux" | od -An -tx1 | tr -d ' ')" = 7f454c46 ]; then
                return 0
            fi
        done
    done
    echo "vm: no ELF vmlinux inside $vmlinuz" >&2
    return 1
}
extract_vmlinux

# --- lpatch (Native AOT, as .ci/run publishes it) ------------------------------------------------
lpatch=${LPATCH:-$repo/artifacts/lpatch-aot/lpatch}
if [ ! -x "$lpatch" ]; then
    say "publishing lpatch (Native AOT)"
    linker=()
    command -v clang >/dev/null || linker=(-p:CppCompilerAndLinker=clang-14)
    dotnet publish src/LivePatch.Cli -c Release -r linux-x64 -p:PublishAot=true "${linker[@]}" -o "$work/lpatch-aot" >/dev/null
    lpatch=$work/lpatch-aot/lpatch
fi
build_id=$("$lpatch" kernel build-id --elf "$work/vmlinux")
say "kernel $release, build ID $build_id (read by lpatch kernel build-id from the image's vmlinux)"

# --- the module, built for that kernel and signed with a key made for this run --------------------
mkdir -p "$work/keys"
cat > "$work/keys/x509.genkey" <<'CFG'
[ req ]
distinguished_name = req_distinguished_name
prompt = no
string_mask = utf8only
x509_extensions = myexts
[ req_distinguished_name ]
O = LivePatch Repository VM proof
CN = VM proof module signing key (one run only)
[ myexts ]
basicConstraints=critical,CA:FALSE
keyUsage=digitalSignature
extendedKeyUsage=codeSigning
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
CFG
openssl req -new -nodes -utf8 -x509 -days 2 -batch -config "$work/keys/x509.genkey" -newkey rsa:2048 \
    -keyout "$work/keys/module.key" -out "$work/keys/module.pem" 2>/dev/null
chmod 600 "$work/keys/module.key"
cp -r samples/livepatch-cmdline "$work/module"
make -s -C "$headers" M="$work/module" modules >"$work/module/build.log" 2>&1 || { cat "$work/module/build.log"; exit 1; }
strip --strip-debug -o "$work/lp_cmdline.ko" "$work/module/lp_cmdline.ko"
"$sign_file" sha256 "$work/keys/module.key" "$work/keys/module.pem" "$work/lp_cmdline.ko"
"$lpatch" module info "$work/lp_cmdline.ko" | sed 's/^/  /'

# --- the real server: publish, copy the read tree, revoke, copy again -----------------------------
say "building and starting the server"
dotnet build src/LivePatch.Server -c Release -o "$work/server" -v quiet -nologo >"$work/server-build.log" 2>&1 || { cat "$work/server-build.log"; exit 1; }
port=$(( 20000 + RANDOM % 20000 ))
server=http://127.0.0.1:$port
(cd "$work" && ASPNETCORE_ENVIRONMENT=Development ASPNETCORE_URLS=$server LivePatch__DataDirectory="$work/data" \
    LivePatch__ModuleKeyring__0="$work/keys/module.pem" exec dotnet "$work/server/LivePatch.Server.dll" >"$work/server.log" 2>&1) &
server_pid=$!
for _ in $(seq 120); do
    [ -f "$work/data/admin-api-key" ] && curl -s -o /dev/null "$server/v1/manifests/stable/$build_id" && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log"; exit 1; }
    sleep 1
done
export LPATCH_SERVER=$server LPATCH_API_KEY
LPATCH_API_KEY=$(cat "$work/data/admin-api-key")
published=$("$lpatch" publish "$work/lp_cmdline.ko" --build-id "$build_id" --cve CVE-2026-0001 \
    --description "VM proof: /proc/cmdline prints a marker" --json)
patch_id=$(echo "$published" | grep -o '"id": *[0-9]*' | head -n 1 | grep -o '[0-9]*$')
sha256=$(echo "$published" | grep -o '"sha256": *"[0-9a-f]*"' | head -n 1 | grep -o '[0-9a-f]\{64\}')
say "published patch $patch_id ($sha256) for $build_id"

copy_tree() { # destination: the read paths a host asks for, as a static mirror would hold them
    local dest=$1 path
    for path in "v1/manifests/stable/$build_id" "v1/coverage/stable/${build_id:0:2}" "v1/blobs/sha256/$sha256"; do
        mkdir -p "$dest/$(dirname "$path")"
        curl -sf -o "$dest/$path" "$server/$path"
    done
}
copy_tree "$work/tree-published"
"$lpatch" revoke "$patch_id" --reason "VM proof: revoked" >/dev/null
copy_tree "$work/tree-revoked"
cp "$work/data/keys/root.pem" "$work/root.pem"
kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""

# --- initramfs: busybox, lpatch and the libraries it loads, client.json, the tree ------------------
make_root() { # folder, tree to serve at /srv/repo
    local root=$1 lib
    mkdir -p "$root"/{bin,etc/lpatch,usr/local/bin,proc,sys,dev,tmp,root,srv,var/lib,var/cache}
    cp /bin/busybox "$root/bin/busybox"
    ln -s busybox "$root/bin/sh" # for /init's #!/bin/sh; the init links the other applets itself
    cp "$lpatch" "$root/usr/local/bin/lpatch"
    # Native AOT lpatch needs libc and OpenSSL (loaded at run time, so ldd does not name libssl).
    for lib in $( (ldd "$lpatch"; ldd /usr/lib/x86_64-linux-gnu/libssl.so.3) | grep -o '/[^ ]*' | sort -u) /usr/lib/x86_64-linux-gnu/libssl.so.3; do
        mkdir -p "$root$(dirname "$lib")"
        cp -L "$lib" "$root$lib"
    done
    cp "$repo/tests/vm/guest-init.sh" "$root/init"
    chmod 755 "$root/init"
    cp "$work/root.pem" "$root/etc/lpatch/root.pem"
    cp "$work/keys/module.pem" "$root/etc/lpatch/module.pem"
    cat > "$root/etc/lpatch/client.json" <<JSON
{
  "repositories": ["http://127.0.0.1:8080/"],
  "trustedRoots": ["/etc/lpatch/root.pem"],
  "moduleKeyring": ["/etc/lpatch/module.pem"],
  "loader": { "kind": "sysfs", "insmod": "/bin/insmod", "rmmod": "/bin/rmmod", "transitionTimeout": "00:05:00", "commandTimeout": "00:05:00" },
  "retries": 0,
  "requestTimeout": "00:01:00"
}
JSON
    cp -r "$2" "$root/srv/repo"
}
pack() { # folder, output
    (cd "$1" && find . | cpio -o -H newc -R 0:0 --quiet | gzip -1) > "$2"
}

boot() { # initramfs, log, extra kernel arguments
    local initrd=$1 log=$2
    shift 2
    say "booting $(basename "$log" .log) (timeout ${boot_timeout}s)"
    timeout "$boot_timeout" qemu-system-x86_64 -accel tcg -m 1024 -smp 1 -nic none -nographic -no-reboot \
        -kernel "$vmlinuz" -initrd "$initrd" -append "console=ttyS0 panic=-1 loglevel=4 $*" </dev/null >"$log" 2>&1 &
    qemu_pid=$!
    wait "$qemu_pid" || say "qemu exited with $? ($(basename "$log"))"
    qemu_pid=""
    tr -d '\r' < "$log" > "$log.txt"
    grep -E '^(VMTEST|  \|)' "$log.txt" | grep -v '^VMTEST STATE' | grep -v '^[A-Za-z0-9+/=]*$' || true
}

make_root "$work/root-first" "$work/tree-published"
pack "$work/root-first" "$work/first.cpio.gz"
boot "$work/first.cpio.gz" "$work/boot1-first.log" lptest=first

# The second boot: the same kernel with the state and cache the first boot left, and the revoked tree.
cp -a "$work/root-first" "$work/root-second"
sed -n '/^VMTEST STATE-BEGIN$/,/^VMTEST STATE-END$/p' "$work/boot1-first.log.txt" | sed '1d;$d' | base64 -d \
    | tar -xzf - -C "$work/root-second" || say "no state came back from the first boot"
cp -r "$work/tree-revoked" "$work/root-second/srv/repo-revoked"
pack "$work/root-second" "$work/second.cpio.gz"
boot "$work/second.cpio.gz" "$work/boot2-second.log" lptest=second

# The third boot: fresh state, the kernel enforcing module signatures (our key is not in its keyring).
boot "$work/first.cpio.gz" "$work/boot3-sig-enforce.log" lptest=sig-enforce module.sig_enforce=1

# --- verdict ---------------------------------------------------------------------------------------
results=$(cat "$work"/boot*.log.txt | grep -E '^VMTEST (PASS|FAIL)' || true)
missing=()
for check in 1-apply 2-boot-reapply 3-revoke 4-sig-enforce; do
    echo "$results" | grep -q "^VMTEST PASS $check" || missing+=("$check")
done
elapsed=$(( $(date +%s) - started ))
echo
echo "$results"
if echo "$results" | grep -q '^VMTEST FAIL' || [ ${#missing[@]} -gt 0 ]; then
    echo "vm: FAILED (not passed: ${missing[*]:-none}; logs in $work) after ${elapsed}s" >&2
    exit 1
fi
echo "vm: all 4 checks passed on $release in ${elapsed}s"
