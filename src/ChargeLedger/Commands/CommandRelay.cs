using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ChargeLedger.Commands;

public sealed class CommandRelayOptions
{
    /// <summary>On with several nodes (ChargeLedger:Cluster:Mode HotCold): commands reach the node holding the socket.</summary>
    public bool Enabled { get; set; }

    /// <summary>How long a relayed command may stay Requested before it is failed as "no node holds the connection".</summary>
    public int ClaimTimeoutSeconds { get; set; } = 5;

    /// <summary>How often each node looks for commands whose node died mid-way (CommandSweeper).</summary>
    public int SweepIntervalSeconds { get; set; } = 30;

    /// <summary>
    /// An open command of a dead node is failed once it is this old; longer than a call timeout, so a node that only
    /// lost its database session briefly has recorded its outcome by then.
    /// </summary>
    public int OrphanAfterSeconds { get; set; } = 60;
}

/// <summary>
/// Carries operator commands between nodes over PostgreSQL's own LISTEN/NOTIFY (issue 5: an existing transport, no
/// home-made clustering). The node that records a command for a charge point connected elsewhere notifies the
/// channel with the command id; every node listens, and the one holding the charge point's socket runs the command.
/// A notification carries only the id; the command itself is the durable stream, so a lost notification leaves the
/// command Requested, and the requesting node fails it after <see cref="CommandRelayOptions.ClaimTimeoutSeconds"/>.
/// </summary>
public sealed class CommandRelay(NpgsqlDataSource dataSource, CommandDispatcher dispatcher, IOptions<CommandRelayOptions> options,
    ILogger<CommandRelay> logger) : BackgroundService
{
    public const string Channel = "chargeledger_commands";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Enabled)
        {
            return;
        }

        var delay = TimeSpan.FromMilliseconds(500);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(stoppingToken);
                connection.Notification += (_, e) => _ = dispatcher.RunRelayedAsync(e.Payload);
                await using (var listen = new NpgsqlCommand($"LISTEN {Channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }

                logger.LogInformation("Listening for commands relayed by other nodes");
                delay = TimeSpan.FromMilliseconds(500);
                while (true)
                {
                    await connection.WaitAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                logger.LogWarning(ex, "Command relay listener failed; reconnecting in {Delay}", delay);
                await Task.Delay(delay, stoppingToken);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 15_000));
            }
        }
    }
}
