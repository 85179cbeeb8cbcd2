namespace LivePatch.Client.Tests.Updates;

/// <summary>Set-up shared by the update-engine tests: a repository simulator on loopback and a host that trusts it,
/// fresh for every test.</summary>
public abstract class SimulatorTests(SimulatorPki pki) : IClassFixture<SimulatorPki>, IAsyncLifetime
{
    protected SimulatorPki Pki { get; } = pki;

    protected RepositorySimulator Sim { get; private set; } = null!;

    protected TestHost Host { get; private set; } = null!;

    public virtual async Task InitializeAsync()
    {
        Sim = await RepositorySimulator.StartAsync(Pki);
        Host = new TestHost(Pki, Sim.Url);
    }

    public async Task DisposeAsync()
    {
        await Sim.DisposeAsync();
        Host.Dispose();
    }
}
