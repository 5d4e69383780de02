package io.imgindex.fetch;

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

    PolicyDnsResolver(AddressPolicy policy) {
        this.policy = policy;
    }

    @Override
    public InetAddress[] resolve(String host) throws UnknownHostException {
        InetAddress[] addresses = SystemDefaultDnsResolver.INSTANCE.resolve(host);
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
        return SystemDefaultDnsResolver.INSTANCE.resolveCanonicalHostname(host);
    }
}
