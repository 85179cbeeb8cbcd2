using Microsoft.AspNetCore.Mvc.ApplicationModels;

namespace LivePatch.Server.Ui;

/// <summary>Puts every page of Ui/Pages under <c>/ui</c>, in lowercase: <c>Kernels.cshtml</c> answers <c>/ui/kernels</c>,
/// <c>Patch.cshtml</c> with <c>@page "{id:int}"</c> answers <c>/ui/patch/42</c>.</summary>
public sealed class DashboardRoutes : IPageRouteModelConvention
{
    public const string Prefix = "ui";

    public void Apply(PageRouteModel model)
    {
        foreach (var selector in model.Selectors.Where(s => s.AttributeRouteModel is not null))
        {
            // Route parameter names match case-insensitively, so lowercasing "{buildId}" changes nothing but the URL's look.
            var template = selector.AttributeRouteModel!.Template?.ToLowerInvariant();
            selector.AttributeRouteModel.Template = AttributeRouteModel.CombineTemplates(Prefix, template);
        }
    }
}
