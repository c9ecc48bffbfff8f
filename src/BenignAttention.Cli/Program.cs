using BenignAttention.Cli;

return CommandRunner.Invoke(CliApp.BuildRoot(), args);
