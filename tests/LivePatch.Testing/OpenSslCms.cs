using System.Diagnostics;
using System.Globalization;

namespace LivePatch.Testing;

/// <summary><c>openssl cms -verify</c>, the independent check of the CMS this project writes (.ci/run installs openssl).</summary>
public static class OpenSslCms
{
    private const string OpenSsl = "/usr/bin/openssl";

    /// <summary>What openssl said about one signed document: its exit code, its output, and the content it wrote out.</summary>
    public sealed record Verification(int ExitCode, string Output, byte[] Content);

    /// <summary>Verifies DER <paramref name="cms"/> against <paramref name="rootPem"/> as of <see cref="TestPki.Now"/>, with
    /// <c>-purpose any</c> (the manifest signing EKU is the project's own); fails the test when openssl is missing.</summary>
    public static Verification Verify(byte[] cms, string rootPem)
    {
        if (!File.Exists(OpenSsl))
        {
            throw new InvalidOperationException("openssl is required for this interop test (.ci/run installs it)");
        }

        var dir = Directory.CreateTempSubdirectory("lp-cms-");
        try
        {
            var cmsPath = Path.Combine(dir.FullName, "signed.cms");
            var rootPath = Path.Combine(dir.FullName, "root.pem");
            var outPath = Path.Combine(dir.FullName, "content");
            File.WriteAllBytes(cmsPath, cms);
            File.WriteAllText(rootPath, rootPem);
            var (exit, output) = Run("cms", "-verify", "-inform", "DER", "-in", cmsPath, "-CAfile", rootPath,
                "-purpose", "any", "-attime", TestPki.Now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture), "-out", outPath);
            return new Verification(exit, output, File.Exists(outPath) ? File.ReadAllBytes(outPath) : []);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static (int Exit, string Output) Run(params string[] arguments)
    {
        var start = new ProcessStartInfo(OpenSsl) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout + stderr.Result);
    }
}
