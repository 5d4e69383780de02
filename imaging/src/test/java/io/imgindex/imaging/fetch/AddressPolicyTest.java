package io.imgindex.imaging.fetch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AddressPolicyTest {

    private final AddressPolicy strict = AddressPolicy.publicOnly();

    @ParameterizedTest
    @ValueSource(
            strings = {
                "127.0.0.1",
                "127.1.2.3",
                "10.0.0.1",
                "172.16.0.1",
                "172.31.255.255",
                "192.168.1.1",
                "169.254.169.254",
                "100.100.100.200",
                "100.64.0.1",
                "0.0.0.0",
                "224.0.0.1",
                "255.255.255.255",
                "198.18.0.1",
                "192.0.0.170",
                "::1",
                "::",
                "fe80::1",
                "fd00:ec2::254",
                "fc00::1",
                "ff02::1",
                "::ffff:127.0.0.1",
                "::ffff:10.0.0.1",
                "64:ff9b::a9fe:a9fe",
                "2002:7f00:1::",
                "2001:db8::1"
            })
    void refusesNonPublicAddresses(String address) throws Exception {
        assertThat(strict.refusal(InetAddress.getByName(address))).as(address).isNotNull();
        InetAddress a = InetAddress.getByName(address);
        if (!AddressPolicy.isMetadataService(a)) {
            assertThat(AddressPolicy.allowAll().refusal(a)).as(address).isNull();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"169.254.169.254", "169.254.170.2", "100.100.100.200", "fd00:ec2::254"})
    void refusesMetadataServicesEvenWithPrivateNetworksAllowed(String address) throws Exception {
        InetAddress a = InetAddress.getByName(address);
        assertThat(AddressPolicy.allowAll().refusal(a)).contains("metadata");
        assertThat(AddressPolicy.of(true, List.of(address + (address.contains(":") ? "/128" : "/32")))
                        .refusal(a))
                .isNull();
    }

    /** Every spelling of a metadata address, and every address of their blocks, is one: no string comparison. */
    @ParameterizedTest
    @ValueSource(
            strings = {
                "64:ff9b::a9fe:a9fe", // NAT64
                "::a9fe:a9fe", // IPv4-compatible
                "::ffff:a9fe:a9fe", // IPv4-mapped, in hex
                "::ffff:169.254.169.254",
                "2002:a9fe:a9fe::1", // 6to4
                "169.254.1.1",
                "169.254.255.254",
                "fd00:ec2::1",
                "fd00:ec2::254%1", // with a zone id
                "fd00:ec2:0:0:ffff::1",
                "64:ff9b::6464:64c8" // NAT64 of 100.100.100.200
            })
    void refusesEverySpellingOfTheMetadataBlocksWithPrivateNetworksAllowed(String address) throws Exception {
        InetAddress a = InetAddress.getByName(address);
        assertThat(AddressPolicy.isMetadataService(a)).as(address).isTrue();
        assertThat(AddressPolicy.allowAll().refusal(a)).as(address).contains("metadata");
        assertThat(AddressPolicy.of(true, List.of("10.0.0.0/8")).refusal(a))
                .as(address)
                .contains("metadata");
    }

    @Test
    void aNamedBlockOpensAMetadataAddressInAnySpelling() throws Exception {
        AddressPolicy named = AddressPolicy.of(false, List.of("169.254.169.254/32"));
        assertThat(named.refusal(InetAddress.getByName("169.254.169.254"))).isNull();
        assertThat(named.refusal(InetAddress.getByName("64:ff9b::a9fe:a9fe"))).isNull();
        assertThat(named.refusal(InetAddress.getByName("169.254.169.253"))).contains("metadata");
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "8.8.8.8",
                "1.1.1.1",
                "172.32.0.1",
                "100.128.0.1",
                "151.101.1.1",
                "2606:4700::1111",
                "2a00:1450:4001::1",
                "::ffff:8.8.8.8",
                "64:ff9b::808:808"
            })
    void allowsPublicAddresses(String address) throws Exception {
        assertThat(strict.refusal(InetAddress.getByName(address))).as(address).isNull();
    }

    @Test
    void allowedNetworksOpenOnlyTheirBlock() throws Exception {
        AddressPolicy loopback = AddressPolicy.of(false, List.of("127.0.0.0/8", "10.20.0.0/16"));

        assertThat(loopback.refusal(InetAddress.getByName("127.0.0.1"))).isNull();
        assertThat(loopback.refusal(InetAddress.getByName("10.20.3.4"))).isNull();
        assertThat(loopback.refusal(InetAddress.getByName("10.21.3.4"))).contains("private");
        assertThat(loopback.refusal(InetAddress.getByName("169.254.169.254"))).contains("metadata");
        assertThat(loopback.refusal(InetAddress.getByName("169.254.1.1"))).contains("metadata");
        assertThat(AddressPolicy.of(false, List.of("fd00::/8")).refusal(InetAddress.getByName("fd00:ec2::254")))
                .isNull();
    }

    @Test
    void refusesMalformedBlocks() {
        assertThatThrownBy(() -> AddressPolicy.of(false, List.of("10.0.0.0/33")))
                .hasMessageContaining("prefix");
        assertThatThrownBy(() -> AddressPolicy.of(false, List.of("intranet"))).hasMessageContaining("intranet");
        assertThatThrownBy(() -> AddressPolicy.of(false, List.of("10.0.0.0/x"))).hasMessageContaining("prefix");
    }
}
