using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Threading.Channels;
using JasperFx.Events.Daemon;
using JasperFx.Events.Projections;
using Marten;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using ProjectionCoordinator = Marten.Events.Daemon.Coordination.IProjectionCoordinator;

namespace ChargeLedger.Projections.Admin;

/// <summary>Why a projection stopped: the daemon's classified failure, sticky until the projection moves past it.</summary>
public sealed record ProjectionFailure(string Message, string Category, long LastGoodSequence, long? EventSequence, string? EventType,
    string? StreamKey, DateTimeOffset At);

/// <summary>What this node's async daemon last said about one projection shard.</summary>
public sealed record ShardSnapshot(string Shard, string Projection, long Position, string? AgentStatus, bool Rebuilding, ProjectionFailure? Failure);

/// <summary>
/// Makes a stopped projection loud (issue 3): listens to this node's async daemon (its shard state tracker) and keeps,
/// per shard, the position and the failure that stopped it. Projections run with every Skip* option off (billing must
/// never under-bill), so a poison event pauses the shard instead of being skipped (RELIABILITY E7); the daemon retries
/// it every health check period and clears its own failure on each retry, so the failure is kept here until the shard
/// commits past it. The same state feeds the error log (once per failure), the "projections" health entry, GET
/// /api/admin/projections and the metrics of meter "ChargeLedger.Projections". The shard of a projection group
/// (ProjectionGroups) stands for its members: its metrics are recorded for each member by name, and its log lines name them.
/// </summary>
public sealed class ProjectionMonitor : IHostedService, IObserver<ShardState>, IDisposable
{
    public const string MeterName = "ChargeLedger.Projections";

    private readonly IDocumentStore _store;
    private readonly ProjectionCatalog _catalog;
    private readonly ProjectionCoordinator _coordinator;
    private readonly NpgsqlDataSource _dataSource;
    private readonly ILogger<ProjectionMonitor> _logger;
    private readonly ConcurrentDictionary<string, ShardWatch> _shards = new(StringComparer.Ordinal);
    private readonly Channel<LagSample> _lagSamples = Channel.CreateBounded<LagSample>(
        new BoundedChannelOptions(1024) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
    private readonly Meter _meter;
    private readonly Histogram<double> _lagSeconds;
    private readonly Counter<long> _failures;
    private readonly CancellationTokenSource _stopping = new();
    private IProjectionDaemon? _daemon;
    private IDisposable? _subscription;
    private Task? _lagLoop;

    public ProjectionMonitor(IDocumentStore store, ProjectionCatalog catalog, ProjectionCoordinator coordinator, NpgsqlDataSource dataSource,
        IMeterFactory meters, ILogger<ProjectionMonitor> logger)
    {
        _meter = meters.Create(MeterName);
        _store = store;
        _catalog = catalog;
        _coordinator = coordinator;
        _dataSource = dataSource;
        _logger = logger;
        _lagSeconds = _meter.CreateHistogram<double>("chargeledger.projections.lag", "s",
            "Per committed batch of an async projection: time from the server timestamp of the oldest event in the batch to the batch's commit");
        _failures = _meter.CreateCounter<long>("chargeledger.projections.failures", description: "Times a projection stopped on an event it could not apply");
        _meter.CreateObservableGauge("chargeledger.projections.lag_events", ObserveLagEvents,
            description: "Events between a projection's position and the high-water mark (this node's daemon)");
        _meter.CreateObservableGauge("chargeledger.projections.stopped", ObserveStopped,
            description: "1 while a projection is stopped by an event it cannot apply");
    }

    /// <summary>The high-water mark as this node's daemon last saw it (0 before it ran).</summary>
    public long HighWaterMark => _daemon?.Tracker.HighWaterMark ?? 0;

    public IProjectionDaemon Daemon => _daemon ?? throw new InvalidOperationException("The projection monitor has not started.");

    /// <summary>
    /// True when the async daemon runs in HotCold mode (ChargeLedger:Cluster:Mode, ops/cluster.md): each shard runs on
    /// the one node holding its PostgreSQL advisory lock, so this node may run none, some or all of them.
    /// </summary>
    public bool Coordinated => _store.Options.Events.Daemon.AsyncMode == DaemonMode.HotCold;

    /// <summary>
    /// Whether this node's daemon has an agent for the shard now (running, or paused by a failure). In HotCold the
    /// coordinator starts an agent only after taking the shard's advisory lock and stops it when the lock is lost.
    /// </summary>
    public bool RunsHere(string shard) => _daemon?.CurrentAgents().Any(a => a.Name.Identity == shard) ?? false;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _daemon = _coordinator.DaemonForMainDatabase();
        foreach (var state in _daemon.Tracker.CurrentStates())
        {
            Record(state);
        }

        _subscription = _daemon.Tracker.Subscribe(this);
        _lagLoop = Task.Run(() => MeasureLagAsync(_stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _subscription?.Dispose();
        _lagSamples.Writer.TryComplete();
        await _stopping.CancelAsync();
        if (_lagLoop is not null)
        {
            await _lagLoop.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Every shard this node's daemon has reported on.</summary>
    public IReadOnlyList<ShardSnapshot> Shards() =>
        [.. _shards.Values.Select(w => w.Snapshot()).OrderBy(s => s.Shard, StringComparer.Ordinal)];

    /// <summary>Shards stopped by an event they cannot apply (in HotCold, of those this node runs now).</summary>
    public IReadOnlyList<ShardSnapshot> Stopped() => [.. Shards().Where(s => s.Failure is not null && IsLocal(s.Shard))];

    /// <summary>Solo: every shard this node reported on. HotCold: only those it runs now, not what it ran before losing the lock.</summary>
    private bool IsLocal(string shard) => !Coordinated || RunsHere(shard);

    void IObserver<ShardState>.OnNext(ShardState value) => Record(value);

    void IObserver<ShardState>.OnError(Exception error)
    {
    }

    void IObserver<ShardState>.OnCompleted()
    {
    }

    private void Record(ShardState state)
    {
        if (state.ShardName == ShardState.HighWaterMark || state.ShardName == ShardState.AllProjections ||
            !ShardName.TryParse(state.ShardName, out var name) || name is null)
        {
            return;
        }

        var watch = _shards.GetOrAdd(state.ShardName, key => new ShardWatch(key, name.Name, _catalog.MembersOf(name.Name), _catalog.Describe(name.Name)));
        var (previous, failure, recovered) = watch.Apply(state);
        if (failure is not null)
        {
            foreach (var member in watch.Members)
            {
                _failures.Add(1, new KeyValuePair<string, object?>("projection", member), new KeyValuePair<string, object?>("category", failure.Category));
            }

            _logger.LogError(state.Exception,
                "Projection {Projection} stopped after sequence {Sequence}: it cannot apply event {EventSequence} ({EventType}, stream {Stream}): {Error}. " +
                "Nothing after it is applied until the event or the projection is fixed; the daemon retries it.",
                watch.Described, failure.LastGoodSequence, failure.EventSequence, failure.EventType, failure.StreamKey, failure.Message);
        }

        if (recovered)
        {
            _logger.LogInformation("Projection {Projection} moved past its failure and runs again at sequence {Sequence}", watch.Described, state.Sequence);
        }

        if (state.Action == ShardAction.Updated && state.Mode != ShardMode.rebuilding && previous is { } from && state.Sequence > from)
        {
            _lagSamples.Writer.TryWrite(new LagSample(watch.Members, from, state.Timestamp));
        }
    }

    /// <summary>
    /// The oldest event of each committed batch is the one that waited longest, so its age at the commit bounds the lag
    /// of every event in the batch; one indexed single-row read per batch, off the daemon's threads. The timestamps
    /// are the server's (Marten's mt_events.timestamp and this node's clock), so nodes need synchronised clocks.
    /// </summary>
    private async Task MeasureLagAsync(CancellationToken cancellationToken)
    {
        var sql = $"select timestamp from {_store.Options.Events.DatabaseSchemaName}.mt_events where seq_id > $1 order by seq_id limit 1";
        try
        {
            await foreach (var sample in _lagSamples.Reader.ReadAllAsync(cancellationToken))
            {
                try
                {
                    await using var command = _dataSource.CreateCommand(sql);
                    command.Parameters.AddWithValue(sample.After);
                    if (await command.ExecuteScalarAsync(cancellationToken) is DateTime oldest)
                    {
                        var lag = sample.CommittedAt - new DateTimeOffset(DateTime.SpecifyKind(oldest, DateTimeKind.Utc));
                        foreach (var member in sample.Members)
                        {
                            _lagSeconds.Record(Math.Max(0, lag.TotalSeconds), new KeyValuePair<string, object?>("projection", member));
                        }
                    }
                }
                catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
                {
                    _logger.LogDebug(ex, "Could not read an event timestamp for the projection lag metric");
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private IEnumerable<Measurement<long>> ObserveLagEvents()
    {
        var highWater = HighWaterMark;
        return _shards.Where(w => IsLocal(w.Key)).Select(w => w.Value).SelectMany(w => w.Members.Select(member =>
            new Measurement<long>(Math.Max(0, highWater - w.Position), new KeyValuePair<string, object?>("projection", member))));
    }

    private IEnumerable<Measurement<int>> ObserveStopped() =>
        _shards.Where(w => IsLocal(w.Key)).Select(w => w.Value).SelectMany(w => w.Members.Select(member =>
            new Measurement<int>(w.Snapshot().Failure is null ? 0 : 1, new KeyValuePair<string, object?>("projection", member))));

    public void Dispose()
    {
        _subscription?.Dispose();
        _stopping.Dispose();
    }

    private sealed record LagSample(IReadOnlyList<string> Members, long After, DateTimeOffset CommittedAt);

    private sealed class ShardWatch(string shard, string projection, IReadOnlyList<string> members, string described)
    {
        private readonly Lock _lock = new();
        private long _position = -1;
        private string? _agentStatus;
        private bool _rebuilding;
        private ProjectionFailure? _failure;

        public string Projection { get; } = projection;

        /// <summary>The projections this shard runs: a group's members, or the projection itself.</summary>
        public IReadOnlyList<string> Members { get; } = members;

        /// <summary>For log lines (<see cref="ProjectionCatalog.Describe"/>).</summary>
        public string Described { get; } = described;

        public long Position
        {
            get
            {
                lock (_lock)
                {
                    return Math.Max(0, _position);
                }
            }
        }

        public ShardSnapshot Snapshot()
        {
            lock (_lock)
            {
                return new ShardSnapshot(shard, Projection, Math.Max(0, _position), _agentStatus, _rebuilding, _failure);
            }
        }

        /// <summary>Returns the position before this state, a failure that starts now, and whether an earlier one ended.</summary>
        public (long? Previous, ProjectionFailure? NewFailure, bool Recovered) Apply(ShardState state)
        {
            lock (_lock)
            {
                long? previous = _position >= 0 ? _position : null;
                _agentStatus = state.AgentStatus ?? _agentStatus;
                _rebuilding = state.Mode == ShardMode.rebuilding && state.Action is not (ShardAction.Stopped or ShardAction.Paused);
                if (state.Action == ShardAction.Restarted)
                {
                    _position = 0;
                    return (null, null, false);
                }

                if (state.Action is ShardAction.Paused or ShardAction.Stopped && (state.Failure is not null || state.Exception is not null))
                {
                    var isNew = _failure is null;
                    _failure = FailureOf(state);
                    _position = state.Sequence;
                    return (previous, isNew ? _failure : null, false);
                }

                var recovered = false;
                if (_failure is not null && state.Sequence > _failure.LastGoodSequence)
                {
                    _failure = null;
                    recovered = true;
                }

                _position = state.Sequence;
                return (previous, null, recovered);
            }
        }

        private static ProjectionFailure FailureOf(ShardState state)
        {
            var failure = state.Failure;
            var root = state.Exception is null ? null : Innermost(state.Exception).Message;
            var message = failure?.Message ?? root ?? state.PauseReason ?? "stopped";
            if (root is not null && !message.Contains(root, StringComparison.Ordinal))
            {
                message = $"{message}: {root}";
            }

            return new ProjectionFailure(
                message,
                failure?.Category.ToString() ?? "Other",
                state.Sequence,
                failure?.Event?.Sequence,
                failure?.Event?.EventTypeName,
                failure?.Event?.StreamKey,
                failure?.OccurredAt ?? state.Timestamp);
        }

        private static Exception Innermost(Exception ex)
        {
            while (ex.InnerException is not null)
            {
                ex = ex.InnerException;
            }

            return ex;
        }
    }
}
