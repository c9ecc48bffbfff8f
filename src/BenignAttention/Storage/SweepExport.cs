namespace BenignAttention.Storage;

/// <summary>A sweep's stored runs and curves as CSV and Parquet (for pandas, DuckDB), written beside the store or into another folder.</summary>
public static class SweepExport
{
    /// <summary>The files an export writes (and all a separate export folder may hold).</summary>
    public static readonly string[] Files = ["runs.csv", "runs.parquet", "curves.csv", "curves.parquet"];

    /// <summary>
    /// Writes <see cref="Files"/> from <paramref name="sweepFolder"/>'s <c>results.sqlite</c> into <paramref name="destination"/>
    /// (default: the sweep folder), one row per run in the order of the config keys (then run hash), so the files do not
    /// depend on the order the runs finished in (<c>--jobs</c>). The export only adds these four names: other files in the
    /// destination are left alone, and an existing file of one of these names is overwritten only if the destination's
    /// manifest (<see cref="OutputManifest"/>) shows benign-attention wrote it and it is unchanged. Store and destination are
    /// checked before anything is written: a refused export changes nothing. The manifest is updated last.
    /// </summary>
    /// <returns>The absolute destination folder.</returns>
    /// <exception cref="OutputFolderException">No store in the sweep folder, the destination cannot be written, or a file of an export's name there was not written by benign-attention (or changed since).</exception>
    /// <exception cref="ResultStoreException">The store is damaged or has another schema version.</exception>
    public static string Write(string sweepFolder, string? destination = null)
    {
        if (!SweepResults.Exists(sweepFolder)) throw new OutputFolderException($"{sweepFolder}: no {SweepStore.FileName} here");
        SweepResults.Check(sweepFolder);   // the folder's store and its shards' (sweep --shard), merged or not
        destination ??= sweepFolder;
        static string Full(string path) => Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        bool elsewhere = Full(destination) != Full(sweepFolder);
        if (elsewhere) AtomicFolder.CheckAddInto(destination);
        else AtomicFolder.RequireWritable(sweepFolder, $"export {sweepFolder}");
        OutputManifest.RequireOverwritable(destination, Files, "export");
        using var results = SweepResults.Open(sweepFolder);
        var store = results.Store;
        if (elsewhere)
        {
            try
            {
                Directory.CreateDirectory(destination);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new OutputFolderException($"output folder {destination}: cannot create it: {e.Message}");
            }
        }
        using var tracked = OutputManifest.Track(destination);   // a crash before the Record below leaves our tables ours
        ResultExport.WriteCsv(store, Path.Combine(destination, "runs.csv"));
        ResultExport.WriteParquet(store, Path.Combine(destination, "runs.parquet"));
        ResultExport.WriteCurvesCsv(store, Path.Combine(destination, "curves.csv"));
        ResultExport.WriteCurvesParquet(store, Path.Combine(destination, "curves.parquet"));
        OutputManifest.Record(destination, Files);
        return Path.GetFullPath(destination);
    }
}
