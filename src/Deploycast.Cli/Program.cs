using Deploycast.Cli.Commands;

return await DeploycastCommand.Create().Parse(args).InvokeAsync(null, CancellationToken.None).ConfigureAwait(false);
