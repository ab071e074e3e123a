using JasperFx.CommandLine;

namespace ChargeLedger.Host.Migrations;

public sealed class MigrationsInput : NetCoreInput
{
    [Description("apply: apply pending migrations; status: list pending ones; export: write the model's difference as the next migration")]
    public string Action { get; set; } = "status";

    [Description("Name of an exported migration, e.g. add_tariffs")]
    [FlagAlias("name", 'n')]
    public string NameFlag { get; set; } = "change";

    [Description("Folder the exported migration is written to (default: the repository's migrations/)")]
    [FlagAlias("dir", 'o')]
    public string DirFlag { get; set; } = "";
}

[Description("Apply, list or export the numbered SQL migrations in migrations/", Name = "migrations")]
public sealed class MigrationsCommand : JasperFxAsyncCommand<MigrationsInput>
{
    public override async Task<bool> Execute(MigrationsInput input)
    {
        using var host = input.BuildHost();
        var runner = host.Services.GetRequiredService<MigrationRunner>();
        switch (input.Action.ToLowerInvariant())
        {
            case "apply":
                var applied = await runner.ApplyAsync(CancellationToken.None);
                await Console.Out.WriteLineAsync(applied.Count == 0 ? "Schema is up to date." : $"Applied: {string.Join(", ", applied)}");
                return true;
            case "status":
                var pending = await runner.PendingAsync(CancellationToken.None);
                await Console.Out.WriteLineAsync(pending.Count == 0 ? "Schema is up to date." : $"Pending: {string.Join(", ", pending)}");
                return pending.Count == 0;
            case "export":
                await runner.ApplyAsync(CancellationToken.None);
                var directory = input.DirFlag.Length > 0 ? input.DirFlag : FindMigrationsDirectory();
                var path = await MigrationRunner.ExportAsync(host.Services, directory, input.NameFlag, CancellationToken.None);
                await Console.Out.WriteLineAsync(path is null ? "The committed migrations match the model; nothing to export." : $"Wrote {path}");
                return true;
            default:
                await Console.Error.WriteLineAsync($"Unknown action '{input.Action}': use apply, status or export.");
                return false;
        }
    }

    private static string FindMigrationsDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ChargeLedger.sln")))
            {
                return Path.Combine(dir.FullName, "migrations");
            }
        }

        throw new InvalidOperationException("Cannot find the repository's migrations/ folder; pass --dir.");
    }
}
