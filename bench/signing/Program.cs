// bench/signing: how fast the server can sign manifests, next to the machine's raw ECDSA P-256 rate.
// One thread; run.sh pins the process (and the openssl it starts) to one core. Prints markdown for results.md.
//
//   dotnet SigningBench.dll [--seconds 3] [--rounds 3] [--kernels 100000]
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using LivePatch.Core;
using LivePatch.Core.Keys;
using LivePatch.Core.Manifests;
using LivePatch.Core.Trust;
using LivePatch.Testing;

var seconds = Option("--seconds", 3);
var rounds = Option("--rounds", 3);
var kernels = Option("--kernels", 100_000);
var inv = CultureInfo.InvariantCulture;

// The key set `lpatch keys init` makes (what bench/run.sh's server signs with): a P-256 manifest signing certificate
// issued by a P-384 root, so the certificate set holds one certificate.
using var keys = DevelopmentKeys.Generate(TimeProvider.System);
SigningIdentity[] signers = [new() { Certificate = keys.ManifestSigning }];
var now = DateTimeOffset.UtcNow;
var manifest = SampleManifest(0, now);
using var key = keys.ManifestSigning.GetECDsaPrivateKey()!;
using var signer = new SignedContentSigner(signers);
var hash = SHA256.HashData(manifest);

var cases = new List<Case>
{
    new("openssl", "`openssl speed -seconds " + seconds + " ecdsap256`, sign/s", null),
    new("raw", ".NET `ECDsa.SignHash` (P-256, DER signature)", () => key.SignHash(hash, DSASignatureFormat.Rfc3279DerSequence)),
    new("old", "`SignedCms` (SignedContent.Sign before this change)",
        () => SignedCmsReference.Sign(manifest, LivePatchOids.ManifestContentType, signers, now)),
    new("new", "`SignedContentSigner`, prepared once (what the server holds)",
        () => signer.Sign(manifest, LivePatchOids.ManifestContentType, now)),
    new("one-shot", "`SignedContent.Sign`, which prepares a signer per call (CLI, tests)",
        () => SignedContent.Sign(manifest, LivePatchOids.ManifestContentType, signers, now)),
};

// As long as a measurement: with one core, tiered JIT compiles in the background on the same core, and SignedCms's
// many methods were still being compiled in a first round after a 1 s warm-up (its rate 40% below later rounds).
Console.Error.WriteLine($"manifest {manifest.Length} bytes; warming up");
foreach (var c in cases.Where(c => c.Op is not null))
{
    Measure(c.Op!, TimeSpan.FromSeconds(seconds));
}

var results = cases.ToDictionary(c => c.Key, _ => new List<Result>());
for (var round = 1; round <= rounds; round++)
{
    // Alternate the order, so that no case always runs first or last in a round.
    var order = round % 2 == 1 ? cases : Enumerable.Reverse(cases).ToList();
    foreach (var c in order)
    {
        var result = c.Op is null ? OpenSslSpeed(seconds) : Measure(c.Op, TimeSpan.FromSeconds(seconds));
        results[c.Key].Add(result);
        Console.Error.WriteLine($"round {round}: {c.Key,-8} {result.PerCpuSecond,10:F0}/CPU s {result.PerSecond,10:F0}/s");
    }
}

// Re-signing a whole repository: distinct manifests (build ID and version differ), each signed once.
var resign = new List<(string Label, double Seconds, double CpuSeconds)>();
foreach (var (label, sign) in new (string, Func<byte[], byte[]>)[]
{
    ("SignedCms (old)", m => SignedCmsReference.Sign(m, LivePatchOids.ManifestContentType, signers, now)),
    ("SignedContentSigner (new)", m => signer.Sign(m, LivePatchOids.ManifestContentType, now)),
})
{
    var cpu = Environment.CpuUsage.TotalTime;
    var watch = Stopwatch.StartNew();
    for (var i = 0; i < kernels; i++)
    {
        sign(SampleManifest(i, now));
    }

    resign.Add((label, watch.Elapsed.TotalSeconds, (Environment.CpuUsage.TotalTime - cpu).TotalSeconds));
    Console.Error.WriteLine($"re-sign {kernels} manifests: {label} {watch.Elapsed.TotalSeconds:F1} s");
}

Report();
return 0;

void Report()
{
    double Median(string k, Func<Result, double> f) =>
        results[k].Select(f).Order().ElementAt(results[k].Count / 2);
    double MedianRatio(string a, string b) =>
        Enumerable.Range(0, rounds).Select(i => results[a][i].PerCpuSecond / results[b][i].PerCpuSecond).Order().ElementAt(rounds / 2);
    string Wall(string k) => results[k][0].PerSecond is double.NaN ? "" : Median(k, r => r.PerSecond).ToString("N0", inv);

    Console.WriteLine($"A {manifest.Length}-byte manifest, one signer (ECDSA P-256 certificate from `lpatch keys init`), {rounds} round(s) of {seconds} s per case, one thread.");
    Console.WriteLine();
    Console.WriteLine("| | signatures per CPU second | CPU µs per signature | signatures/s (wall clock) | **× openssl** |");
    Console.WriteLine("|---|---:|---:|---:|---:|");
    foreach (var c in cases)
    {
        var perCpu = Median(c.Key, r => r.PerCpuSecond);
        Console.WriteLine($"| {c.Label} | {perCpu.ToString("N0", inv)} | {(1e6 / perCpu).ToString("F1", inv)} | {Wall(c.Key)} | {MedianRatio(c.Key, "openssl").ToString("F3", inv)} |");
    }

    Console.WriteLine();
    var (newRatio, oldRatio) = (MedianRatio("new", "openssl"), MedianRatio("old", "openssl"));
    var (newResign, oldResign) = (resign[^1], resign[0]);
    Console.WriteLine($"- Signing at ≥ 0.15× openssl: **{(newRatio >= 0.15 ? "holds" : "fails")}**, {newRatio.ToString("F2", inv)}× " +
        $"(SignedCms: {oldRatio.ToString("F2", inv)}×).");
    Console.WriteLine($"- Re-signing {kernels.ToString("N0", inv)} kernels within {(30.0 * kernels / 100_000).ToString("0.#", inv)} s on one core: " +
        $"**{(newResign.Seconds <= 30.0 * kernels / 100_000 ? "holds" : "fails")}**, {newResign.Seconds.ToString("F1", inv)} s " +
        $"({newResign.CpuSeconds.ToString("F1", inv)} CPU s; SignedCms: {oldResign.Seconds.ToString("F1", inv)} s).");
    Console.WriteLine($"- Speed-up of the prepared signer over SignedCms: {MedianRatio("new", "old").ToString("F1", inv)}× (median of the per-round ratios); " +
        $"it runs at {MedianRatio("new", "raw").ToString("F2", inv)}× the bare .NET signature.");
    Console.WriteLine();
    Console.WriteLine("Every round (signatures per CPU second):");
    Console.WriteLine();
    Console.WriteLine("| round | " + string.Join(" | ", cases.Select(c => c.Key)) + " |");
    Console.WriteLine("|---|" + string.Concat(cases.Select(_ => "---:|")));
    for (var i = 0; i < rounds; i++)
    {
        Console.WriteLine($"| {i + 1} | " + string.Join(" | ", cases.Select(c => results[c.Key][i].PerCpuSecond.ToString("N0", inv))) + " |");
    }

    Console.WriteLine();
    Console.WriteLine($"Re-signing {kernels.ToString("N0", inv)} kernels: {kernels.ToString("N0", inv)} distinct manifests (build ID and version differ), " +
        "each serialized and signed once, one after the other:");
    Console.WriteLine();
    Console.WriteLine("| signer | wall clock s | CPU s |");
    Console.WriteLine("|---|---:|---:|");
    foreach (var (label, elapsed, cpuSeconds) in resign)
    {
        Console.WriteLine($"| {label} | {elapsed.ToString("F1", inv)} | {cpuSeconds.ToString("F1", inv)} |");
    }
}

static Result Measure(Action op, TimeSpan duration)
{
    const int Batch = 64;
    var cpu = Environment.CpuUsage.TotalTime;
    var watch = Stopwatch.StartNew();
    long count = 0;
    while (watch.Elapsed < duration)
    {
        for (var i = 0; i < Batch; i++)
        {
            op();
        }

        count += Batch;
    }

    var elapsed = watch.Elapsed.TotalSeconds;
    var cpuSeconds = (Environment.CpuUsage.TotalTime - cpu).TotalSeconds;
    return new Result(count / elapsed, count / cpuSeconds);
}

// openssl speed prints "256 bits ecdsa (nistp256)   0.0000s   0.0001s  35000.0  11000.0": sign/s is the first rate.
// Without -elapsed it divides by the user CPU time it used, so it is a rate per CPU second, like the .NET cases'.
static Result OpenSslSpeed(int seconds)
{
    var start = new ProcessStartInfo("openssl", ["speed", "-seconds", seconds.ToString(CultureInfo.InvariantCulture), "ecdsap256"])
    {
        RedirectStandardOutput = true,
        RedirectStandardError = true,
    };
    using var process = Process.Start(start)!;
    var stderr = process.StandardError.ReadToEndAsync();
    var output = process.StandardOutput.ReadToEnd();
    process.WaitForExit();
    _ = stderr.Result;
    var match = Regex.Match(output, @"ecdsa \(nistp256\)\s+\S+s\s+\S+s\s+([0-9.]+)");
    if (process.ExitCode != 0 || !match.Success)
    {
        throw new InvalidOperationException($"openssl speed failed or printed no nistp256 line:\n{output}");
    }

    return new Result(double.NaN, double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture));
}

// A manifest of the size the server publishes (about 1.5 KB: three levels of one patch, one revoked).
static byte[] SampleManifest(int kernel, DateTimeOffset now)
{
    const string Sha = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    ManifestPatch Level(int level) => new()
    {
        Name = "lp_sched_fix", Level = level, Sha256 = Sha, Size = 7_168 + level, Signer = "5a:1f:c2:9e:04:7b:33:d8",
        Replace = true, Cves = ["CVE-2024-1086", "CVE-2024-26581"], Severity = "high",
        Description = "nf_tables: reject verdicts in map elements", Published = now.AddDays(level - 10),
    };

    return ManifestSerializer.Serialize(new Manifest
    {
        Schema = Manifest.CurrentSchema,
        Repository = "bench-repository",
        Channel = "stable",
        BuildId = kernel.ToString("x40", CultureInfo.InvariantCulture),
        KernelRelease = "6.1.0-28-amd64",
        Version = (ulong)kernel + 1,
        Issued = now,
        Expires = now.AddDays(7),
        Patches = [Level(1), Level(2), Level(3)],
        Revoked = [new RevokedPatch { Name = "lp_old", Level = 1, Sha256 = Sha, Reason = "crash on boot", RevokedAt = now.AddDays(-3) }],
    });
}

int Option(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
}

internal sealed record Case(string Key, string Label, Action? Op);

/// <summary>One case's rate in one round: by the wall clock (NaN for openssl, which reports CPU time only) and per CPU second.</summary>
internal sealed record Result(double PerSecond, double PerCpuSecond);
