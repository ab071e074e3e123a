using System.Text.Json.Serialization;
using ChargeLedger;
using ChargeLedger.Access;
using ChargeLedger.Host.Dashboard;
using ChargeLedger.Host.Migrations;
using ChargeLedger.Ledger;
using ChargeLedger.Mqtt;
using ChargeLedger.Ocpp.Gateway;
using ChargeLedger.Projections;
using ChargeLedger.Shared;
using ChargeLedger.Telemetry;
using ChargeLedger.Transactions;
using JasperFx;
using JasperFx.CodeGeneration;
using JasperFx.Events;
using Marten;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql;
using OpenTelemetry.Metrics;
using Weasel.Core;
using Wolverine;
using Wolverine.Http;
using Wolverine.Marten;

[assembly: JasperFx.JasperFxAssembly]

namespace ChargeLedger.Host;

public static class Program
{
    public const string EventStoreSchema = "chargeledger";
    public const string MessageStoreSchema = "wolverine";

    public static Task<int> Main(string[] args) => BuildApp(args).RunJasperFxCommands(args);

    /// <summary>The whole platform; tests call this with their own configuration and start it on a free port.</summary>
    public static WebApplication BuildApp(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        // appsettings.json is read from beside the host's assembly, not from the working directory: ops/run.sh and the
        // benchmark launch the built dll from the repository root, where the defaults (log levels among them) went unread.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        // With the content root in bin/, `codegen write` (ops/build-host.sh) climbs to the project directory for its
        // Internal/Generated output, which the static build then compiles in.
        builder.Services.CritterStackDefaults(x => x.AutoResolveProjectRoot = true);
        builder.WebHost.UseUrls(builder.Configuration["urls"] ?? builder.Configuration["ASPNETCORE_URLS"] ?? "http://127.0.0.1:8080");
        configure?.Invoke(builder);

        var configuration = builder.Configuration;
        var services = builder.Services;
        var connectionString = configuration.GetConnectionString("Marten")
            ?? throw new InvalidOperationException("ConnectionStrings:Marten is not set (env ConnectionStrings__Marten); ops/run.sh sets it for a local cluster.");

        var dataSourceBuilder = new NpgsqlDataSourceBuilder(connectionString) { Name = "chargeledger" };
        if (!connectionString.Contains("Auto Prepare", StringComparison.OrdinalIgnoreCase))
        {
            // The ledger's statements repeat endlessly (quick-append calls, document inserts); preparing them saves
            // PostgreSQL's parse and plan on every commit (commit p50 3.7 -> 2.1 ms at 1,600 calls/s, README).
            // Behind PgBouncer in transaction mode set "Max Auto Prepare=0" in the connection string.
            dataSourceBuilder.ConnectionStringBuilder.MaxAutoPrepare = 64;
            dataSourceBuilder.ConnectionStringBuilder.AutoPrepareMinUsages = 2;
        }

        if (!connectionString.Contains("Pool Size", StringComparison.OrdinalIgnoreCase))
        {
            // Npgsql's default of 100 equals PostgreSQL's default max_connections: one busy node could take every
            // connection (seen under 200 charge points: even psql was refused). Work beyond a few dozen concurrent
            // statements only queues inside PostgreSQL anyway; here it queues in the pool instead.
            dataSourceBuilder.ConnectionStringBuilder.MaxPoolSize = 40;
        }

        var dataSource = dataSourceBuilder.Build();
        services.AddSingleton(dataSource);
        var storeConnectionString = dataSourceBuilder.ConnectionStringBuilder.ConnectionString;
        services.AddSingleton(_ => new LedgerConnections(storeConnectionString));
        // TryAdd: a test host may have registered a FakeTimeProvider first (STYLE.md: time in tests is set, never waited for).
        services.TryAddSingleton(TimeProvider.System);

        // Registered first so it runs before Marten's and Wolverine's hosted services touch the schema.
        services.AddSingleton<MigrationRunner>();
        services.AddHostedService<MigrateOnStartup>();

        services.Configure<OcppOptions>(configuration.GetSection(OcppOptions.Section));
        services.Configure<LedgerWriterOptions>(configuration.GetSection("ChargeLedger:Ledger"));
        services.Configure<TelemetryOptions>(configuration.GetSection(TelemetryOptions.Section));
        services.Configure<ChargeLedger.Commands.CommandRelayOptions>(o =>
        {
            configuration.GetSection("ChargeLedger:Commands").Bind(o);
            // With several nodes a command must reach whichever node holds the charge point's socket.
            o.Enabled = ClusterSettings.From(configuration).Mode != ClusterMode.Solo;
        });
        services.AddChargeLedgerWriteSide(configuration.GetValue("ChargeLedger:Security:PasswordIterations", PasswordHasher.DefaultIterations),
            PasswordVerifierKey.Load(configuration["ChargeLedger:Security:VerifierKey"], configuration["ChargeLedger:Security:VerifierKeyFile"]));
        services.AddOcppGateway();
        services.AddChargeLedgerMqtt(configuration);
        services.AddOcppBridge();

        var cluster = ClusterSettings.From(configuration);
        services.AddSingleton(cluster);

        services.AddMarten(opts =>
            {
                opts.Connection(dataSource);
                opts.DatabaseSchemaName = EventStoreSchema;
                opts.AutoCreateSchemaObjects = AutoCreate.None;
                opts.UseSystemTextJsonForSerialization(EnumStorage.AsString, Casing.CamelCase,
                    configure: json => json.Converters.Add(new UtcTimestampConverter()));
                opts.Events.StreamIdentity = StreamIdentity.AsString;
                opts.Events.AppendMode = EventAppendMode.QuickWithServerTimestamps;
                opts.Events.MetadataConfig.HeadersEnabled = true;
                opts.Events.MetadataConfig.CorrelationIdEnabled = true;
                opts.Events.MetadataConfig.CausationIdEnabled = true;
                opts.AddChargeLedgerWriteModel();
                opts.AddChargeLedgerProjections();
                cluster.Apply(opts);
            })
            .UseLightweightSessions()
            .IntegrateWithWolverine(w =>
            {
                w.MessageStorageSchemaName = MessageStoreSchema;
                w.AutoCreate = AutoCreate.None;
            })
            // Prices every stopped transaction from the event store, at least once, progress kept in PostgreSQL.
            .SubscribeToEventsWithServices<TransactionPricingSubscription>(ServiceLifetime.Singleton)
            // Solo: every projection and subscription runs here. HotCold (ops/cluster.md): each shard runs on the one node
            // holding its PostgreSQL advisory lock; the others poll for it and take over when it is released.
            .AddAsyncDaemon(cluster.DaemonMode);
        services.AddChargeLedgerProjectionAdmin();
        services.AddHealthChecks().AddCheck<DatabaseHealthCheck>(DatabaseHealthCheck.Name);

        builder.Host.UseWolverine(opts =>
        {
            opts.Discovery.IncludeAssembly(typeof(LedgerRegistration).Assembly);
            opts.Discovery.IncludeAssembly(typeof(ProjectionRegistration).Assembly);
            opts.Policies.AutoApplyTransactions();
            opts.AutoBuildMessageStorageOnStartup = AutoCreate.None;
            opts.Durability.Mode = DurabilityMode.Solo;
            opts.CodeGeneration.TypeLoadMode = configuration.GetValue("ChargeLedger:CodeGeneration", TypeLoadMode.Dynamic);
        });

        services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<ApiKeyOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, o =>
            {
                foreach (var key in configuration.GetSection("ChargeLedger:ApiKeys").GetChildren())
                {
                    o.Keys[key.Key] = key.Get<ApiKeyEntry>() ?? new ApiKeyEntry();
                }
            });
        services.AddAuthorization();
        services.AddWolverineHttp();
        services.AddOpenApi();
        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.Converters.Add(new JsonStringEnumConverter());
            o.SerializerOptions.Converters.Add(new UtcTimestampConverter());
        });
        services.AddProblemDetails();
        // Prometheus scrapes GET /metrics (open, like the health endpoints: counts and timings, no business data).
        services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter("ChargeLedger.*")
            .AddAspNetCoreInstrumentation()
            .AddRuntimeInstrumentation()
            .AddPrometheusExporter());

        var app = builder.Build();
        app.UseWebSockets();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapOcppGateway();
        app.MapHealthEndpoints();
        app.MapPrometheusScrapingEndpoint("/metrics");
        app.MapDashboard();
        app.MapOpenApi();
        app.MapWolverineEndpoints(http =>
        {
            http.RequireAuthorizeOnAll();
            // "?from=yesterday" is a 400, not a silently ignored filter.
            http.RejectUnparseableQueryValues = true;
        });
        return app;
    }
}
