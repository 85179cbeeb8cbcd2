using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace LivePatch.EndToEnd.Tests;

/// <summary>
/// What "stored" means for the server, watched with strace on the real server process: whatever LiteDB wrote to its log
/// before an answer is sent has been fsynced by then. LiteDB 5 itself never fsyncs its log, so without that a publish, a
/// revoke or an API key's deletion the caller was told succeeded could be gone after a power cut.
/// </summary>
public sealed partial class ServerDurabilityTests : IDisposable
{
    private const string BuildId = "5b5a9b0affb66c437abcd455d2738af879985fa9";
    private readonly string _root = Directory.CreateTempSubdirectory("lpatch-server-durable-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task EveryAnswer_ComesAfterAnFsyncOfTheDatabaseLogItsWritesWentTo()
    {
        var trace = Path.Combine(_root, "strace.txt");
        var data = Path.Combine(_root, "data");
        var settings = new Dictionary<string, string> { ["LivePatch__ModuleKeyring__0"] = FixtureFiles.PathOf("keys", "rsa2048.pem") };
        string[] strace = ["strace", "-f", "-qq", "-y", "-s", "16", "-e", "trace=write,pwrite64,pwritev,writev,sendto,sendmsg,fsync,fdatasync", "-o", trace];
        using (var server = new ServerProcess(data, settings, strace))
        {
            await server.StartAsync();
            using var http = new HttpClient { BaseAddress = new Uri(server.Url) };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", server.AdminKey);

            // An API key made, a patch published and revoked, the key deleted: four answered writes.
            using var key = await http.PostAsJsonAsync("/v1/api-keys", new { name = "vendor-ci", role = "publisher" });
            Assert.Equal(HttpStatusCode.Created, key.StatusCode);
            var keyId = (await key.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();
            var module = await File.ReadAllBytesAsync(FixtureFiles.PathOf("modules", "lp_sample.rsa2048-sha256.ko"));
            using var published = await http.PostAsync("/v1/patches", PublishForm.Create(module, [BuildId]));
            Assert.Equal(HttpStatusCode.Created, published.StatusCode);
            var patchId = (await published.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt32();
            using var revoked = await http.PostAsJsonAsync($"/v1/patches/{patchId}/revoke", new { reason = "withdrawn by the test" });
            Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
            using var deleted = await http.DeleteAsync($"/v1/api-keys/{keyId}");
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        } // the server stopped, strace has written the whole trace

        var calls = Calls(File.ReadAllLines(trace));
        var log = $"<{Path.Combine(data, "repository-log.db")}>";
        var logWrites = Positions(calls, c => c.Name.StartsWith("write", StringComparison.Ordinal) || c.Name.StartsWith("pwrite", StringComparison.Ordinal), log);
        var logSyncs = Positions(calls, c => c.Name is "fsync" or "fdatasync" && c.Result == "0", log);
        var answers = calls.Where(c => c.Name is "write" or "writev" or "sendto" or "sendmsg" && c.Args.Contains("\"HTTP/1.1 ", StringComparison.Ordinal)).ToList();
        Assert.True(logWrites.Count > 0, "LiteDB wrote nothing to its log:\n" + string.Join('\n', calls.Take(200)));
        Assert.Equal(3, answers.Count(a => a.Args.Contains("HTTP/1.1 201", StringComparison.Ordinal) || a.Args.Contains("HTTP/1.1 204", StringComparison.Ordinal)));

        // Every answer, the writes' and the health checks' alike: no write to the log before it is left unsynced.
        foreach (var answer in answers)
        {
            var lastWrite = logWrites.Where(w => w < answer.Position).DefaultIfEmpty(-1).Max();
            Assert.True(lastWrite < 0 || logSyncs.Any(s => s > lastWrite && s < answer.Position),
                $"answer at trace line {answer.Position} ({answer.Args}) went out with the log write at line {lastWrite} not fsynced");
        }
    }

    /// <summary>Where the calls of a kind on <paramref name="file"/> (its descriptor, as strace -y prints it, first) are.</summary>
    private static List<int> Positions(List<Call> calls, Func<Call, bool> kind, string file)
    {
        var onFile = new Regex("^\\d+" + Regex.Escape(file) + "(,|$)");
        return [.. calls.Where(c => kind(c) && onFile.IsMatch(c.Args)).Select(c => c.Position)];
    }

    /// <summary>The traced calls in order. A call another thread interrupted (<c>&lt;unfinished …&gt;</c>) counts where it
    /// ends for an fsync (done means flushed) and where it starts for anything else.</summary>
    private static List<Call> Calls(string[] lines)
    {
        var calls = new List<Call>();
        var unfinished = new Dictionary<string, (string Name, string Args)>();
        for (var i = 0; i < lines.Length; i++)
        {
            if (Complete().Match(lines[i]) is { Success: true } done)
            {
                calls.Add(new Call(i, done.Groups["name"].Value, done.Groups["args"].Value, done.Groups["result"].Value));
            }
            else if (Unfinished().Match(lines[i]) is { Success: true } start)
            {
                var (pid, name, args) = (start.Groups["pid"].Value, start.Groups["name"].Value, start.Groups["args"].Value);
                unfinished[pid] = (name, args);
                if (name is not ("fsync" or "fdatasync"))
                {
                    calls.Add(new Call(i, name, args, "?"));
                }
            }
            else if (Resumed().Match(lines[i]) is { Success: true } end && unfinished.Remove(end.Groups["pid"].Value, out var begun)
                && begun.Name is "fsync" or "fdatasync")
            {
                calls.Add(new Call(i, begun.Name, begun.Args, end.Groups["result"].Value));
            }
        }

        return calls;
    }

    private sealed record Call(int Position, string Name, string Args, string Result);

    // "123 fsync(21</tmp/x/repository-log.db>) = 0"
    [GeneratedRegex(@"^(?<pid>\d+)\s+(?<name>\w+)\((?<args>.*)\)\s+=\s+(?<result>-?\d+)")]
    private static partial Regex Complete();

    // "123 fsync(21</tmp/x/repository-log.db> <unfinished ...>"
    [GeneratedRegex(@"^(?<pid>\d+)\s+(?<name>\w+)\((?<args>.*?)\s*<unfinished \.\.\.>$")]
    private static partial Regex Unfinished();

    // "123 <... fsync resumed>) = 0"
    [GeneratedRegex(@"^(?<pid>\d+)\s+<\.\.\. (?<name>\w+) resumed>.*\)\s+=\s+(?<result>-?\d+)")]
    private static partial Regex Resumed();
}
