using System.Net.Http.Headers;

namespace LivePatch.Server.Tests;

/// <summary>The build IDs the server tests publish for and helpers to upload fixture modules (files: <see cref="FixtureFiles"/>).</summary>
internal static class Fixtures
{
    public const string BuildId = "4a5a9b0affb66c437abcd455d2738af879985fa9";
    public const string OtherBuildId = "1f2e3d4c5b6a798897a6b5c4d3e2f1000f1e2d3c";

    /// <summary>The multipart form of POST /v1/patches.</summary>
    public static MultipartFormDataContent Upload(byte[] module, params (string Key, string Value)[] fields)
    {
        var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(module);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        form.Add(file, "module", "module.ko");
        foreach (var (key, value) in fields)
        {
            form.Add(new StringContent(value), key);
        }

        return form;
    }

    public static MultipartFormDataContent Upload(string fixture, params (string Key, string Value)[] fields) => Upload(FixtureFiles.Module(fixture), fields);

    public static MultipartFormDataContent Upload(string fixture) => Upload(fixture, ("buildId", BuildId));
}
