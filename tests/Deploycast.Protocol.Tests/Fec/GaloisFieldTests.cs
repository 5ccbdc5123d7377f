using Deploycast.Protocol.Fec;

namespace Deploycast.Protocol.Tests.Fec;

public sealed class GaloisFieldTests
{
    [Fact]
    public void Multiply_MatchesBitwiseReferenceForEveryPair()
    {
        for (int a = 0; a < 256; a++)
        {
            for (int b = 0; b < 256; b++)
            {
                byte expected = FecTestData.ReferenceMultiply((byte)a, (byte)b);
                if (GaloisField.Multiply((byte)a, (byte)b) != expected)
                {
                    Assert.Fail($"{a} * {b}: expected {expected}, got {GaloisField.Multiply((byte)a, (byte)b)}");
                }
            }
        }
    }

    [Fact]
    public void MultiplyByInverse_IsOneForEveryNonzeroElement()
    {
        for (int a = 1; a < 256; a++)
        {
            Assert.Equal(1, GaloisField.Multiply((byte)a, GaloisField.Inverse((byte)a)));
        }
    }

    [Fact]
    public void Inverse_OfZero_Throws()
    {
        Assert.Throws<DivideByZeroException>(() => GaloisField.Inverse(0));
    }

    [Fact]
    public void Multiply_DistributesOverAddition_ForRandomTriples()
    {
        var random = new Random(11);
        for (int i = 0; i < 10_000; i++)
        {
            byte a = (byte)random.Next(256), b = (byte)random.Next(256), c = (byte)random.Next(256);
            Assert.Equal(
                GaloisField.Multiply(a, b) ^ GaloisField.Multiply(a, c),
                GaloisField.Multiply(a, (byte)(b ^ c)));
        }
    }

    [Fact]
    public void Multiply_IsCommutativeAndAssociative_ForRandomTriples()
    {
        var random = new Random(12);
        for (int i = 0; i < 10_000; i++)
        {
            byte a = (byte)random.Next(256), b = (byte)random.Next(256), c = (byte)random.Next(256);
            Assert.Equal(GaloisField.Multiply(a, b), GaloisField.Multiply(b, a));
            Assert.Equal(
                GaloisField.Multiply(GaloisField.Multiply(a, b), c),
                GaloisField.Multiply(a, GaloisField.Multiply(b, c)));
        }
    }

    [Fact]
    public void Three_GeneratesAllNonzeroElements()
    {
        var seen = new HashSet<byte>();
        byte power = 1;
        for (int i = 0; i < 255; i++)
        {
            Assert.True(seen.Add(power), $"3^{i} = {power} repeats an earlier power");
            power = FecTestData.ReferenceMultiply(power, 3);
        }

        Assert.Equal(1, power);
        Assert.DoesNotContain((byte)0, seen);
        Assert.Equal(255, seen.Count);
    }

    [Fact]
    public void Two_IsNotAGenerator_ItsOrderIs51()
    {
        byte power = 2;
        int order = 1;
        while (power != 1)
        {
            power = FecTestData.ReferenceMultiply(power, 2);
            order++;
        }

        Assert.Equal(51, order);
    }

    [Fact]
    public void ExpAndLog_AreInverseBijections()
    {
        for (int a = 1; a < 256; a++)
        {
            Assert.Equal(a, GaloisField.Exp(GaloisField.Log((byte)a)));
        }

        Assert.Equal(GaloisField.Generator, GaloisField.Exp(1));
    }

    [Fact]
    public void Divide_UndoesMultiply()
    {
        for (int a = 0; a < 256; a++)
        {
            for (int b = 1; b < 256; b += 7)
            {
                Assert.Equal(a, GaloisField.Divide(GaloisField.Multiply((byte)a, (byte)b), (byte)b));
            }
        }
    }
}
