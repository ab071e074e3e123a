using ChargeLedger.Mqtt.Broker;
using ChargeLedger.Mqtt.External;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ChargeLedger.Mqtt;

public static class MqttRegistration
{
    /// <summary>
    /// The embedded broker (ChargeLedger:Mqtt:Enabled) and the external-broker consumer (ChargeLedger:Mqtt:ExternalBroker:Host),
    /// each a hosted service that idles when not configured. The write side registers <c>ITelemetryIngress</c>.
    /// </summary>
    public static IServiceCollection AddChargeLedgerMqtt(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<MqttOptions>(configuration.GetSection(MqttOptions.Section));
        services.AddMetrics();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<MqttMetrics>();
        services.AddSingleton<TelemetryAdapter>();
        services.AddSingleton<MqttBrokerEndpoints>();
        services.AddSingleton<EmbeddedBroker>();
        services.AddHostedService(sp => sp.GetRequiredService<EmbeddedBroker>());
        services.AddHostedService<ExternalBrokerConsumer>();
        return services;
    }

    /// <summary>
    /// The OCPP bridge (ChargeLedger:Mqtt:OcppBridge:Enabled): charge points behind EMQX's OCPP gateway, fed to the OCPP
    /// gateway's connections, so it needs <c>AddOcppGateway</c> and the ledger beside it.
    /// </summary>
    public static IServiceCollection AddOcppBridge(this IServiceCollection services)
    {
        services.AddHostedService<OcppBridge.OcppBridge>();
        return services;
    }
}
