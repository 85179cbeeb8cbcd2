using System.Net;
using LivePatch.Core.Repository;

namespace LivePatch.Server.Tests.Ui;

/// <summary>The audit trail page (Ui/Pages/Audit): the writes and refused keys, newest first, filtered by action.</summary>
public sealed partial class PagesTests
{
    [Fact]
    public async Task Audit_PublishRevokeAndRefusedKey_ShownNewestFirstWithWhoAndEncodedReason()
    {
        var patch = await PublishAsync(("buildId", Fixtures.BuildId));
        using (var admin = _factory.CreateClient(_factory.AdminKey))
        {
            await admin.PostAsJsonAsync($"/v1/patches/{patch.Id}/revoke", new RevokeRequest("<img src=x onerror=alert(1)> broken"));
        }

        using (var stranger = _factory.CreateClient("lpk_0123456789ab_not-a-real-secret"))
        {
            await stranger.GetAsync("/v1/api-keys");
        }

        using var browser = await SignedInAsync();

        var html = await browser.Http.GetStringAsync("/ui/audit");

        var (failed, revoke, publish) = (html.IndexOf(Row("auth-failed"), StringComparison.Ordinal), html.IndexOf(Row("revoke"), StringComparison.Ordinal),
            html.IndexOf(Row("publish"), StringComparison.Ordinal));
        Assert.True(failed >= 0 && revoke > failed && publish > revoke, "expected the refused key, then the revoke, then the publish");
        Assert.Contains("bootstrap-admin", html);
        Assert.Contains($"href=\"/ui/patch/{patch.Id}\"", html);
        Assert.Contains("reason: &lt;img src=x onerror=alert(1)&gt; broken", html);
        Assert.DoesNotContain("<img", html);
        Assert.DoesNotContain("not-a-real-secret", html);
    }

    [Fact]
    public async Task Audit_FilteredByAction_OnlyThatAction()
    {
        await PublishAsync(("buildId", Fixtures.BuildId));
        using var browser = await SignedInAsync();

        var html = await browser.Http.GetStringAsync("/ui/audit?action=revoke");

        Assert.DoesNotContain(Row("publish"), html);
        Assert.Contains("Nothing recorded yet.", html);
    }

    /// <summary>An entry's action cell (the filter bar names every action too).</summary>
    private static string Row(string action) => $"<td class=\"mono\">{action}</td>";

    [Fact]
    public async Task Audit_UnknownAction_ProblemShownAs400()
    {
        using var browser = await SignedInAsync();

        using var response = await browser.Http.GetAsync("/ui/audit?action=%3Cscript%3E");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("role=\"alert\"", await response.Content.ReadAsStringAsync());
        Assert.DoesNotContain("<script>", await response.Content.ReadAsStringAsync());
    }
}
