// Module maker for bench/publish.sh's batch phase: a vendor's CI builds a distinct livepatch module for each kernel, so a
// batch of COUNT single-kernel patches needs COUNT distinct signed modules (one module sent for every kernel would let the
// server store one file instead of COUNT, which no real batch does).
//
//   dotnet run bench/batch-modules.cs -- MODULE KEY_PEM CERT_PEM IDS_FILE OUT_DIR
//
// For each line of IDS_FILE (a build ID), writes OUT_DIR/lp-NNNNNN.ko: MODULE (unsigned) with the last six characters of
// its .modinfo description replaced by the line number (same length, so the ELF layout is unchanged), signed with the key
// and certificate as 'lpatch module sign' signs (LivePatch.Core's ModuleSigner, RSA PKCS#1 v1.5, SHA-256). Then writes
// OUT_DIR/batch.json (the batch description of POST /v1/patches/batch: one patch per module, for its build ID) and
// OUT_DIR/batch.curl (a curl config: one 'form = "module=@…"' line per module and the batch field).
#:project ../src/LivePatch.Core/LivePatch.Core.csproj
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using LivePatch.Core.Repository;
using LivePatch.Core.Signing;

if (args.Length != 5)
{
    Console.Error.WriteLine("usage: batch-modules MODULE KEY_PEM CERT_PEM IDS_FILE OUT_DIR");
    return 2;
}

var module = File.ReadAllBytes(args[0]);
var ids = File.ReadAllLines(args[3]).Where(l => l.Length > 0).ToArray();
var outDir = Directory.CreateDirectory(args[4]).FullName;
if (ids.Length is 0 or > 999_999)
{
    Console.Error.WriteLine("batch-modules: IDS_FILE must hold 1 to 999999 build IDs");
    return 2;
}

// The description's value, found once: "description=…\0" in .modinfo.
var marker = Encoding.ASCII.GetBytes("description=");
var at = module.AsSpan().IndexOf(marker);
var end = at < 0 ? -1 : module.AsSpan(at).IndexOf((byte)0);
if (at < 0 || end < marker.Length + 6)
{
    Console.Error.WriteLine("batch-modules: the module has no .modinfo description of at least six characters");
    return 2;
}

var tail = at + end - 6; // the description's last six characters
using var certificate = ModuleSigner.LoadSigningCertificate(args[2], args[1]);
var patches = new List<BatchPatch>(ids.Length);
var curl = new StringBuilder();
for (var i = 0; i < ids.Length; i++)
{
    var copy = (byte[])module.Clone();
    Encoding.ASCII.GetBytes((i + 1).ToString("D6", CultureInfo.InvariantCulture), copy.AsSpan(tail, 6));
    var name = $"lp-{i + 1:D6}.ko";
    File.WriteAllBytes(Path.Combine(outDir, name), ModuleSigner.Sign(copy, certificate, HashAlgorithmName.SHA256));
    patches.Add(new BatchPatch { Module = name, BuildIds = [ids[i]] });
    curl.Append(CultureInfo.InvariantCulture, $"form = \"module=@{Path.Combine(outDir, name)}\"\n");
}

File.WriteAllText(Path.Combine(outDir, "batch.json"), JsonSerializer.Serialize(new PublishBatch { Patches = patches }, RepositoryJsonContext.Default.PublishBatch));
curl.Append(CultureInfo.InvariantCulture, $"form = \"batch=<{Path.Combine(outDir, "batch.json")}\"\n");
File.WriteAllText(Path.Combine(outDir, "batch.curl"), curl.ToString());
Console.WriteLine($"{ids.Length} modules in {outDir}");
return 0;
