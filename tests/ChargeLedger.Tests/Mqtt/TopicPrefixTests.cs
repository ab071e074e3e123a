using ChargeLedger.Mqtt.Broker;

namespace ChargeLedger.Tests.Mqtt;

public class TopicPrefixTests
{
    [Theory]
    [InlineData("/neuron/GW-1", "/neuron/GW-1/modbus/grp", true)]
    [InlineData("/neuron/GW-1/", "/neuron/GW-1/modbus/grp", true)]
    [InlineData("/neuron/GW-1", "/neuron/GW-1/x", true)]
    [InlineData("/neuron/GW-1", "/neuron/GW-10/modbus/grp", false)]
    [InlineData("/neuron/GW-1", "/neuron/GW-1", false)]
    [InlineData("/neuron/GW-1", "/neuron/GW-1/", false)]
    [InlineData("/neuron/GW-1", "/neuron/gw-1/modbus/grp", false)]
    [InlineData("/neuron/GW-1", "neuron/GW-1/modbus/grp", false)]
    [InlineData("/neuron/GW-1", "/neuron/GW-1/+/grp", false)]
    [InlineData("", "/neuron/GW-1/modbus/grp", false)]
    [InlineData("/", "/neuron/GW-1/modbus/grp", false)]
    [InlineData("/neuron/+", "/neuron/+/modbus/grp", false)]
    [InlineData("#", "#/x", false)]
    public void a_publish_topic_must_lie_whole_levels_below_the_prefix(string prefix, string topic, bool covered)
    {
        TopicPrefix.Covers(prefix, topic).ShouldBe(covered);
    }

    [Theory]
    [InlineData("/neuron/GW-1", "/neuron/GW-1/#", true)]
    [InlineData("/neuron/GW-1", "/neuron/GW-1", true)]
    [InlineData("/neuron/GW-1", "/neuron/GW-1/+/grp", true)]
    [InlineData("/neuron/GW-1", "/neuron/GW-10/#", false)]
    [InlineData("/neuron/GW-1", "/neuron/GW-1#", false)]
    [InlineData("/neuron/GW-1", "/neuron/#", false)]
    [InlineData("/neuron/GW-1", "/neuron/+/modbus/grp", false)]
    [InlineData("/neuron/GW-1", "#", false)]
    [InlineData("/neuron/GW-1", "$SYS/#", false)]
    [InlineData("/neuron/GW-1", "$share/g//neuron/GW-1/#", false)]
    [InlineData("/neuron/+", "/neuron/+/#", false)]
    public void a_subscription_must_stay_inside_the_prefix(string prefix, string filter, bool covered)
    {
        TopicPrefix.CoversFilter(prefix, filter).ShouldBe(covered);
    }
}
