using LivePatch.Core.Repository;
using Refit;

namespace LivePatch.Client;

/// <summary>The repository server's HTTP API (docs/api.md), implemented by Refit's source generator.</summary>
/// <remarks>
/// Write endpoints declare <c>Authorization: Bearer</c> without a token: the client fills in its API key there and only
/// there, so anonymous reads never carry the secret. Errors surface as <see cref="RepositoryApiException"/> (the server
/// answered with a problem) or <see cref="RepositoryUnreachableException"/> (it could not be reached).
/// </remarks>
public interface IRepositoryApi
{
    /// <summary>Publishes a module. Prefer <see cref="RepositoryApiExtensions.PublishAsync(IRepositoryApi, ModuleUpload, CancellationToken)"/>, which formats the fields.</summary>
    /// <remarks>Refit sends each element of an <see cref="IEnumerable{T}"/> part as its own part with the same name,
    /// which is how ASP.NET binds a repeated form field; a null part is left out (the server's default applies).</remarks>
    [Multipart]
    [Post("/v1/patches")]
    [Headers("Authorization: Bearer")]
    Task<PatchInfo> PublishAsync(
        [AliasAs("module")] ByteArrayPart module,
        [AliasAs("buildId")] IEnumerable<string> buildIds,
        [AliasAs("cve")] IEnumerable<string> cves,
        [AliasAs("channel")] string? channel,
        [AliasAs("level")] string? level,
        [AliasAs("severity")] string? severity,
        [AliasAs("description")] string? description,
        [AliasAs("replace")] string replace,
        CancellationToken cancellationToken = default);

    /// <summary>Publishes many modules in one request, all or none. Prefer
    /// <see cref="RepositoryApiExtensions.PublishBatchAsync(IRepositoryApi, IReadOnlyList{ModuleUpload}, CancellationToken)"/>,
    /// which writes the batch and names the parts.</summary>
    /// <param name="batch">The batch as JSON (<see cref="PublishBatch"/>), each patch naming its module part's file name.</param>
    /// <param name="modules">One part per module, each with its own file name.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    [Multipart]
    [Post("/v1/patches/batch")]
    [Headers("Authorization: Bearer")]
    Task<PublishedBatch> PublishBatchAsync(
        [AliasAs("batch")] string batch,
        [AliasAs("module")] IEnumerable<ByteArrayPart> modules,
        CancellationToken cancellationToken = default);

    /// <summary>One page of patches in id order (docs/api.md, "Listings"); <see cref="RepositoryListing.AllPatchesAsync"/> reads
    /// every page.</summary>
    /// <param name="buildId">Only this kernel's patches.</param>
    /// <param name="channel">Only patches in this channel.</param>
    /// <param name="after">The <c>next</c> of the page before; null for the first page.</param>
    /// <param name="limit">Patches per page, 1 to <see cref="PageLimits.MaxLimit"/>; null for the server's default.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    [Get("/v1/patches")]
    Task<ListPage<PatchInfo>> ListPatchesAsync(
        [AliasAs("buildId")] string? buildId = null,
        [AliasAs("channel")] string? channel = null,
        [AliasAs("after")] string? after = null,
        [AliasAs("limit")] int? limit = null,
        CancellationToken cancellationToken = default);

    [Get("/v1/patches/{id}")]
    Task<PatchInfo> GetPatchAsync(int id, CancellationToken cancellationToken = default);

    [Post("/v1/patches/{id}/promote")]
    [Headers("Authorization: Bearer")]
    Task<PatchInfo> PromoteAsync(int id, [Body] PromoteRequest request, CancellationToken cancellationToken = default);

    [Post("/v1/patches/{id}/revoke")]
    [Headers("Authorization: Bearer")]
    Task<PatchInfo> RevokeAsync(int id, [Body] RevokeRequest request, CancellationToken cancellationToken = default);

    /// <summary>Deletes a patch published in error (admin); answers the deleted patch. Hosts are not told: see docs/api.md.</summary>
    [Delete("/v1/patches/{id}")]
    [Headers("Authorization: Bearer")]
    Task<PatchInfo> DeletePatchAsync(int id, CancellationToken cancellationToken = default);

    /// <summary>One page of the kernels with patches, in build ID order; <see cref="RepositoryListing.AllKernelsAsync"/> reads
    /// every page.</summary>
    /// <param name="after">The <c>next</c> of the page before; null for the first page.</param>
    /// <param name="limit">Kernels per page, 1 to <see cref="PageLimits.MaxLimit"/>; null for the server's default.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    [Get("/v1/kernels")]
    Task<ListPage<KernelInfo>> ListKernelsAsync(
        [AliasAs("after")] string? after = null,
        [AliasAs("limit")] int? limit = null,
        CancellationToken cancellationToken = default);

    [Get("/v1/api-keys")]
    [Headers("Authorization: Bearer")]
    Task<IReadOnlyList<ApiKeyInfo>> ListApiKeysAsync(CancellationToken cancellationToken = default);

    [Post("/v1/api-keys")]
    [Headers("Authorization: Bearer")]
    Task<ApiKeyInfo> CreateApiKeyAsync([Body] CreateApiKeyRequest request, CancellationToken cancellationToken = default);

    [Delete("/v1/api-keys/{id}")]
    [Headers("Authorization: Bearer")]
    Task DeleteApiKeyAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>One page of the audit trail, newest first (admin; docs/api.md, "Audit trail").</summary>
    /// <param name="action">Only this action's entries (<c>publish</c>, <c>revoke</c>, …).</param>
    /// <param name="since">Only entries at or after this time (ISO 8601).</param>
    /// <param name="after">The <c>next</c> of the page before: entries older than that id.</param>
    /// <param name="limit">Entries per page, 1 to <see cref="PageLimits.MaxLimit"/>; null for the server's default.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    [Get("/v1/audit")]
    [Headers("Authorization: Bearer")]
    Task<ListPage<AuditEntry>> ListAuditAsync(
        [AliasAs("action")] string? action = null,
        [AliasAs("since")] string? since = null,
        [AliasAs("after")] string? after = null,
        [AliasAs("limit")] int? limit = null,
        CancellationToken cancellationToken = default);

    /// <summary>Imports a bundle (<c>lpatch mirror export</c>) into a site repository (admin): the server unpacks it within
    /// its limits and verifies everything against its vendor roots before storing anything (docs/mirrors.md).</summary>
    /// <remarks>The stream is sent as it is read, never buffered whole; a POST is retried only when it was never received
    /// (docs: RepositoryResilience).</remarks>
    [Post("/v1/upstream/import")]
    [Headers("Authorization: Bearer", "Content-Type: application/zstd")]
    Task<UpstreamSyncSummary> ImportBundleAsync([Body(BodySerializationMethod.Default)] Stream bundle, CancellationToken cancellationToken = default);

    /// <summary>Sends this host's report (reporter or admin key; docs/reports.md). Not retried by the pipeline: the caller
    /// decides (<see cref="Reports.HostReporter"/>).</summary>
    [Post("/v1/reports")]
    [Headers("Authorization: Bearer")]
    Task SendReportAsync([Body] HostReport report, CancellationToken cancellationToken = default);

    /// <summary>One page of the reporting hosts in machine id order (viewer or admin); <see cref="Reports.FleetListing.AllHostsAsync"/>
    /// reads every page.</summary>
    /// <param name="kernel">Only hosts running this build ID.</param>
    /// <param name="channel">Only hosts following this channel.</param>
    /// <param name="state">Only hosts whose first state is this one.</param>
    /// <param name="after">The <c>next</c> of the page before; null for the first page.</param>
    /// <param name="limit">Hosts per page, 1 to <see cref="PageLimits.MaxLimit"/>; null for the server's default.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    [Get("/v1/hosts")]
    [Headers("Authorization: Bearer")]
    Task<ListPage<HostInfo>> ListHostsAsync(
        [AliasAs("kernel")] string? kernel = null,
        [AliasAs("channel")] string? channel = null,
        [AliasAs("state")] string? state = null,
        [AliasAs("after")] string? after = null,
        [AliasAs("limit")] int? limit = null,
        CancellationToken cancellationToken = default);

    [Get("/v1/hosts/{machineId}")]
    [Headers("Authorization: Bearer")]
    Task<HostDetail> GetHostAsync(string machineId, CancellationToken cancellationToken = default);

    [Get("/v1/hosts/summary")]
    [Headers("Authorization: Bearer")]
    Task<FleetSummary> GetFleetSummaryAsync(CancellationToken cancellationToken = default);

    /// <summary>Which kernels have a fix for the CVE and which reporting hosts are exposed (viewer or admin).</summary>
    [Get("/v1/cves/{id}")]
    [Headers("Authorization: Bearer")]
    Task<CveExposure> GetCveAsync(string id, CancellationToken cancellationToken = default);

    [Get("/v1/patches/{id}/health")]
    [Headers("Authorization: Bearer")]
    Task<PatchHealth> GetPatchHealthAsync(int id, CancellationToken cancellationToken = default);

    /// <summary>The signed manifest (CMS, application/pkcs7-mime) for a channel and kernel build ID.</summary>
    /// <remarks>With <paramref name="ifNoneMatch"/> the server may answer 304: the host's copy is still current.</remarks>
    [Get("/v1/manifests/{channel}/{buildId}")]
    Task<HttpResponseMessage> GetManifestAsync(string channel, string buildId, [Header("If-None-Match")] string? ifNoneMatch = null,
        CancellationToken cancellationToken = default);

    /// <summary>The signed coverage bin (CMS) listing every kernel of a channel whose build ID starts with
    /// <paramref name="prefix"/> (two lowercase hex digits; docs/manifests.md, "Coverage bins").</summary>
    /// <remarks>Asked for after a manifest 404; ETag and 304 as for a manifest.</remarks>
    [Get("/v1/coverage/{channel}/{prefix}")]
    Task<HttpResponseMessage> GetCoverageBinAsync(string channel, string prefix, [Header("If-None-Match")] string? ifNoneMatch = null,
        CancellationToken cancellationToken = default);

    /// <summary>Module bytes by SHA-256; the caller streams and checks them against the manifest.</summary>
    /// <remarks><paramref name="range"/> (<c>bytes=N-</c>) resumes an interrupted download.</remarks>
    [Get("/v1/blobs/sha256/{sha256}")]
    Task<HttpResponseMessage> GetBlobAsync(string sha256, [Header("Range")] string? range = null, CancellationToken cancellationToken = default);

    /// <summary>The signed repository index (for mirrors).</summary>
    [Get("/v1/index")]
    Task<HttpResponseMessage> GetIndexAsync(CancellationToken cancellationToken = default);
}
