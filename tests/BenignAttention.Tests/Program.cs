namespace BenignAttention.Tests;

/// <summary>
/// Entry point of the test assembly (GenerateProgramFile=false). Test runners never call it; the store's
/// crash test starts this assembly as a child process with <c>--sweepstore-crash-writer</c> and kills it.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length == 3 && args[0] == "--sweepstore-crash-writer")
            return Storage.StoreTestData.CrashWriter(args[1], int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture));
        return 0;
    }
}
