using Deploycast.Agent.Engine;

namespace Deploycast.Agent.Tests.Engine;

public sealed class VariableExpanderTests
{
    private static readonly Dictionary<string, string> Variables = new(StringComparer.OrdinalIgnoreCase)
    {
        ["OSDisk"] = "/dev/sda",
        ["Nested"] = "%OSDisk%",
        ["Empty"] = "",
    };

    [Theory]
    [InlineData("mkfs.ext4 %OSDisk%1", "mkfs.ext4 /dev/sda1")]
    [InlineData("%osdisk%", "/dev/sda")]
    [InlineData("100%%", "100%")]
    [InlineData("%%OSDisk%%", "%OSDisk%")]
    [InlineData("50% of 100%", "50% of 100%")]
    [InlineData("ends with %", "ends with %")]
    [InlineData("[%Empty%]", "[]")]
    [InlineData("%Nested%", "%OSDisk%")]
    [InlineData("%Missing% then %OSDisk%", "%Missing% then /dev/sda")]
    public void Expand_GivesTheTextACommandWouldGet(string text, string expected)
    {
        Assert.Equal(expected, VariableExpander.Expand(text, Variables));
    }

    [Fact]
    public void Expand_UndefinedVariables_AreReportedOnce()
    {
        var undefined = new SortedSet<string>(StringComparer.OrdinalIgnoreCase);

        VariableExpander.Expand("%A% %a% %B% %OSDisk%", Variables, undefined);

        Assert.Equal(["A", "B"], undefined);
    }
}
