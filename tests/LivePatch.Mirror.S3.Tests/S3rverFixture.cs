using Amazon.Runtime;

namespace LivePatch.Mirror.S3.Tests;

/// <summary>One s3rver for a test class (starting node takes about a second); each test writes under its own prefix.</summary>
public sealed class S3rverFixture : IAsyncLifetime
{
    public const string Bucket = "lpatch-mirror";

    private S3rverProcess? _server;

    public S3rverProcess Server => _server ?? throw new InvalidOperationException("not started");

    /// <summary>What <c>lpatch</c> would read from AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.</summary>
    public S3Settings Settings => new()
    {
        Endpoint = Server.Endpoint,
        Credentials = new BasicAWSCredentials(S3rverProcess.AccessKeyId, S3rverProcess.SecretAccessKey),
    };

    /// <summary>A target under a prefix no other test uses.</summary>
    public S3MirrorTarget Target(out string prefix, int pageSize = S3MirrorTarget.MaxPageSize)
    {
        prefix = $"lp/{Guid.NewGuid():N}";
        return S3MirrorTarget.Create(S3Location.Parse($"s3://{Bucket}/{prefix}"), Settings, pageSize);
    }

    public async Task InitializeAsync() => _server = await S3rverProcess.StartAsync(Bucket);

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
