using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ChargeLedger.Mqtt;
using MQTTnet;
using static ChargeLedger.Tests.Mqtt.MqttScenario;

namespace ChargeLedger.Tests.Mqtt;

public class BrokerTlsAndMetricsTests
{
    [Fact]
    public async Task a_configured_tls_listener_accepts_gateways_over_tls()
    {
        var pfx = Path.Combine(Path.GetTempPath(), $"chargeledger-mqtt-{Guid.NewGuid():N}.pfx");
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using (var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1)))
        {
            await File.WriteAllBytesAsync(pfx, certificate.Export(X509ContentType.Pkcs12, "pfx-pw"), TestContext.Current.CancellationToken);
        }

        try
        {
            await using var host = await MqttHost.StartAsync(new Dictionary<string, string?>
            {
                ["ChargeLedger:Mqtt:TlsPort"] = "0",
                ["ChargeLedger:Mqtt:CertificatePath"] = pfx,
                ["ChargeLedger:Mqtt:CertificatePassword"] = "pfx-pw",
            });
            var gateway = host.Ingress.AddGateway();
            host.TlsPort.ShouldNotBeNull().ShouldBeGreaterThan(0);
            host.TlsPort.ShouldNotBe(host.Port);

            var options = new MqttClientOptionsBuilder()
                .WithTcpServer("127.0.0.1", host.TlsPort)
                .WithClientId(gateway.GatewayId)
                .WithCredentials(gateway.GatewayId, "secret-pw")
                // The test's own self-signed certificate; a real gateway pins or trusts the operator's CA.
                .WithTlsOptions(o => o.UseTls().WithCertificateValidationHandler(_ => true))
                .WithTimeout(Patience)
                .Build();
            var (client, result) = await ConnectAsync(options);

            result.ResultCode.ShouldBe(MqttClientConnectResultCode.Success);
            await client.PublishAsync(gateway.Telemetry(), ValuesFormat());
            await host.Ingress.NextIngestedAsync(gateway.GatewayId);
        }
        finally
        {
            File.Delete(pfx);
        }
    }

    [Fact]
    public async Task counts_messages_values_rejections_and_refusals()
    {
        await using var host = await MqttHost.StartAsync();
        var meters = host.Service<IMeterFactory>();
        var measurements = new ConcurrentQueue<(string Instrument, double Value, string? Tag)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            // Only this host's meter: other tests run brokers in parallel.
            if (instrument.Meter.Name == MqttMetrics.MeterName && ReferenceEquals(instrument.Meter.Scope, meters))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            measurements.Enqueue((instrument.Name, value, tags.Length > 0 ? tags[0].Value?.ToString() : null)));
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) =>
            measurements.Enqueue((instrument.Name, value, tags.Length > 0 ? tags[0].Value?.ToString() : null)));
        listener.Start();
        var gateway = host.Ingress.AddGateway();

        await ConnectAsync(Options(host.Port, gateway.GatewayId, gateway.GatewayId, "wrong"));
        var client = await host.ConnectedGatewayAsync(gateway);
        await client.PublishAsync(gateway.Telemetry(), ValuesFormat());
        await client.PublishAsync(gateway.Telemetry(), "[]");
        await host.Ingress.NextIngestedAsync(gateway.GatewayId);
        await host.Ingress.NextRejectedAsync(gateway.GatewayId);

        measurements.ShouldContain(("chargeledger.mqtt.refused_connections", 1d, "BadUserNameOrPassword"));
        measurements.ShouldContain(("chargeledger.mqtt.messages", 1d, "Recorded"));
        measurements.ShouldContain(("chargeledger.mqtt.values", 3d, null));
        measurements.ShouldContain(("chargeledger.mqtt.rejected", 1d, "not_object"));
        measurements.ShouldContain(m => m.Instrument == "chargeledger.mqtt.ingest_ms" && m.Value >= 0);
    }
}
