using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;

namespace ChargeLedger.Simulator;

public sealed record ChargePointCredentials(string Id, string Password);

/// <summary>Registers the demo station, charge points and id tags over the HTTP API (CONTRACT.md, Provisioning).</summary>
public sealed class Provisioning(HttpClient http, Action<string> log)
{
    private const string PasswordAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    private const string SuffixAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    private static readonly TimeSpan HostWait = TimeSpan.FromSeconds(60);

    /// <summary>Waits while the host is still starting (connection refused, or 503 until migrations ran).</summary>
    public async Task WaitForHostAsync(CancellationToken ct)
    {
        var deadline = DateTimeOffset.UtcNow + HostWait;
        var announced = false;
        while (true)
        {
            string problem;
            try
            {
                using var response = await http.GetAsync(new Uri("health/ready", UriKind.Relative), ct);
                if (response.StatusCode != HttpStatusCode.ServiceUnavailable)
                {
                    return;
                }

                problem = "not ready (503)";
            }
            catch (HttpRequestException ex)
            {
                problem = ex.Message;
            }

            if (DateTimeOffset.UtcNow > deadline)
            {
                throw new InvalidOperationException($"{http.BaseAddress} is not reachable: {problem}");
            }

            if (!announced)
            {
                log($"waiting for {http.BaseAddress}: {problem}");
                announced = true;
            }

            await Task.Delay(TimeSpan.FromSeconds(1), ct);
        }
    }

    public async Task EnsureStationAsync(string stationId, CancellationToken ct)
    {
        using var response = await PostAsync("api/stations", new { id = stationId, name = "Demo depot", timeZone = "Europe/Berlin" }, ct);
        log(response.StatusCode switch
        {
            HttpStatusCode.Created => $"station {stationId} created",
            HttpStatusCode.OK => $"station {stationId} already registered",
            HttpStatusCode.Conflict => $"station {stationId} exists with other data; using it as it is",
            _ => throw await UnexpectedAsync("POST /api/stations", response, ct),
        });
    }

    /// <summary>
    /// Publishes the demo tariff and assigns it to the station the first time only (each publication of an id is a new
    /// version, so reruns must not publish again), so the demo's sessions come out priced, not at zero.
    /// </summary>
    public async Task EnsureTariffAsync(string stationId, CancellationToken ct)
    {
        const string TariffId = "T-DEMO";
        using (var existing = await http.GetAsync(new Uri($"api/tariffs/{TariffId}", UriKind.Relative), ct))
        {
            if (existing.IsSuccessStatusCode)
            {
                log($"tariff {TariffId} already published");
                return;
            }
        }

        var tariff = new
        {
            id = TariffId, currency = "EUR",
            elements = new object[]
            {
                new { priceComponents = new[] { new { type = "ENERGY", price = 0.39m, vatPercent = 19m, stepSize = 1 } },
                      restrictions = new { startTime = "07:00", endTime = "22:00" } },
                new { priceComponents = new[] { new { type = "ENERGY", price = 0.29m, vatPercent = 19m, stepSize = 1 } } },
                new { priceComponents = new object[]
                {
                    new { type = "FLAT", price = 0.50m, vatPercent = 19m },
                    new { type = "PARKING_TIME", price = 6.00m, vatPercent = 19m, stepSize = 60 },
                } },
            },
        };
        using var published = await PostAsync("api/tariffs", tariff, ct);
        if (!published.IsSuccessStatusCode)
        {
            throw await UnexpectedAsync("POST /api/tariffs", published, ct);
        }

        using var assigned = await http.PutAsJsonAsync(new Uri($"api/stations/{stationId}/tariff", UriKind.Relative),
            new { tariffId = TariffId, validFrom = "2020-01-01T00:00:00Z" }, ct);
        if (!assigned.IsSuccessStatusCode)
        {
            throw await UnexpectedAsync($"PUT /api/stations/{stationId}/tariff", assigned, ct);
        }

        log($"tariff {TariffId} published and assigned to {stationId}");
    }

    /// <summary>
    /// Registers <paramref name="preferredId"/> with a password derived from the API key and the id, so a second demo
    /// run with the same key finds its charge points again (the API answers 200 for an identical registration) instead
    /// of piling up new ones; a suffixed id is used when the id exists with a password we cannot know.
    /// </summary>
    public async Task<ChargePointCredentials> RegisterChargePointAsync(string preferredId, string stationId, string apiKey, CancellationToken ct)
    {
        var id = preferredId;
        for (var attempt = 1; attempt <= 5; attempt++)
        {
            var password = PasswordFor(apiKey, id);
            using var response = await PostAsync("api/chargepoints", new { id, stationId, password }, ct);
            if (response.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK)
            {
                log(response.StatusCode == HttpStatusCode.Created ? $"charge point {id} registered" : $"charge point {id} already registered");
                return new ChargePointCredentials(id, password);
            }

            if (response.StatusCode != HttpStatusCode.Conflict)
            {
                throw await UnexpectedAsync("POST /api/chargepoints", response, ct);
            }

            // Derived, not random, so the next run tries the same candidates and finds this one again.
            var suffix = HMACSHA256.HashData(System.Text.Encoding.UTF8.GetBytes(apiKey),
                System.Text.Encoding.UTF8.GetBytes(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"chargeledger-simulator-id:{preferredId}:{attempt}")));
            id = $"{preferredId}-{new string([.. suffix.Take(4).Select(b => SuffixAlphabet[b % SuffixAlphabet.Length])])}";
        }

        throw new InvalidOperationException($"could not register a charge point id derived from {preferredId}: all candidates exist");
    }

    public async Task EnsureIdTagAsync(string idTag, CancellationToken ct)
    {
        using var response = await PostAsync("api/idtags", new { idTag, expiresAt = (DateTimeOffset?)null, parentIdTag = (string?)null }, ct);
        if (response.StatusCode is not (HttpStatusCode.Created or HttpStatusCode.OK or HttpStatusCode.Conflict))
        {
            throw await UnexpectedAsync("POST /api/idtags", response, ct);
        }
    }

    /// <summary>POST /api/gateways (CONTRACT.md "MQTT"); the MQTT username is the gateway id.</summary>
    public async Task EnsureGatewayAsync(string id, string stationId, string password, string topicPrefix, CancellationToken ct)
    {
        using var response = await PostAsync("api/gateways", new { id, stationId, password, topicPrefix }, ct);
        log(response.StatusCode switch
        {
            HttpStatusCode.Created => $"gateway {id} registered",
            HttpStatusCode.OK => $"gateway {id} already registered",
            HttpStatusCode.Conflict => $"gateway {id} exists with other data (another --password-seed?); using it as it is",
            _ => throw await UnexpectedAsync("POST /api/gateways", response, ct),
        });
    }

    /// <summary>PUT /api/gateways/{id}/devices: one meter device per node, each published tag mapped to its measurand.</summary>
    public async Task PutDeviceMapAsync(string gatewayId, int meters, int tagsPerMessage, CancellationToken ct)
    {
        (string Tag, string Measurand, string Unit)[] known =
        [
            ("import_wh", "Energy.Active.Import.Register", "Wh"),
            ("power_w", "Power.Active.Import", "W"),
            ("voltage_v", "Voltage", "V"),
            ("current_a", "Current.Import", "A"),
            ("temp_c", "Temperature", "Celsius"),
            ("frequency_hz", "Frequency", "Hz"),
            ("power_factor", "Power.Factor", ""),
        ];
        // Beyond the named readings the publisher adds aux_7, aux_8, ... (see TelemetryPublisher); every tag it sends is mapped.
        var tags = known.Take(tagsPerMessage)
            .Concat(Enumerable.Range(known.Length, Math.Max(0, tagsPerMessage - known.Length))
                .Select(t => (Tag: string.Create(System.Globalization.CultureInfo.InvariantCulture, $"aux_{t}"), Measurand: "Aux", Unit: "")))
            .ToList();
        var devices = Enumerable.Range(1, meters).SelectMany(k => tags.Select(t => new
        {
            node = $"meter-{k}",
            tag = t.Tag,
            deviceId = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{gatewayId}-MTR-{k}"),
            kind = "meter",
            measurand = t.Measurand,
            unit = t.Unit,
            scale = 1,
        })).ToList();
        using var response = await http.PutAsJsonAsync(new Uri($"api/gateways/{gatewayId}/devices", UriKind.Relative), devices, ct);
        if (!response.IsSuccessStatusCode)
        {
            throw await UnexpectedAsync($"PUT /api/gateways/{gatewayId}/devices", response, ct);
        }

        log($"gateway {gatewayId}: {devices.Count} device tags mapped");
    }

    private static string PasswordFor(string apiKey, string id)
    {
        var digest = HMACSHA256.HashData(System.Text.Encoding.UTF8.GetBytes(apiKey), System.Text.Encoding.UTF8.GetBytes("chargeledger-simulator:" + id));
        return new string([.. digest.Take(24).Select(b => PasswordAlphabet[b % PasswordAlphabet.Length])]);
    }

    private Task<HttpResponseMessage> PostAsync<T>(string path, T body, CancellationToken ct) =>
        http.PostAsJsonAsync(new Uri(path, UriKind.Relative), body, ct);

    private static async Task<InvalidOperationException> UnexpectedAsync(string call, HttpResponseMessage response, CancellationToken ct)
    {
        var hint = response.StatusCode switch
        {
            HttpStatusCode.Unauthorized => " (is --api-key a valid key?)",
            HttpStatusCode.Forbidden => " (the api key needs the operator or admin role)",
            _ => "",
        };
        var body = await response.Content.ReadAsStringAsync(ct);
        return new InvalidOperationException($"{call} answered {(int)response.StatusCode}{hint}: {body}".TrimEnd(' ', ':'));
    }
}
