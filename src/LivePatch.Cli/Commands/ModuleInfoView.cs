using System.Text.Json;
using LivePatch.Core.Modules;
using LivePatch.Core.Signing;

namespace LivePatch.Cli.Commands;

/// <summary>What <c>lpatch module info</c> shows: modinfo's keys and names, so the two can be compared line by line.</summary>
internal sealed record ModuleInfoView(string FileName, ModuleFile Module, ModuleSignatureInfo? Signature)
{
    public void WriteText(TextWriter output)
    {
        foreach (var (key, value) in Lines())
        {
            output.WriteLine($"{key + ":",-16}{value}");
        }
    }

    public void WriteJson(TextWriter output)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            foreach (var (key, value) in Lines())
            {
                json.WriteString(key, value);
            }

            json.WriteStartObject("modinfo");
            foreach (var group in Module.Info.Entries.GroupBy(e => e.Key))
            {
                json.WriteStartArray(group.Key);
                foreach (var entry in group)
                {
                    json.WriteStringValue(entry.Value);
                }

                json.WriteEndArray();
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        output.WriteLine(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
    }

    private IEnumerable<(string Key, string Value)> Lines()
    {
        var info = Module.Info;
        yield return ("filename", FileName);
        yield return ("compression", Module.Compression.ToString().ToLowerInvariant());
        yield return ("name", info.Name ?? "");
        yield return ("vermagic", info.Vermagic ?? "");
        yield return ("kernel_release", info.KernelRelease ?? "");
        yield return ("livepatch", info.IsLivepatch ? "Y" : "N");
        yield return ("license", info.License ?? "");
        yield return ("build_id", Module.BuildId?.Hex ?? "");
        if (Signature is null)
        {
            yield return ("sig_id", "");
            yield break;
        }

        yield return ("sig_id", "PKCS#7");
        yield return ("signer", Signature.SignerName ?? "");
        yield return ("sig_key", Signature.KeyId);
        yield return ("sig_hashalgo", Signature.HashAlgorithmLabel);
        yield return ("sig_algo", Signature.SignatureAlgorithm);
    }
}
