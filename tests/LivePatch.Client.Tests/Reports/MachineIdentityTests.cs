using System.Security.Cryptography;
using System.Text;
using LivePatch.Client.Reports;

namespace LivePatch.Client.Tests.Reports;

public sealed class MachineIdentityTests : IDisposable
{
    private const string MachineId = "0123456789abcdef0123456789abcdef";

    private readonly string _root = Directory.CreateTempSubdirectory("lpatch-machine-id-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void DeriveOrNull_TwoRepositoriesOneMachineId_TwoUnrelatedIds()
    {
        var path = Write(MachineId + "\n");

        var vendor = MachineIdentity.DeriveOrNull(path, new Uri("https://vendor.example/"), out _);
        var site = MachineIdentity.DeriveOrNull(path, new Uri("https://site.example/"), out _);

        Assert.NotEqual(vendor, site);
        Assert.Matches("^[0-9a-f]{64}$", vendor);
        Assert.DoesNotContain(MachineId, vendor + site, StringComparison.Ordinal);
    }

    [Fact]
    public void DeriveOrNull_IsSha256OfDomainUrlAndMachineId()
    {
        var expected = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{MachineIdentity.Domain}\0https://repo.example/lp/\0{MachineId}")));

        Assert.Equal(expected, MachineIdentity.DeriveOrNull(Write(MachineId + "\n"), new Uri("https://repo.example/lp"), out _));
    }

    [Theory]
    [InlineData("https://Repo.Example/lp")]
    [InlineData("https://repo.example/lp/")]
    [InlineData("https://repo.example:443/lp/")]
    public void DeriveOrNull_SpellingsOfOneUrl_OneId(string url)
    {
        var path = Write(MachineId);

        Assert.Equal(MachineIdentity.DeriveOrNull(path, new Uri("https://repo.example/lp/"), out _), MachineIdentity.DeriveOrNull(path, new Uri(url), out _));
    }

    [Theory]
    [InlineData("uninitialized\n")]
    [InlineData("")]
    [InlineData("0123456789ABCDEF0123456789ABCDEF\n")]
    [InlineData("0123456789abcdef0123456789abcde\n")]
    [InlineData("0123456789abcdef0123456789abcdef0\n")]
    public void DeriveOrNull_NotAMachineId_NullWithProblem(string content)
    {
        var id = MachineIdentity.DeriveOrNull(Write(content), new Uri("https://repo.example/"), out var problem);

        Assert.Null(id);
        Assert.Contains("machine id", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void DeriveOrNull_Missing_NullNamingThePath()
    {
        var path = Path.Combine(_root, "absent");

        Assert.Null(MachineIdentity.DeriveOrNull(path, new Uri("https://repo.example/"), out var problem));
        Assert.Contains(path, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void DeriveOrNull_EndlessFile_NullWithoutReadingIt()
    {
        var path = Write(new string('a', 1 << 20));

        Assert.Null(MachineIdentity.DeriveOrNull(path, new Uri("https://repo.example/"), out _));
    }

    private string Write(string content)
    {
        var path = Path.Combine(_root, $"machine-id-{Guid.NewGuid():N}");
        File.WriteAllText(path, content);
        return path;
    }
}
