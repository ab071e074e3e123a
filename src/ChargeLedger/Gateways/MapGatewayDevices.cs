using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Serialization;
using ChargeLedger.Access;
using ChargeLedger.Ledger;
using ChargeLedger.Shared;
using ChargeLedger.Telemetry;
using FluentValidation;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace ChargeLedger.Gateways;

/// <summary>
/// PUT /api/gateways/{id}/devices: the gateway's whole device map (CONTRACT.md MQTT), replacing the previous one. The body
/// is the bare JSON array of the contract; validation errors name "devices[i].field".
/// </summary>
[JsonConverter(typeof(Converter))]
public sealed record MapGatewayDevices(IReadOnlyList<DeviceMapping> Devices)
{
    public sealed class Converter : JsonConverter<MapGatewayDevices>
    {
        public override MapGatewayDevices Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            new(JsonSerializer.Deserialize<List<DeviceMapping>>(ref reader, options) ?? throw new JsonException("Expected an array of device mappings."));

        public override void Write(Utf8JsonWriter writer, MapGatewayDevices value, JsonSerializerOptions options) =>
            JsonSerializer.Serialize(writer, value.Devices, options);
    }

    public const int MaxDevices = 10_000;

    public sealed class Validator : AbstractValidator<MapGatewayDevices>
    {
        public Validator()
        {
            RuleFor(x => x.Devices).NotNull().Must(d => d.Count <= MaxDevices).WithMessage($"At most {MaxDevices} tags per gateway.");
            RuleForEach(x => x.Devices).NotNull().ChildRules(device =>
            {
                device.RuleFor(d => d.Node).NotEmpty().MaximumLength(128);
                device.RuleFor(d => d.Tag).NotEmpty().MaximumLength(128);
                device.RuleFor(d => d.DeviceId).MustBeLedgerId();
                device.RuleFor(d => d.Kind).NotEmpty().Must(k => DeviceKinds.All.Contains(k))
                    .WithMessage($"Must be one of {string.Join(", ", DeviceKinds.All)}.");
                device.RuleFor(d => d.Measurand).NotEmpty().MaximumLength(100);
                device.RuleFor(d => d.Unit).NotNull().MaximumLength(20); // empty for dimensionless measurands (power factor)
                device.RuleFor(d => d.Scale).NotEqual(0m);
            });
            RuleFor(x => x.Devices)
                .Must(d => d.Where(m => m is not null).GroupBy(m => (m.Node, m.Tag)).All(g => g.Count() == 1))
                .WithMessage("Each (node, tag) may be mapped once.")
                .Must(d => d.Where(m => m is not null).GroupBy(m => m.DeviceId).All(g => g.Select(m => m.Kind).Distinct().Count() == 1))
                .WithMessage("A device has one kind.")
                .When(x => x.Devices is not null);
        }
    }
}

public sealed record GatewayResponse(string Id, string StationId, string TopicPrefix, IReadOnlyList<DeviceMapping> Devices);

public static class MapGatewayDevicesEndpoint
{
    public static Task<ProblemDetails> ValidateAsync(MapGatewayDevices command, IValidator<MapGatewayDevices> validator) =>
        Validation.ProblemsAsync(command, validator);

    public static Task<Gateway?> LoadAsync(string id, LedgerStore store, CancellationToken cancellationToken) =>
        store.LoadGatewayAsync(id, cancellationToken);

    /// <summary>200 with the map; the same map again records nothing new; 404 for an unknown gateway.</summary>
    [WolverinePut("/api/gateways/{id}/devices")]
    [Authorize(Roles = Roles.OperatorOrAdmin)]
    public static IResult Put(string id, MapGatewayDevices command, Gateway? gateway, IDocumentSession session, ClaimsPrincipal user,
        TelemetryIngestion ingestion, TimeProvider time)
    {
        if (gateway is null)
        {
            return Validation.NotFound($"Unknown gateway {id}.");
        }

        var response = new GatewayResponse(gateway.Id, gateway.StationId, gateway.TopicPrefix, command.Devices);
        if (gateway.Devices.SequenceEqual(command.Devices))
        {
            return Results.Ok(response);
        }

        session.Events.Append(StreamKeys.Gateway(id), gateway.Version + 1,
            new GatewayDevicesMapped(id, [.. command.Devices], user.Identity?.Name ?? "", time.GetUtcNow()));
        ingestion.Forget(id);
        return Results.Ok(response);
    }
}

public static class GetGatewayEndpoint
{
    [WolverineGet("/api/gateways/{id}")]
    [Authorize(Roles = Roles.OperatorOrAdmin)]
    public static async Task<IResult> Get(string id, LedgerStore store, CancellationToken cancellationToken) =>
        await store.LoadGatewayAsync(id, cancellationToken) is { } gateway
            ? Results.Ok(new GatewayResponse(gateway.Id, gateway.StationId, gateway.TopicPrefix, gateway.Devices))
            : Validation.NotFound($"Unknown gateway {id}.");
}
