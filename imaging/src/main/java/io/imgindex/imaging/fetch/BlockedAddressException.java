package io.imgindex.imaging.fetch;

import java.net.UnknownHostException;

/**
 * Thrown by the fetcher's DNS resolver when a host resolves to an address the {@link AddressPolicy} refuses.
 * It is an {@link UnknownHostException} so that the HTTP client treats it like a failed lookup and never
 * connects.
 */
final class BlockedAddressException extends UnknownHostException {

    private static final long serialVersionUID = 1L;

    BlockedAddressException(String message) {
        super(message);
    }
}
