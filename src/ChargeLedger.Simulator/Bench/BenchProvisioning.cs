using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;

namespace ChargeLedger.Simulator.Bench;

/// <summary>
/// What the bench charge points need, over the HTTP API (what ops/provision-load.sh does with curl, for tens of
/// thousands): station --station, idTag --idtag, and charge points --prefix0001.. sharing --password, --parallel
/// registrations in flight. The host API has no bulk registration, and each registration hashes the password with
/// PBKDF2 (ChargeLedger:Security:PasswordIterations; 600,000 = ~0.2 s of CPU each), which bounds the rate.
/// With --passwords FILE instead, charge points are registered without a password: the host generates one each (and
/// stores it without the slow hash), and they are written to FILE for the ocpp and connections scenarios.
/// </summary>
public sealed class BenchProvisioning(BenchOptions options, Action<string> log)
{
    public async Task<ProvisionReport> RunAsync(CancellationToken ct)
    {
        using var http = new HttpClient { BaseAddress = options.Url, Timeout = TimeSpan.FromSeconds(120) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", options.ApiKey);
        await new Provisioning(http, log).WaitForHostAsync(ct);
        await ExpectAsync(await http.PostAsJsonAsync(new Uri("api/stations", UriKind.Relative),
            new RegisterStationBody(options.StationId, "Load test depot", "Europe/Berlin"), BenchJsonContext.Default.RegisterStationBody, ct), "POST /api/stations");
        await ExpectAsync(await http.PostAsJsonAsync(new Uri("api/idtags", UriKind.Relative),
            new IssueIdTagBody(options.IdTag, null, null), BenchJsonContext.Default.IssueIdTagBody, ct), "POST /api/idtags");

        var errors = new ErrorCounter();
        var created = 0;
        var existing = 0;
        var started = Stopwatch.GetTimestamp();
        var progress = Stopwatch.GetTimestamp();
        var done = 0;
        var generated = new System.Collections.Concurrent.ConcurrentDictionary<string, string>(StringComparer.Ordinal);
        var chosen = options.PasswordsFile is null ? options.Password : null;
        await Parallel.ForEachAsync(Enumerable.Range(options.FirstChargePoint, options.ChargePoints),
            new ParallelOptions { MaxDegreeOfParallelism = options.Parallel, CancellationToken = ct }, async (i, token) =>
            {
                try
                {
                    var id = options.ChargePointId(i);
                    using var response = await http.PostAsJsonAsync(new Uri("api/chargepoints", UriKind.Relative),
                        new RegisterChargePointBody(id, options.StationId, chosen), BenchJsonContext.Default.RegisterChargePointBody, token);
                    switch (response.StatusCode)
                    {
                        case HttpStatusCode.Created when chosen is null:
                            var registration = await response.Content.ReadFromJsonAsync(BenchJsonContext.Default.ChargePointRegistrationBody, token);
                            if (registration?.Password is { Length: > 0 } password)
                            {
                                generated[id] = password;
                                Interlocked.Increment(ref created);
                            }
                            else
                            {
                                errors.Add("no-generated-password");
                            }

                            break;
                        case HttpStatusCode.Created:
                            Interlocked.Increment(ref created);
                            break;
                        case HttpStatusCode.OK when chosen is null:
                            // Registered before with a password this run cannot know: it could not connect.
                            errors.Add("existing-password-unknown");
                            break;
                        case HttpStatusCode.OK:
                            Interlocked.Increment(ref existing);
                            break;
                        default:
                            errors.Add($"http{(int)response.StatusCode}");
                            break;
                    }
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !token.IsCancellationRequested)
                {
                    errors.Add(ex.GetType().Name);
                }

                if (Interlocked.Increment(ref done) % 1000 == 0 && Stopwatch.GetElapsedTime(Interlocked.Read(ref progress)).TotalSeconds >= 5)
                {
                    Interlocked.Exchange(ref progress, Stopwatch.GetTimestamp());
                    log($"{done} of {options.ChargePoints} registered ({done / Stopwatch.GetElapsedTime(started).TotalSeconds:0}/s)");
                }
            });

        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        if (options.PasswordsFile is { } file)
        {
            await File.WriteAllLinesAsync(file, generated.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}\t{p.Value}"), ct);
        }

        return new ProvisionReport(options.ChargePoints, created, existing, (int)errors.Total, Math.Round(seconds, 2),
            Math.Round(options.ChargePoints / seconds, 1), errors.Snapshot());
    }

    private static async Task ExpectAsync(HttpResponseMessage response, string call)
    {
        using (response)
        {
            // 409: the station or tag exists with other data; the bench uses it as it is.
            if (!response.IsSuccessStatusCode && response.StatusCode != HttpStatusCode.Conflict)
            {
                throw new InvalidOperationException($"{call} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            }
        }
    }
}
