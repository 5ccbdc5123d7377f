using Deploycast.Cli.Commands;

return await DeploycastCommand.InvokeAsync(args, null, CancellationToken.None).ConfigureAwait(false);
