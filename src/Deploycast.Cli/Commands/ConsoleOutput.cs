using Spectre.Console;

namespace Deploycast.Cli.Commands;

/// <summary>Where progress goes: stderr, and only when it is a terminal (quiet in scripts and logs).</summary>
internal static class ConsoleOutput
{
    public static bool Interactive => !Console.IsErrorRedirected;

    public static IAnsiConsole Error { get; } = AnsiConsole.Create(new AnsiConsoleSettings
    {
        Out = new AnsiConsoleOutput(Console.Error),
    });

    /// <summary>A line on stderr (events, warnings); plain text, so it reads well in logs.</summary>
    public static void Note(string text) => Console.Error.WriteLine(text);

    /// <summary>
    /// Shows one progress bar while <paramref name="work"/> runs, refreshed from <paramref name="poll"/> (value 0..1 and a
    /// description). Without a terminal it just waits.
    /// </summary>
    public static async Task<T> WithProgressAsync<T>(string title, Task<T> work, Func<(double Fraction, string Description)> poll)
    {
        if (!Interactive)
        {
            return await work.ConfigureAwait(false);
        }

        await Error.Progress()
            .AutoClear(true)
            .HideCompleted(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask(title, maxValue: 1000);
                while (!work.IsCompleted)
                {
                    var (fraction, description) = poll();
                    task.Value = Math.Clamp(fraction, 0, 1) * 1000;
                    task.Description = Markup.Escape(description);
                    await Task.WhenAny(work, Task.Delay(200)).ConfigureAwait(false);
                }

                task.Value = 1000;
            }).ConfigureAwait(false);
        return await work.ConfigureAwait(false);
    }

    /// <summary>A spinner with the elapsed time while <paramref name="work"/> runs (for work with no progress to report). Without a terminal it just waits.</summary>
    public static async Task<T> WithSpinnerAsync<T>(string title, Task<T> work)
    {
        if (!Interactive)
        {
            return await work.ConfigureAwait(false);
        }

        var clock = System.Diagnostics.Stopwatch.StartNew();
        await Error.Status().Spinner(Spinner.Known.Dots).StartAsync(Markup.Escape(title), async context =>
        {
            while (!work.IsCompleted)
            {
                context.Status(Markup.Escape($"{title} ({clock.Elapsed:m\\:ss})"));
                await Task.WhenAny(work, Task.Delay(250)).ConfigureAwait(false);
            }
        }).ConfigureAwait(false);
        return await work.ConfigureAwait(false);
    }
}
