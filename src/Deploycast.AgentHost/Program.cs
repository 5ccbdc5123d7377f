using System.CommandLine;
using Deploycast.Agent;

// deploycast-agent: the same command as 'deploycast agent', without the server parts.
var root = new RootCommand("Deploycast agent: registers this computer with the site, runs the task sequences deployed to it and reports status.");
var agent = AgentCommand.Create();
foreach (var option in agent.Options)
{
    root.Options.Add(option);
}

root.Action = agent.Action;
var parse = root.Parse(args);
var exit = await parse.InvokeAsync().ConfigureAwait(false);
return parse.Errors.Count > 0 ? AgentExitCodes.Usage : exit;
