namespace BenignAttention.Storage;

/// <summary>A sweep's stored runs and curves as CSV and Parquet (for pandas, DuckDB), written beside the store or into another folder.</summary>
public static class SweepExport
{
    /// <summary>The files an export writes (and all a separate export folder may hold).</summary>
    public static readonly string[] Files = ["runs.csv", "runs.parquet", "curves.csv", "curves.parquet"];

    /// <summary>
    /// Writes <see cref="Files"/> from <paramref name="sweepFolder"/>'s <c>results.sqlite</c> into <paramref name="destination"/>
    /// (default: the sweep folder). Store and destination are checked before anything is written: a refused export changes nothing.
    /// </summary>
    /// <returns>The absolute destination folder.</returns>
    /// <exception cref="OutputFolderException">No store in the sweep folder, or the destination holds other files or cannot be written.</exception>
    /// <exception cref="ResultStoreException">The store is damaged or has another schema version.</exception>
    public static string Write(string sweepFolder, string? destination = null)
    {
        if (!File.Exists(Path.Combine(sweepFolder, SweepStore.FileName))) throw new OutputFolderException($"{sweepFolder}: no {SweepStore.FileName} here");
        SweepStore.Check(sweepFolder);
        destination ??= sweepFolder;
        static string Full(string path) => Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        bool elsewhere = Full(destination) != Full(sweepFolder);
        if (elsewhere) AtomicFolder.CheckInPlace(destination, [], Files);
        else AtomicFolder.RequireWritable(sweepFolder, $"export {sweepFolder}");
        foreach (var file in Files)
            if (Directory.Exists(Path.Combine(destination, file))) throw new OutputFolderException($"export: {Path.Combine(destination, file)} is a folder; move it away");
        using var store = SweepStore.OpenExisting(sweepFolder);
        if (elsewhere) AtomicFolder.PrepareInPlace(destination, [], Files);
        ResultExport.WriteCsv(store, Path.Combine(destination, "runs.csv"));
        ResultExport.WriteParquet(store, Path.Combine(destination, "runs.parquet"));
        ResultExport.WriteCurvesCsv(store, Path.Combine(destination, "curves.csv"));
        ResultExport.WriteCurvesParquet(store, Path.Combine(destination, "curves.parquet"));
        return Path.GetFullPath(destination);
    }
}
