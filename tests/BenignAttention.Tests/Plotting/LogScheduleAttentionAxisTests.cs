using BenignAttention.Plotting;
using BenignAttention.Tests.CommandLine;
using Xunit;

namespace BenignAttention.Tests.Plotting;

/// <summary>
/// Newcomer report (second round): with log_schedule = log (e.g. 10⁶ steps, ~60 records) the attention figure drew the
/// recorded steps on a linear axis, so every record but the last few sat in its first pixels. It now uses the training
/// figure's log axis (update τ + 1); the linear schedule keeps the linear "step τ" axis.
/// </summary>
[Collection("cli")]
public sealed class LogScheduleAttentionAxisTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("ba-logattn-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Theory]
    [InlineData("log", true)]
    [InlineData("linear", false)]
    public void Attention_figure_uses_a_log_step_axis_for_the_log_schedule(string schedule, bool logAxis)
    {
        string output = Path.Combine(_root, schedule);
        var (code, _, stderr) = CliHarness.Run("train", "--out", output, "embed_dim=64", "seq_len=4", "train_n=4", "test_n=4",
            "num_steps=20000", $"log_schedule={schedule}", "learning_rate=0.01");
        Assert.True(code == 0, stderr);
        var svg = new SvgFigure(Path.Combine(output, "figures", "attention.svg"));
        var texts = svg.Texts.Select(t => t.Text).ToList();
        Assert.Equal(logAxis, texts.Contains(TrainingFigure.XLabel));
        Assert.Equal(!logAxis, texts.Contains("step τ"));
    }
}
