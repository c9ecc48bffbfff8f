using Xunit;

namespace BenignAttention.Tests.CommandLine;

/// <summary><c>sweep --slurm --threads N</c> passes N to each array task's command and asks for jobs × threads CPUs per task.</summary>
[Collection("cli")]
public sealed class SlurmThreadsTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("ba-slurm-threads-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void ThreadsReachTheTasksAndTheirCpuCount()
    {
        var dir = Path.Combine(_root, "s");
        string[] grid = ["embed_dim=20,30", "train_n=4", "test_n=4", "num_steps=5"];
        int threads = Math.Min(2, Environment.ProcessorCount);   // --threads allows at most the processor count
        var (code, _, err) = CliHarness.Run(["sweep", "--slurm", "--shards", "2", "-j", "3", "--threads", threads.ToString(System.Globalization.CultureInfo.InvariantCulture), "-o", dir, .. grid]);
        Assert.True(code == 0, err);
        var text = File.ReadAllText(Path.Combine(dir, "sweep.sbatch"));
        Assert.Contains($"#SBATCH --cpus-per-task={3 * threads}\n", text);
        var exec = text.Split('\n').Single(l => l.StartsWith("exec ", StringComparison.Ordinal));
        Assert.Contains($" sweep --out {Path.GetFullPath(dir)} --jobs 3" + (threads == 1 ? "" : $" --threads {threads}") + " --shard \"${SLURM_ARRAY_TASK_ID}/2\"", exec);
    }
}
