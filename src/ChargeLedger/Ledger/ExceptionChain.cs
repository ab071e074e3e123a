namespace ChargeLedger.Ledger;

/// <summary>Marten and Npgsql wrap the exception that says what happened; conflict checks look down the whole chain.</summary>
internal static class ExceptionChain
{
    /// <summary>The first exception of type <typeparamref name="T"/> in <paramref name="ex"/> or its inner exceptions that <paramref name="match"/> accepts.</summary>
    public static T? Find<T>(Exception? ex, Func<T, bool>? match = null) where T : Exception
    {
        for (; ex is not null; ex = ex.InnerException)
        {
            if (ex is T found && (match is null || match(found)))
            {
                return found;
            }
        }

        return null;
    }
}
