#!/bin/sh
# /init of the VM proof's initramfs (tests/vm/run.sh): busybox, the Native AOT lpatch, its client.json and a
# copy of the repository's read tree. The kernel command line's lptest= says which boot this is; every check
# prints one line "VMTEST PASS name" or "VMTEST FAIL name: why" on the serial console, which the host greps.
/bin/busybox --install -s /bin
export PATH=/bin:/usr/local/bin HOME=/root DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t tmpfs tmpfs /tmp
ip link set lo up

# Read before anything is patched: while lp_cmdline is enabled, /proc/cmdline prints its marker instead.
cmdline=$(cat /proc/cmdline)
mode=$(echo "$cmdline" | sed -n 's/.*lptest=\([a-z-]*\).*/\1/p')
marker="lpatch-vm-proof"
config=/etc/lpatch/client.json
name=lp_cmdline

pass() { echo "VMTEST PASS $1"; }
fail() { echo "VMTEST FAIL $1: $2"; }
marked() { grep -q "$marker" /proc/cmdline; }
loaded() { [ -d /sys/module/$name ] || [ -d /sys/kernel/livepatch/$name ]; }
serve() { httpd -p 127.0.0.1:8080 -h "$1"; }
run() { # command...: runs lpatch, keeps its output in $out and its exit code in $rc
    out=$("$@" 2>&1); rc=$?
    echo "$out" | sed 's/^/  | /'
}

echo "VMTEST BOOT $mode $(uname -r) build-id $(lpatch kernel build-id)"
case "$mode" in
first)
    serve /srv/repo
    run lpatch apply --config $config
    status=$(lpatch status --config $config 2>&1); echo "$status" | sed 's/^/  | /'
    enabled=$(cat /sys/kernel/livepatch/$name/enabled 2>/dev/null)
    transition=$(cat /sys/kernel/livepatch/$name/transition 2>/dev/null)
    if [ "$rc" = 0 ] && marked && [ "$enabled" = 1 ] && [ "$transition" = 0 ] && echo "$status" | grep -q "$name"; then
        pass "1-apply: lpatch apply loaded $name from the repository, transition done, /proc/cmdline shows the marker, status lists it"
    else
        fail "1-apply" "exit $rc, enabled=$enabled transition=$transition, /proc/cmdline: $(cat /proc/cmdline)"
    fi
    # The persistent state and cache, for the second boot (the host script unpacks it into the next initramfs).
    echo "VMTEST STATE-BEGIN"
    tar -C / -czf - var/lib/lpatch var/cache/lpatch | base64
    echo "VMTEST STATE-END"
    ;;
second)
    # This boot stands for the host rebooted an hour after the apply: within crashWindow of it the crash-loop guard
    # would (rightly) quarantine the patch as one that took the host down.
    date -s "@$(( $(date +%s) + 3600 ))" >/dev/null
    # No repository is reachable: nothing listens on 127.0.0.1:8080 yet.
    if wget -q -O /dev/null http://127.0.0.1:8080/ 2>/dev/null; then fail "2-boot-reapply" "a repository answered"; fi
    loaded && fail "2-boot-reapply" "$name is loaded before lpatch ran"
    run lpatch apply --boot --json --config $config
    if [ "$rc" = 0 ] && echo "$out" | grep -q '"boot-reapplied"' && marked && [ "$(cat /sys/kernel/livepatch/$name/enabled)" = 1 ]; then
        pass "2-boot-reapply: lpatch apply --boot re-applied $name from the cache without a repository; the marker is back"
    else
        fail "2-boot-reapply" "exit $rc, /proc/cmdline: $(cat /proc/cmdline)"
    fi
    # The repository has revoked the patch since; its tree (copied again by the host) is now served.
    serve /srv/repo-revoked
    run lpatch apply --config $config
    if [ "$rc" = 0 ] && echo "$out" | grep -q "removed revoked" && ! marked && ! loaded; then
        pass "3-revoke: the revoking manifest made lpatch apply disable and remove $name; the marker is gone; the module is unloaded"
    else
        fail "3-revoke" "exit $rc, loaded: $(ls /sys/kernel/livepatch /sys/module | grep $name), /proc/cmdline: $(cat /proc/cmdline)"
    fi
    ;;
sig-enforce)
    serve /srv/repo
    run lpatch apply --config $config
    if [ "$rc" = 4 ] && echo "$out" | grep -q "insmod-failed" && ! loaded && ! marked; then
        pass "4-sig-enforce: with module.sig_enforce=1 the kernel refused the untrusted key; lpatch exited 4 (insmod-failed); nothing is loaded"
    else
        fail "4-sig-enforce" "exit $rc, loaded: $(ls /sys/kernel/livepatch /sys/module | grep $name)"
    fi
    ;;
*)
    fail "boot" "unknown lptest mode '$mode'"
    ;;
esac
echo "VMTEST DONE $mode"
sync
poweroff -f
