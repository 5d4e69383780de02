package io.imgindex.imaging.fetch;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * Which network addresses the fetcher may connect to. By default only public unicast addresses: loopback,
 * private (RFC 1918, unique-local IPv6), carrier-grade NAT, link-local (which holds the cloud metadata
 * services at 169.254.169.254 and fd00:ec2::254), unspecified, multicast, broadcast and reserved ranges are
 * refused. IPv4 addresses embedded in IPv6 (mapped, compatible, NAT64 {@code 64:ff9b::/96}, 6to4) are checked
 * as the IPv4 address they carry.
 *
 * <p>{@code --allow-network} blocks open parts of the non-public space (an intranet range, a test server on
 * loopback) while the rest stays refused. The cloud metadata services (169.254.169.254 and its kin) stay
 * refused even with {@code --allow-private-networks}; only an {@code --allow-network} block that contains one
 * opens it.
 *
 * <p>The check runs on resolved addresses, for every connection, redirects included, so a DNS name that
 * points inside the network is refused as surely as a literal address. Immutable and thread-safe.
 */
public final class AddressPolicy {

    private final boolean allowPrivateNetworks;
    private final List<Cidr> allowedNetworks;

    private AddressPolicy(boolean allowPrivateNetworks, List<Cidr> allowedNetworks) {
        this.allowPrivateNetworks = allowPrivateNetworks;
        this.allowedNetworks = List.copyOf(allowedNetworks);
    }

    /** Public addresses only. */
    public static AddressPolicy publicOnly() {
        return new AddressPolicy(false, List.of());
    }

    /** Any address (for indexing an intranet on purpose, or testing against loopback servers). */
    public static AddressPolicy allowAll() {
        return new AddressPolicy(true, List.of());
    }

    /**
     * The policy of the {@code --allow-private-networks} and {@code --allow-network} flags.
     *
     * @param allowedNetworks CIDR blocks (e.g. {@code 10.1.0.0/16}) allowed even though they are not public;
     *     the rest of the non-public space stays refused
     * @throws IllegalArgumentException if a block does not parse
     */
    public static AddressPolicy of(boolean allowPrivateNetworks, List<String> allowedNetworks) {
        List<Cidr> blocks = new ArrayList<>();
        for (String s : allowedNetworks) {
            blocks.add(Cidr.parse(s));
        }
        return new AddressPolicy(allowPrivateNetworks, blocks);
    }

    public boolean allowsPrivateNetworks() {
        return allowPrivateNetworks;
    }

    /** Why the address is refused, or null if it may be connected to. */
    public String refusal(InetAddress given) {
        // Checked as the address it reaches: an IPv6 spelling of an IPv4 address (mapped, compatible, NAT64,
        // 6to4) as that IPv4 address, a scoped IPv6 address (fe80::1%eth0) without its scope.
        InetAddress address = canonical(given);
        for (Cidr block : allowedNetworks) {
            if (block.contains(address) || block.contains(given)) {
                return null;
            }
        }
        if (isMetadataService(address)) {
            // Even with private networks allowed: images never live there, credentials do.
            return address.getHostAddress() + " is a cloud metadata service address (only --allow-network naming"
                    + " it opens it)";
        }
        if (allowPrivateNetworks) {
            return null;
        }
        String kind = classify(address);
        return kind == null ? null : address.getHostAddress() + " is a " + kind + " address";
    }

    /**
     * The blocks of the instance metadata and credential endpoints of the big clouds, refused even when private
     * networks are allowed: all of IPv4 link-local 169.254.0.0/16 (AWS, GCP, Azure and OpenStack metadata at
     * 169.254.169.254, ECS and EKS pod credentials at 169.254.170.2 and .23, and whatever a provider adds there),
     * Alibaba's 100.100.100.200, and AWS's IPv6 block fd00:ec2::/64. Compared as bytes, after
     * {@link #canonical}, so no spelling of an address slips past a string comparison.
     */
    static boolean isMetadataService(InetAddress address) {
        InetAddress a = canonical(address);
        for (Cidr block : METADATA_BLOCKS) {
            if (block.contains(a)) {
                return true;
            }
        }
        return false;
    }

    private static final List<Cidr> METADATA_BLOCKS =
            List.of(Cidr.parse("169.254.0.0/16"), Cidr.parse("100.100.100.200/32"), Cidr.parse("fd00:ec2::/64"));

    /**
     * The address a connection reaches: the IPv4 address an IPv6 address carries (mapped {@code ::ffff:a.b.c.d},
     * compatible {@code ::a.b.c.d}, NAT64 {@code 64:ff9b::/96}, 6to4 {@code 2002::/16}), and an IPv6 address without
     * its scope id.
     */
    static InetAddress canonical(InetAddress address) {
        if (!(address instanceof Inet6Address)) {
            return address;
        }
        byte[] b = address.getAddress();
        InetAddress embedded = embeddedIpv4(b);
        if (embedded != null) {
            return embedded;
        }
        try {
            return InetAddress.getByAddress(b); // no scope id, no host name
        } catch (UnknownHostException e) {
            throw new IllegalStateException("sixteen bytes are always an IPv6 address", e);
        }
    }

    /** An address block, {@code address/prefix-length}. */
    record Cidr(byte[] network, int prefix) {

        static Cidr parse(String text) {
            String s = text.strip();
            int slash = s.indexOf('/');
            String host = slash < 0 ? s : s.substring(0, slash);
            if (host.isEmpty() || !host.matches("[0-9a-fA-F:.]+")) {
                throw new IllegalArgumentException("'" + text + "' is not an address block such as 10.0.0.0/8");
            }
            byte[] net;
            try {
                net = InetAddress.getByName(host).getAddress(); // a literal: no lookup happens
            } catch (UnknownHostException e) {
                throw new IllegalArgumentException("'" + text + "' is not an address block such as 10.0.0.0/8", e);
            }
            int prefix;
            try {
                prefix = slash < 0 ? net.length * 8 : Integer.parseInt(s.substring(slash + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("'" + text + "' has a bad prefix length", e);
            }
            if (prefix < 0 || prefix > net.length * 8) {
                throw new IllegalArgumentException("'" + text + "' has a prefix length outside 0.." + net.length * 8);
            }
            return new Cidr(net, prefix);
        }

        boolean contains(InetAddress address) {
            byte[] a = address.getAddress();
            if (a.length != network.length) {
                return false;
            }
            int full = prefix / 8;
            for (int i = 0; i < full; i++) {
                if (a[i] != network[i]) {
                    return false;
                }
            }
            int rest = prefix % 8;
            if (rest == 0) {
                return true;
            }
            int mask = 0xFF << (8 - rest) & 0xFF;
            return (a[full] & mask) == (network[full] & mask);
        }
    }

    /**
     * The kind of non-public address, e.g. {@code "loopback"}, or null for a public unicast address.
     * Independent of the policy.
     */
    static String classify(InetAddress address) {
        if (address instanceof Inet6Address) {
            byte[] b = address.getAddress();
            InetAddress embedded = embeddedIpv4(b);
            if (embedded != null) {
                String kind = classify(embedded);
                return kind == null ? null : kind + " (embedded in IPv6)";
            }
            if (address.isLoopbackAddress()) {
                return "loopback";
            }
            if (address.isAnyLocalAddress()) {
                return "unspecified";
            }
            if (address.isLinkLocalAddress()) {
                return "link-local";
            }
            if (address.isSiteLocalAddress()) {
                return "site-local";
            }
            if (address.isMulticastAddress()) {
                return "multicast";
            }
            int first = b[0] & 0xFF;
            if ((first & 0xFE) == 0xFC) {
                return "private (unique local)"; // fc00::/7, includes fd00:ec2::254
            }
            if (first == 0x20 && (b[1] & 0xFF) == 0x01 && (b[2] & 0xFF) == 0x0D && (b[3] & 0xFF) == 0xB8) {
                return "documentation";
            }
            if (first == 0) {
                return "reserved";
            }
            return null;
        }
        byte[] b = address.getAddress();
        int a0 = b[0] & 0xFF;
        int a1 = b[1] & 0xFF;
        if (a0 == 127) {
            return "loopback";
        }
        if (a0 == 0) {
            return "unspecified";
        }
        if (a0 == 10 || (a0 == 172 && (a1 & 0xF0) == 16) || (a0 == 192 && a1 == 168)) {
            return "private";
        }
        if (a0 == 169 && a1 == 254) {
            return "link-local (cloud metadata)";
        }
        if (a0 == 100 && (a1 & 0xC0) == 64) {
            return "shared (carrier-grade NAT)"; // 100.64.0.0/10, includes 100.100.100.200
        }
        if (a0 == 192 && a1 == 0 && (b[2] & 0xFF) == 0) {
            return "IETF protocol assignment";
        }
        if (a0 == 198 && (a1 & 0xFE) == 18) {
            return "benchmarking";
        }
        if ((a0 == 192 && a1 == 0 && (b[2] & 0xFF) == 2)
                || (a0 == 198 && a1 == 51 && (b[2] & 0xFF) == 100)
                || (a0 == 203 && a1 == 0 && (b[2] & 0xFF) == 113)) {
            return "documentation";
        }
        if (a0 >= 224 && a0 <= 239) {
            return "multicast";
        }
        if (a0 >= 240) {
            return "reserved";
        }
        return null;
    }

    /** The IPv4 address carried by an IPv6 address, if it carries one. */
    private static InetAddress embeddedIpv4(byte[] b) {
        boolean zeroPrefix = true;
        for (int i = 0; i < 10; i++) {
            zeroPrefix &= b[i] == 0;
        }
        int from;
        if (zeroPrefix && ((b[10] == (byte) 0xFF && b[11] == (byte) 0xFF) || (b[10] == 0 && b[11] == 0))) {
            // ::ffff:a.b.c.d (mapped) and ::a.b.c.d (compatible); :: and ::1 themselves are not IPv4.
            boolean allZeroPrefix12 = b[10] == 0 && b[11] == 0;
            if (allZeroPrefix12 && b[12] == 0 && b[13] == 0 && b[14] == 0 && (b[15] == 0 || b[15] == 1)) {
                return null;
            }
            from = 12;
        } else if (b[0] == 0x00 && b[1] == 0x64 && b[2] == (byte) 0xFF && b[3] == (byte) 0x9B) {
            from = 12; // 64:ff9b::/96, NAT64
        } else if (b[0] == 0x20 && b[1] == 0x02) {
            from = 2; // 2002::/16, 6to4
        } else {
            return null;
        }
        try {
            return Inet4Address.getByAddress(new byte[] {b[from], b[from + 1], b[from + 2], b[from + 3]});
        } catch (UnknownHostException e) {
            throw new IllegalStateException("four bytes are always an IPv4 address", e);
        }
    }
}
