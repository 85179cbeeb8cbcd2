using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace LivePatch.Server.Ui.Pages;

/// <summary>Ends the session: POST only, with the antiforgery token of the layout's form, so another site cannot log an
/// operator out.</summary>
public sealed class LogoutModel(ILogger<LogoutModel> logger) : PageModel
{
    public IActionResult OnGet() => RedirectToPage("/Index");

    public async Task<IActionResult> OnPostAsync()
    {
        logger.LogInformation("Dashboard logout: API key '{Name}'", User.Identity?.Name);
        await HttpContext.SignOutAsync(DashboardSessions.Scheme);
        return RedirectToPage("/Login");
    }
}
