using LivePatch.Core.Keys;
using Microsoft.Extensions.Time.Testing;

namespace LivePatch.Core.Tests.Keys;

/// <summary>One generated hierarchy per test class: RSA 4096 generation takes about a second.</summary>
public sealed class DevelopmentKeysFixture : IDisposable
{
    public static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    public KeyHierarchy Keys { get; } = DevelopmentKeys.Generate(new FakeTimeProvider(Now));

    public void Dispose() => Keys.Dispose();
}
