using Marten;
using Marten.Services;
using Npgsql;

namespace ChargeLedger.Ledger;

/// <summary>
/// The write side's own connection pool for its hot path: the group commit, the stream reads decisions need and the
/// OCPP handshake's credential read. Same database and settings as the store's pool, but a connection handed back is
/// not reset (Npgsql's No Reset On Close).
/// </summary>
/// <remarks>
/// Resetting costs PostgreSQL seven statements per borrowed connection (<c>SET SESSION AUTHORIZATION DEFAULT</c>,
/// <c>RESET ALL</c>, <c>pg_advisory_unlock_all()</c>, <c>CLOSE ALL</c>, <c>UNLISTEN *</c>, two <c>DISCARD</c>s), sent ahead of
/// the next command: at ~1,300 borrowings per second under the OCPP load that was ~3 % of PostgreSQL's time (README
/// "Performance"). These sessions leave nothing behind to reset: no SET, advisory lock, LISTEN, cursor or temporary table,
/// and a transaction left open is rolled back when its connection goes back. Everything else (the async daemon's leader
/// locks, Wolverine, the command relay's LISTEN, the API) keeps the store's resetting pool. The pool is half the size of
/// the store's (at least 4): the commit loops hold one connection each and a read is one short round trip.
/// </remarks>
public sealed class LedgerConnections : IAsyncDisposable
{
    /// <param name="connectionString">The store pool's connection string, password included.</param>
    public LedgerConnections(string connectionString)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString) { Name = "chargeledger-ledger" };
        var settings = builder.ConnectionStringBuilder;
        settings.NoResetOnClose = true;
        settings.MaxPoolSize = Math.Max(4, settings.MaxPoolSize / 2);
        settings.MinPoolSize = Math.Min(settings.MinPoolSize, settings.MaxPoolSize);
        DataSource = builder.Build();
    }

    public NpgsqlDataSource DataSource { get; }

    /// <summary>A query session on a connection of this pool; disposing the session gives the connection back.</summary>
    public Task<IQuerySession> QuerySessionAsync(IDocumentStore store, CancellationToken cancellationToken) =>
        OnConnectionAsync(store.QuerySession, cancellationToken);

    /// <summary>A lightweight session on a connection of this pool; SaveChanges commits its own transaction on it.</summary>
    public Task<IDocumentSession> LightweightSessionAsync(IDocumentStore store, CancellationToken cancellationToken) =>
        OnConnectionAsync(store.LightweightSession, cancellationToken);

    private async Task<TSession> OnConnectionAsync<TSession>(Func<SessionOptions, TSession> open, CancellationToken cancellationToken)
    {
        var connection = await DataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            return open(SessionOptions.ForConnection(connection));
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    public ValueTask DisposeAsync() => DataSource.DisposeAsync();
}
