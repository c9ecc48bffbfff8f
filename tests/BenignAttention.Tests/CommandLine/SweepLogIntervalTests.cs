using BenignAttention.Configuration;
using BenignAttention.Experiments;
using BenignAttention.Storage;
using Xunit;

namespace BenignAttention.Tests.CommandLine;

/// <summary>
/// The sweep default log_interval = 100 applies only to runs with log_schedule = linear: the log schedule ignores
/// log_interval, so its runs keep the value train would store (same stored config, same run hash), and the dry run does
/// not announce a default that changes nothing.
/// </summary>
[Collection("cli")]
public sealed class SweepLogIntervalTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("ba-logint-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static readonly string[] Small = ["embed_dim=20", "train_n=4", "test_n=4", "num_steps=5"];

    [Fact]
    public void ALogScheduleSweepHasNoLogIntervalDefault()
    {
        var (code, stdout, err) = CliHarness.Run(["sweep", "-o", Path.Combine(_root, "log"), "--dry-run", .. Small, "log_schedule=log", "seed=0,1"]);
        Assert.True(code == 0, err);
        Assert.DoesNotContain("log_interval", stdout);

        var plan = SweepSession.Plan(null, null, [.. Small, "log_schedule=log", "seed=0,1"]);
        Assert.All(plan.Runs, r => Assert.Equal(new RunConfig().LogInterval, r.LogInterval));
        // The same run as train would store it: the hash does not carry the ignored sweep default.
        var single = ConfigLoader.Resolve(null, null, [.. Small, "log_schedule=log", "seed=0"]);
        Assert.Equal(SweepStore.RunHash(single), SweepStore.RunHash(plan.Runs[0]));
    }

    [Fact]
    public void AMixedScheduleSweepDefaultsOnlyTheLinearRuns()
    {
        var (code, stdout, err) = CliHarness.Run(["sweep", "-o", Path.Combine(_root, "mixed"), "--dry-run", .. Small, "log_schedule=linear,log"]);
        Assert.True(code == 0, err);
        Assert.StartsWith("log_interval=100 (the sweep default for log_schedule=linear", stdout);
        var plan = SweepSession.Plan(null, null, [.. Small, "log_schedule=linear,log"]);
        Assert.Equal([(StepSchedule.Linear, 100), (StepSchedule.Log, 1)], plan.Runs.Select(r => (r.LogSchedule, r.LogInterval)).Order().ToArray());
    }
}
