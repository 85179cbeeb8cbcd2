# Turns the raw lines run.sh collects into the tables of results.md.
#   size n=N publish_s=.. tree_mib=.. rss_before_SIDE=.. rss_after_SIDE=.. blob=.. bigblob=.. manifest_bytes=.. index_bytes=..
#   row n=N TEST TARGET requests=..   (TEST slowdown-200/-304: TARGET small = the first size's server, large = N's) duration_us=.. bytes=.. p50_us=.. p99_us=.. sut_ticks=.. clk_tck=.. load1=.. ...
#   profile n=N rps=.. alloc_per_req=.. gcs_per_s=.. ...
# -v sides="server" (one design: the server is TARGET "server", slowdown sides "small"/"large") or sides="tuned simple"
# (READ_PATHS: each design is a TARGET of its own, slowdown sides "small-tuned", "large-tuned", …), and a table of the two.
function kv(start,    i, a) {
  delete f
  for (i = start; i <= NF; i++) { split($i, a, "="); f[a[1]] = a[2] }
}
function ms(us) { return sprintf("%.2f", us / 1000) }
function num(x,    s, out) { # 12345.6 -> 12,346
  s = sprintf("%.0f", x); out = ""
  while (length(s) > 3) { out = "," substr(s, length(s) - 2) out; s = substr(s, 1, length(s) - 3) }
  return s out
}
function verdict(ok) { return ok ? "**holds**" : "**missed**" }
function median(a, k,    b, i, j, t) { # median of a[1..k]
  for (i = 1; i <= k; i++) b[i] = a[i]
  for (i = 2; i <= k; i++) { t = b[i]; for (j = i - 1; j >= 1 && b[j] > t; j--) b[j + 1] = b[j]; b[j + 1] = t }
  lo_ = b[1]; hi_ = b[k] # the range, for the caller
  return k % 2 ? b[(k + 1) / 2] : (b[k / 2] + b[k / 2 + 1]) / 2
}
# paired(n, t, a, b): per-round ratios of side a to side b (req/s a÷b into rr[], CPU µs/req b÷a into cr[]); returns the rounds
function paired(n, t, a, b,    k, r) {
  delete rr; delete cr
  k = rounds[n, t, a] < rounds[n, t, b] ? rounds[n, t, a] : rounds[n, t, b]
  for (r = 1; r <= k; r++) {
    rr[r] = R[n, t, b, r, "rps"] > 0 ? R[n, t, a, r, "rps"] / R[n, t, b, r, "rps"] : 0
    cr[r] = R[n, t, a, r, "cpu"] > 0 ? R[n, t, b, r, "cpu"] / R[n, t, a, r, "cpu"] : 0
  }
  return k
}
# one line of the targets table from rr[]/cr[] of k rounds
function target_row(label, n, k, goal, extra,    mr, rlo, rhi, mc, clo, chi, by, byc) {
  mr = median(rr, k); rlo = lo_; rhi = hi_
  mc = median(cr, k); clo = lo_; chi = hi_
  by = mr >= goal ? "" : sprintf(" by %.0f%%", (1 - mr / goal) * 100)
  byc = mc >= goal ? "" : sprintf(" by %.0f%%", (1 - mc / goal) * 100)
  printf "| %s | %s | %d | %.2f× (%.2f-%.2f) | %s%s | %.2f× (%.2f-%.2f)%s | %s%s |\n", label, num(n), k, mr, rlo, rhi,
    verdict(mr >= goal), by, mc, clo, chi, extra, verdict(mc >= goal), byc
}

BEGIN {
  ntests = split("manifest-200 manifest-304 blob-7k blob-1m", tests, " "); nslow = split("slowdown-200 slowdown-304", slow, " ")
  nsides = split(sides == "" ? "server" : sides, side, " "); multi = nsides > 1
}
function small(s) { return multi ? "small-" s : "small" }
function large(s) { return multi ? "large-" s : "large" }
function named(label, s) { return multi ? label " (" s ")" : label } # a label, with the design when there are two
function goal_of(t) { return (t ~ /^manifest/) ? 1.0 : 0.9 }

$1 == "size" {
  kv(2); n = f["n"]; sizes[++nsizes] = n
  for (k in f) size[n, k] = f[k]
}
$1 == "profile" {
  kv(2); n = f["n"]; hasprof[n] = 1
  for (k in f) prof[n, k] = f[k]
}
$1 == "row" {
  split($2, a, "="); n = a[2]; t = $3; who = $4; kv(5)
  r = ++rounds[n, t, who]
  rps = f["requests"] / (f["duration_us"] / 1e6)
  R[n, t, who, r, "rps"] = rps
  R[n, t, who, r, "p50"] = f["p50_us"]
  R[n, t, who, r, "p99"] = f["p99_us"]
  R[n, t, who, r, "cpu"] = f["requests"] > 0 ? f["sut_ticks"] / f["clk_tck"] * 1e6 / f["requests"] : 0
  R[n, t, who, r, "bpr"] = f["requests"] > 0 ? f["bytes"] / f["requests"] : 0
  R[n, t, who, r, "err"] = f["connect"] + f["read"] + f["write"] + f["status"] + f["timeout"]
  R[n, t, who, r, "load"] = f["load1"]
  R[n, t, who, r, "wrkcpu"] = f["wrk_cpu_s"] / (f["duration_us"] / 1e6)
  R[n, t, who, r, "sutcpu"] = f["sut_ticks"] / f["clk_tck"] / (f["duration_us"] / 1e6)
  present[n, t] = 1
  if (rps > best[n, t, who]) { best[n, t, who] = rps; bestr[n, t, who] = r }
}

END {
  for (i = 1; i <= nsizes; i++) {
    n = sizes[i]
    printf "\n## N = %s kernels\n\n", num(n)
    if (multi) {
      rss = "server RSS after its start on a copy of the data folder / after the runs:"
      for (v = 1; v <= nsides; v++) rss = rss sprintf(" %s %s / %s MiB%s", side[v], size[n, "rss_before_" side[v]], size[n, "rss_after_" side[v]], v < nsides ? "," : "")
    } else rss = sprintf("server RSS %s MiB after publishing, %s MiB after the runs", size[n, "rss_before_server"], size[n, "rss_after_server"])
    printf "Published in %s s (%.0f kernels/s, one request per %s build IDs); %s; " \
      "static tree %s MiB; a manifest is %s bytes, the index %s bytes.\n\n",
      size[n, "publish_s"], n / (size[n, "publish_s"] > 0 ? size[n, "publish_s"] : 1), "≤10,000",
      rss, size[n, "tree_mib"], size[n, "manifest_bytes"], num(size[n, "index_bytes"])
    print "| test | server req/s | server p50 / p99 ms | nginx req/s | nginx p50 / p99 ms | **server / nginx** | CPU µs/req server / nginx | per-CPU ratio | bytes/resp | errors | load |"
    print "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    for (j = 1; j <= ntests; j++) {
      t = tests[j]
      if (!present[n, t]) continue
      for (v = 1; v <= nsides; v++) {
        w = side[v]; s = bestr[n, t, w]; g = bestr[n, t, "nginx"]
        ratio = best[n, t, w] / best[n, t, "nginx"]
        cpuratio = R[n, t, w, s, "cpu"] > 0 ? R[n, t, "nginx", g, "cpu"] / R[n, t, w, s, "cpu"] : 0
        printf "| %s | %s | %s / %s | %s | %s / %s | **%.2f×** | %.0f / %.0f | %.2f× | %.0f | %d / %d | %s / %s |\n", named(t, w),
          num(R[n, t, w, s, "rps"]), ms(R[n, t, w, s, "p50"]), ms(R[n, t, w, s, "p99"]),
          num(R[n, t, "nginx", g, "rps"]), ms(R[n, t, "nginx", g, "p50"]), ms(R[n, t, "nginx", g, "p99"]),
          ratio, R[n, t, w, s, "cpu"], R[n, t, "nginx", g, "cpu"], cpuratio, R[n, t, w, s, "bpr"],
          R[n, t, w, s, "err"], R[n, t, "nginx", g, "err"], R[n, t, w, s, "load"], R[n, t, "nginx", g, "load"]
      }
    }
    if (i > 1 && present[n, "slowdown-200"]) {
      printf "\nNo-slowdown runs, interleaved with the N=%s server (CPU µs/req per round, N=%s / N=%s):\n\n", num(sizes[1]), num(sizes[1]), num(n)
      print "| test | rounds | median ratio (N=" num(sizes[1]) " ÷ N=" num(n) " CPU µs/req) |"
      print "|---|---|---:|"
      for (j = 1; j <= nslow; j++) {
        t = slow[j]
        if (!present[n, t]) continue
        for (v = 1; v <= nsides; v++) {
          k = paired(n, t, large(side[v]), small(side[v])); list = ""
          for (r = 1; r <= k; r++) list = list (r > 1 ? ", " : "") sprintf("%.1f / %.1f", R[n, t, small(side[v]), r, "cpu"], R[n, t, large(side[v]), r, "cpu"])
          printf "| %s | %s | %.2f× |\n", named(t == "slowdown-200" ? "manifest-200" : "manifest-304", side[v]), list, median(cr, k)
        }
      }
    }
    if (hasprof[n]) {
      printf "\nProfile (dotnet-counters, a separate manifest-200 run after the comparison): %s req/s, about %s bytes allocated per request, " \
        "%.1f GCs/s (%s s paused in %d one-second samples), %.2f thread-pool work items per request, %s lock contentions/s.\n",
        num(prof[n, "rps"]), num(prof[n, "alloc_per_req"]), prof[n, "gcs_per_s"], prof[n, "gc_pause_s"], prof[n, "samples"],
        prof[n, "workitems_per_req"], num(prof[n, "lock_contentions_per_s"])
    }
  }

  print "\n## Targets\n"
  print "Each round runs both sides back to back, so each target is read from the **median of the per-round ratios**"
  print "(the range in brackets): drift of the shared machine between rounds cancels, and one disturbed run cannot"
  print "decide. Two readings: requests/s, and per CPU time (nginx CPU µs/req ÷ server CPU µs/req: the throughput ratio"
  print "both would reach on an equal, otherwise idle core). On a busy machine the second is the fairer one: the kernel"
  print "shares core 0 per thread, so a many-threaded server takes more of it from the other builds than single-threaded"
  print "nginx does (see the SUT CPU % column under All rounds).\n"
  print "| target | N | rounds | req/s ratio | verdict | per-CPU ratio | verdict |"
  print "|---|---:|---:|---:|---|---:|---|"
  for (i = 1; i <= nsizes; i++) {
    n = sizes[i]
    for (j = 1; j <= ntests; j++) {
      t = tests[j]
      if (!present[n, t]) continue
      for (v = 1; v <= nsides; v++) {
        k = paired(n, t, side[v], "nginx")
        target_row(named(sprintf("%s ≥ %.1f× nginx", t, goal_of(t)), side[v]), n, k, goal_of(t), "")
      }
    }
  }
  for (i = 2; i <= nsizes; i++) {
    n = sizes[i]
    for (j = 1; j <= nslow; j++) {
      t = slow[j]
      if (!present[n, t]) continue
      for (v = 1; v <= nsides; v++) {
        k = paired(n, t, large(side[v]), small(side[v]))
        delete cs; delete cl
        for (r = 1; r <= k; r++) { cs[r] = R[n, t, small(side[v]), r, "cpu"]; cl[r] = R[n, t, large(side[v]), r, "cpu"] }
        target_row(named(sprintf("no slowdown, %s: N=%s ÷ N=%s, interleaved ≥ 0.9×", (t == "slowdown-200" ? "manifest-200" : "manifest-304"), num(n), num(sizes[1])), side[v]),
          n, k, 0.9, sprintf(", CPU µs/req %.1f → %.1f", median(cs, k), median(cl, k)))
      }
    }
  }
  print "\n\"No slowdown\" allows 10% for the noise of a shared machine; the CPU µs/req change is the steadier signal."
  if (multi) designs_table()

  print "\n## All rounds\n"
  print "SUT CPU %: CPU the server (or nginx) used during the run ÷ wall time (100% = all of its core); wrk CPU %: the same for wrk.\n"
  print "| N | test | side | round | req/s | p50 ms | p99 ms | CPU µs/req | SUT CPU % | wrk CPU % | load |"
  print "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
  for (j = 1; j <= nslow; j++) tests[ntests + j] = slow[j]
  for (i = 1; i <= nsizes; i++) {
    n = sizes[i]
    for (j = 1; j <= ntests + nslow; j++) {
      t = tests[j]
      if (!present[n, t]) continue
      delete whos; nw = 0
      if (t ~ /^slowdown/) for (v = 1; v <= nsides; v++) { whos[++nw] = small(side[v]); whos[++nw] = large(side[v]) }
      else { for (v = 1; v <= nsides; v++) whos[++nw] = side[v]; whos[++nw] = "nginx" }
      for (w = 1; w <= nw; w++) {
        who = whos[w]
        for (r = 1; r <= rounds[n, t, who]; r++)
          printf "| %s | %s | %s | %d | %s | %s | %s | %.0f | %.0f | %.0f | %s |\n", num(n), t, who, r, num(R[n, t, who, r, "rps"]),
            ms(R[n, t, who, r, "p50"]), ms(R[n, t, who, r, "p99"]), R[n, t, who, r, "cpu"], R[n, t, who, r, "sutcpu"] * 100,
            R[n, t, who, r, "wrkcpu"] * 100, R[n, t, who, r, "load"]
      }
    }
  }
}

# The two designs side by side (READ_PATHS with two): each one's per-CPU ratio against its target (median of the per-round
# ratios, as in the targets table), the second design's CPU per request against the first's, and memory.
function designs_table(    a, b, i, j, n, t, k, ma, mb, mab, goal, label) {
  a = side[1]; b = side[2]
  printf "\n## %s vs %s\n\n", a, b
  print "The read path's two designs (`LivePatch:ReadPath`, docs/performance.md) on the same data and nginx, in the same rounds."
  print "Per-CPU ratio: nginx CPU µs/req ÷ the design's (for no slowdown: the first size's ÷ this size's), median of the"
  printf "per-round ratios; %s ÷ %s: %s CPU µs/req ÷ %s's, per round, median (above 1: %s needs less CPU per request).\n\n", b, a, a, b, b
  printf "| N | test | target | %s per-CPU | %s per-CPU | %s ÷ %s per CPU |\n", a, b, b, a
  print "|---:|---|---:|---:|---:|---:|"
  for (i = 1; i <= nsizes; i++) {
    n = sizes[i]
    for (j = 1; j <= ntests + nslow; j++) {
      t = j <= ntests ? tests[j] : slow[j - ntests]
      if (!present[n, t]) continue
      if (t ~ /^slowdown/) {
        goal = 0.9; label = "no slowdown, " (t == "slowdown-200" ? "manifest-200" : "manifest-304")
        k = paired(n, t, large(a), small(a)); ma = median(cr, k)
        k = paired(n, t, large(b), small(b)); mb = median(cr, k)
        k = paired(n, t, large(b), large(a)); mab = median(cr, k)
      } else {
        goal = goal_of(t); label = t
        k = paired(n, t, a, "nginx"); ma = median(cr, k)
        k = paired(n, t, b, "nginx"); mb = median(cr, k)
        k = paired(n, t, b, a); mab = median(cr, k)
      }
      printf "| %s | %s | ≥ %.1f× | %.2f× %s | %.2f× %s | %.2f× |\n", num(n), label, goal, ma, verdict(ma >= goal), mb, verdict(mb >= goal), mab
    }
    printf "| %s | RSS after start / after the runs | | %s / %s MiB | %s / %s MiB | |\n", num(n),
      size[n, "rss_before_" a], size[n, "rss_after_" a], size[n, "rss_before_" b], size[n, "rss_after_" b]
  }
}
