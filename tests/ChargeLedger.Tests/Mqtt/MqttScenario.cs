using System.Globalization;
using System.Text;
using ChargeLedger.Mqtt;
using ChargeLedger.Mqtt.Broker;
using ChargeLedger.Telemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace ChargeLedger.Tests.Mqtt;

/// <summary>The MQTT side alone in a generic host (no database), with a <see cref="FakeTelemetryIngress"/> behind it.</summary>
public sealed class MqttHost : IAsyncDisposable
{
    private readonly IHost _host;
    private MemoryLoggerProvider _log = null!;

    private MqttHost(IHost host, FakeTelemetryIngress ingress)
    {
        _host = host;
        Ingress = ingress;
    }

    public FakeTelemetryIngress Ingress { get; }

    /// <summary>Everything the host logged, for failure messages.</summary>
    public string Log => _log.Text;

    public int Port => _host.Services.GetRequiredService<MqttBrokerEndpoints>().Port;

    public int? TlsPort => _host.Services.GetRequiredService<MqttBrokerEndpoints>().TlsPort;

    public T Service<T>() where T : notnull => _host.Services.GetRequiredService<T>();

    public static async Task<MqttHost> StartAsync(IDictionary<string, string?>? settings = null, Action<FakeTelemetryIngress>? prepare = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ChargeLedger:Mqtt:Port"] = "0",
            ["ChargeLedger:Mqtt:BindAddress"] = "127.0.0.1",
        });
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }

        var log = new MemoryLoggerProvider();
        builder.Logging.AddProvider(log).SetMinimumLevel(LogLevel.Information);
        var ingress = new FakeTelemetryIngress();
        prepare?.Invoke(ingress);
        builder.Services.AddSingleton<ITelemetryIngress>(ingress);
        builder.Services.AddChargeLedgerMqtt(builder.Configuration);
        var host = builder.Build();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await host.StartAsync(timeout.Token);
        return new MqttHost(host, ingress) { _log = log };
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        await _host.StopAsync(timeout.Token);
        _host.Dispose();
    }
}

public static class MqttScenario
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    public static MqttClientOptions Options(int port, string? clientId, string? username, string? password,
        MqttProtocolVersion version = MqttProtocolVersion.V500)
    {
        var builder = new MqttClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", port)
            .WithProtocolVersion(version)
            .WithTimeout(Patience);
        if (clientId is not null)
        {
            builder.WithClientId(clientId);
        }

        if (username is not null)
        {
            builder.WithCredentials(username, password);
        }

        return builder.Build();
    }

    /// <summary>Connects and returns the client with its CONNACK result (a refused client is returned disconnected).</summary>
    public static async Task<(IMqttClient Client, MqttClientConnectResult Result)> ConnectAsync(MqttClientOptions options)
    {
        var client = new MqttClientFactory().CreateMqttClient();
        using var timeout = new CancellationTokenSource(Patience);
        var result = await client.ConnectAsync(options, timeout.Token);
        return (client, result);
    }

    /// <summary>A gateway connected with its own credentials (client id = username = gateway id).</summary>
    public static async Task<IMqttClient> ConnectedGatewayAsync(this MqttHost host, GatewayIdentity gateway, string password = "secret-pw",
        MqttProtocolVersion version = MqttProtocolVersion.V500)
    {
        var (client, result) = await ConnectAsync(Options(host.Port, gateway.GatewayId, gateway.GatewayId, password, version));
        result.ResultCode.ShouldBe(MqttClientConnectResultCode.Success);
        return client;
    }

    public static async Task<MqttClientPublishResult> PublishAsync(this IMqttClient client, string topic, string payload)
    {
        using var timeout = new CancellationTokenSource(Patience);
        return await client.PublishAsync(Message(topic, Encoding.UTF8.GetBytes(payload)), timeout.Token);
    }

    public static MqttApplicationMessage Message(string topic, byte[] payload) => new MqttApplicationMessageBuilder()
        .WithTopic(topic)
        .WithPayload(payload)
        .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
        .Build();

    public static string Telemetry(this GatewayIdentity gateway) => gateway.TopicPrefix + "/modbus/grp";

    public static string ValuesFormat(long timestamp = 1650006388943, string node = "meter-1", decimal importWh = 123456) =>
        string.Create(CultureInfo.InvariantCulture,
            $$$"""{"timestamp":{{{timestamp}}},"node":"{{{node}}}","group":"grp","values":{"import_wh":{{{importWh}}},"temp_c":41.5},"errors":{"voltage":2014}}""");

    public static string TagsFormat(long timestamp = 1650006388943) =>
        string.Create(CultureInfo.InvariantCulture,
            $$"""{"timestamp":{{timestamp}},"node":"meter-2","group":"grp","tags":[{"name":"tag0","value":123},{"name":"tag1","error":2014},{"name":"on","value":true}]}""");

    /// <summary>Waits until the condition holds, checking every 20 ms, for at most <see cref="Patience"/>.</summary>
    public static async Task Eventually(Func<bool> condition)
    {
        using var deadline = new CancellationTokenSource(Patience);
        while (!condition())
        {
            // Polling a condition with a deadline, not a sleep standing in for synchronisation.
            await Task.Delay(20, deadline.Token);
        }
    }

    /// <summary>Completes when the client has been disconnected, waiting at most <see cref="Patience"/>.</summary>
    public static Task WhenDisconnectedAsync(this IMqttClient client)
    {
        var disconnected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        client.DisconnectedAsync += _ =>
        {
            disconnected.TrySetResult();
            return Task.CompletedTask;
        };
        if (!client.IsConnected)
        {
            disconnected.TrySetResult();
        }

        return disconnected.Task.WaitAsync(Patience);
    }
}

/// <summary>Keeps a host's log lines in memory so a failing test can show them.</summary>
public sealed class MemoryLoggerProvider : ILoggerProvider
{
    private readonly System.Text.StringBuilder _lines = new();

    public string Text
    {
        get
        {
            lock (_lines)
            {
                return _lines.ToString();
            }
        }
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(MemoryLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (provider._lines)
            {
                provider._lines.Append(CultureInfo.InvariantCulture, $"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel} {category}: {formatter(state, exception)}").AppendLine();
                if (exception is not null)
                {
                    provider._lines.AppendLine(exception.ToString());
                }
            }
        }
    }
}
