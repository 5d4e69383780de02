package io.imgindex.imaging.fetch;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.apache.hc.client5.http.async.methods.AbstractBinResponseConsumer;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpResponse;

/**
 * Collects a 2xx response body up to a byte limit, failing as soon as the declared or actual size passes it;
 * keeps only the status and {@code Location} of other responses and drops their bodies. One instance per
 * request.
 */
final class CappedBodyConsumer extends AbstractBinResponseConsumer<CappedBodyConsumer.Response> {

    /** What the fetcher needs of a response. */
    record Response(int status, String location, String retryAfter, byte[] body) {}

    /** The body is over the limit; aborts the exchange. */
    static final class TooLargeException extends IOException {
        private static final long serialVersionUID = 1L;

        TooLargeException(String message) {
            super(message);
        }
    }

    private static final int CHUNK = 64 * 1024;

    private final long maxBytes;
    private int status;
    private String location;
    private String retryAfter;
    private ByteArrayOutputStream body;

    CappedBodyConsumer(long maxBytes) {
        this.maxBytes = maxBytes;
    }

    @Override
    protected void start(HttpResponse response, ContentType contentType) throws IOException {
        status = response.getCode();
        Header loc = response.getFirstHeader("Location");
        location = loc == null ? null : loc.getValue();
        Header wait = response.getFirstHeader("Retry-After");
        retryAfter = wait == null ? null : wait.getValue();
        if (status < 200 || status >= 300) {
            return;
        }
        Header length = response.getFirstHeader("Content-Length");
        long declared = -1;
        if (length != null) {
            try {
                declared = Long.parseLong(length.getValue().strip());
            } catch (NumberFormatException e) {
                declared = -1; // a bad length is not trusted either way; the actual size is capped below
            }
        }
        if (declared > maxBytes) {
            throw new TooLargeException("declared size " + declared + " bytes is over the limit of " + maxBytes);
        }
        body = new ByteArrayOutputStream((int) Math.min(declared > 0 ? declared : CHUNK, CHUNK * 16L));
    }

    @Override
    protected int capacityIncrement() {
        return CHUNK;
    }

    @Override
    protected void data(ByteBuffer src, boolean endOfStream) throws IOException {
        if (body == null) {
            src.position(src.limit());
            return;
        }
        if (body.size() + (long) src.remaining() > maxBytes) {
            throw new TooLargeException("body is over the limit of " + maxBytes + " bytes");
        }
        if (src.hasArray()) {
            body.write(src.array(), src.arrayOffset() + src.position(), src.remaining());
            src.position(src.limit());
        } else {
            byte[] chunk = new byte[src.remaining()];
            src.get(chunk);
            body.write(chunk);
        }
    }

    @Override
    protected Response buildResult() {
        return new Response(status, location, retryAfter, body == null ? null : body.toByteArray());
    }

    @Override
    public void releaseResources() {
        body = null;
    }
}
