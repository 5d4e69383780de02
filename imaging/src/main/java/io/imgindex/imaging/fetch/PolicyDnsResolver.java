package io.imgindex.imaging.fetch;

import java.net.InetAddress;
import java.net.UnknownHostException;
import org.apache.hc.client5.http.DnsResolver;
import org.apache.hc.client5.http.SystemDefaultDnsResolver;

/**
 * Resolves host names, then refuses the host if any of its addresses is one the {@link AddressPolicy}
 * refuses. The HTTP client connects only to the addresses returned here, so the check cannot be bypassed by
 * a second lookup (DNS rebinding) and applies to literal addresses and every redirect alike.
 */
final class PolicyDnsResolver implements DnsResolver {

    private final AddressPolicy policy;
    private final DnsResolver names;

    PolicyDnsResolver(AddressPolicy policy) {
        this(policy, SystemDefaultDnsResolver.INSTANCE);
    }

    /** Checks the addresses {@code names} gives (the system's resolver, or a test's). */
    PolicyDnsResolver(AddressPolicy policy, DnsResolver names) {
        this.policy = policy;
        this.names = names;
    }

    @Override
    public InetAddress[] resolve(String host) throws UnknownHostException {
        InetAddress[] addresses = names.resolve(host);
        for (InetAddress a : addresses) {
            String refusal = policy.refusal(a);
            if (refusal != null) {
                throw new BlockedAddressException("host " + host + " refused: " + refusal);
            }
        }
        return addresses;
    }

    @Override
    public String resolveCanonicalHostname(String host) throws UnknownHostException {
        return names.resolveCanonicalHostname(host);
    }
}
