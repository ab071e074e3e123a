namespace ChargeLedger.IntegrationTests.Infrastructure;

/// <summary>Waits for a condition with a bound (never a fixed sleep): polls it until it holds or the time is up.</summary>
public static class Eventually
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>Returns the first value that satisfies <paramref name="condition"/>; fails with the last value seen.</summary>
    public static async Task<T> ReturnsAsync<T>(Func<Task<T>> probe, Func<T, bool> condition, string because, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        while (true)
        {
            var value = await probe();
            if (condition(value))
            {
                return value;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new Shouldly.ShouldAssertException($"Timed out waiting until {because}; last value: {value}");
            }

            await Task.Delay(PollInterval, TestContext.Current.CancellationToken); // a poll interval, not a wait for luck
        }
    }
}
