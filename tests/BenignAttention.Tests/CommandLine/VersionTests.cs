using System.Diagnostics;
using System.Text.RegularExpressions;
using BenignAttention.Cli;
using Xunit;

namespace BenignAttention.Tests.CommandLine;

/// <summary><c>benign-attention --version</c> prints the tool's own version and, built in git, its commit.</summary>
[Collection("cli")]
public sealed class VersionTests
{
    private static readonly Regex SemVerWithCommit = new(@"^(\d+)\.(\d+)\.(\d+)(\+([0-9a-f]{12}))?$");

    [Fact]
    public void VersionPrintsSemanticVersionOfTheToolAndItsCommit()
    {
        var (code, stdout, stderr) = CliHarness.Run("--version");

        Assert.Equal(0, code);
        Assert.Equal("", stderr);
        string line = stdout.TrimEnd('\n', '\r');
        var match = SemVerWithCommit.Match(line);
        Assert.True(match.Success, $"'{line}' is not <major>.<minor>.<patch>[+<12 hex digits>]");
        // The version is the tool's own (the project's <Version>), not the test host's.
        Assert.Equal(typeof(CliApp).Assembly.GetName().Version!.ToString(3), line.Split('+')[0]);
        Assert.NotEqual("0.0.0", line.Split('+')[0]);
        Assert.NotEqual("1.0.0", line.Split('+')[0]); // the SDK's default: no version was set

        string? head = GitHead();
        if (head is not null) // built from a git checkout: the commit is the one the sources were built from
            Assert.Equal(head[..12], match.Groups[5].Value);
    }

    /// <summary>HEAD of the checkout holding this test assembly, or null when it was not built inside git.</summary>
    private static string? GitHead()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (!Directory.Exists(Path.Combine(dir.FullName, ".git")) && !File.Exists(Path.Combine(dir.FullName, ".git"))) continue;
            try
            {
                var psi = new ProcessStartInfo("git", ["-C", dir.FullName, "rev-parse", "HEAD"])
                { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
                using var git = Process.Start(psi)!;
                string output = git.StandardOutput.ReadToEnd().Trim();
                git.WaitForExit();
                return git.ExitCode == 0 && output.Length == 40 ? output : null;
            }
            catch (System.ComponentModel.Win32Exception) { return null; } // no git on PATH
        }
        return null;
    }
}
