using BenignAttention.Cli;

return Cli.Invoke(CliApp.BuildRoot(), args);
