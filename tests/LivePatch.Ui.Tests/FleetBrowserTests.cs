using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace LivePatch.Ui.Tests;

/// <summary>The operator's walk through the fleet (issue 15, "Operators"): two hosts run the real lpatch with reports on
/// against the real server, then an operator with a viewer key finds them in the dashboard in headless Chromium.</summary>
[Collection(DashboardFixture.Collection)]
public sealed class FleetBrowserTests(DashboardFixture fixture, ITestOutputHelper output) : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("lpatch-ui-hosts-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task Fleet_TwoHostsReport_ViewerSeesTheirStatesTheCveExposureAndAHost()
    {
        // Two hosts, each with its own machine-id file and state folder, following the channel the fixture's patch is in:
        // one applies it, the other only checks (and is therefore behind, and exposed to the patch's CVE).
        var (_, reporter) = await fixture.CreateKeyAsync("fleet-hosts", "reporter");
        var patched = RunHost("web-01", "apply", reporter, hostname: true);
        var behind = RunHost("web-02", "check", reporter, hostname: false);
        var (_, viewer) = await fixture.CreateKeyAsync("ops-bob", "viewer");
        await using var context = await fixture.NewContextAsync();
        var page = await context.NewPageAsync();

        await page.GotoAsync("/ui");
        await DashboardFixture.LogInAsync(page, viewer);
        await Expect(page.Locator("header")).ToContainTextAsync("ops-bob (viewer)");
        await Expect(page.Locator("section.facts a[href='/ui/hosts']")).ToHaveTextAsync("2");
        await Expect(page.Locator("section.facts a[href='/ui/hosts?state=patched']")).ToHaveTextAsync("1");
        await Expect(page.Locator("section.facts a[href='/ui/hosts?state=behind']")).ToHaveTextAsync("1");
        await ScreenshotAsync(page, "fleet-01-summary");

        await page.Locator("section.facts a[href='/ui/hosts']").ClickAsync();
        await Expect(HostRow(page, patched)).ToContainTextAsync("patched");
        await Expect(HostRow(page, behind)).ToContainTextAsync("behind");
        await Expect(HostRow(page, behind)).ToContainTextAsync("would-apply");
        await Expect(HostRow(page, patched)).ToContainTextAsync("lp_sample level 1");
        await ScreenshotAsync(page, "fleet-02-hosts");

        await page.GetByLabel("State").SelectOptionAsync("patched");
        await page.GetByRole(AriaRole.Button, new() { Name = "Show" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex(@"/ui/hosts\?state=patched&kernel=&channel=$"));
        await Expect(page.Locator("tbody tr")).ToHaveCountAsync(1);
        await Expect(HostRow(page, patched)).ToBeVisibleAsync();

        await page.GetByRole(AriaRole.Link, new() { Name = "CVE exposure" }).ClickAsync();
        await page.GetByLabel("CVE id").FillAsync(DashboardFixture.Cve);
        await page.GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 2 }).First)
            .ToHaveTextAsync($"{DashboardFixture.Cve}: 1 of 2 reporting hosts fixed, 1 exposed");
        await Expect(page.Locator($"a[href='/ui/kernel/{DashboardFixture.BuildId}']")).ToBeVisibleAsync();
        await Expect(page.Locator($"a[href='/ui/patch/{fixture.PatchId}']")).ToBeVisibleAsync();
        await ScreenshotAsync(page, "fleet-03-cve");

        // The exposed host sent no name: the page names it by the start of its machine id, and links to it.
        await page.GetByRole(AriaRole.Link, new() { Name = behind[..12] }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex($"/ui/host/{behind}$"));
        await Expect(page.Locator("main dl").First).ToContainTextAsync("behind");
        await Expect(page.Locator("main")).ToContainTextAsync("Recent reports (1, newest first)");
        await Expect(page.Locator("main")).ToContainTextAsync("check: would-apply");
        await ScreenshotAsync(page, "fleet-04-host");

        await page.GetByRole(AriaRole.Button, new() { Name = "Log out" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("/ui/login$"));
        await page.GotoAsync($"/ui/host/{behind}");
        await Expect(page).ToHaveURLAsync(new Regex(@"/ui/login\?ReturnUrl="));
    }

    /// <summary>Runs lpatch <paramref name="command"/> as a host of its own (a machine-id file, state and stage folders under
    /// this test's folder) with reports on; returns the machine id it reported under, as <c>lpatch status</c> shows it.</summary>
    private string RunHost(string name, string command, string reporterKey, bool hostname)
    {
        var root = Directory.CreateDirectory(Path.Combine(_root, name)).FullName;
        var config = HostConfig.Write(root, [fixture.Server.Url], fixture.Server.Keys("root.pem"),
            new { kind = "stage", stageDirectory = Path.Combine(root, "stage") }, channel: "candidate");
        HostConfig.AddReport(config, root, $"{fixture.Server.Url}/", reporterKey, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)), hostname);

        var run = Lpatch.Run(command, "--config", config);
        Assert.True(run.Exit == 0 && !run.Error.Contains("warning", StringComparison.Ordinal), $"lpatch {command}: {run}\nserver:\n{fixture.Server.Log}");
        using var status = JsonDocument.Parse(Lpatch.Run("status", "--json", "--config", config).Output);
        var report = status.RootElement.GetProperty("report");
        Assert.Equal("sent", report.GetProperty("outcome").GetString());
        return report.GetProperty("machineId").GetString()!;
    }

    private static ILocator HostRow(IPage page, string machineId) => page.Locator("tbody tr", new() { Has = page.Locator($"a[href='/ui/host/{machineId}']") });

    private Task ScreenshotAsync(IPage page, string name) => DashboardFixture.ScreenshotAsync(page, name, output);
}
