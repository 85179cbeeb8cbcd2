var app = WebApplication.CreateBuilder(args).Build();
app.Run();

/// <summary>The server's entry point; public so integration tests can start it with WebApplicationFactory.</summary>
public partial class Program;
